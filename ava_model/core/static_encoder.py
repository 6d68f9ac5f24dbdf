"""A static embedding of the embedder: one vector per token, averaged; about 100x faster than MiniLM on CPU.

:func:`distill` turns a local sentence-transformers folder (the packaged all-MiniLM-L6-v2 by default)
into a model2vec static model, offline: every vocabulary token is passed once through the
transformer, the token vectors are reduced by PCA and weighted (SIF), and the result is a table of
``vocabulary x dims`` numbers. Encoding a prompt is then tokenising it and averaging rows: no
transformer, no PyTorch.

The vectors are not MiniLM's: heads must be trained on them (``ava train`` with the embedder
:data:`ava_model.core.embedding.STATIC_EMBEDDER`), and they never share MiniLM's embedding cache.

A distilled model is saved under ``AVA_STATIC_CACHE`` (default ``~/.cache/ava/static``), keyed by
the content of the source folder, the PCA size and the model2vec version, so it is distilled once
per machine (about a minute on two cores). A model2vec folder or hub id loads as it is.

Needs the ``static`` extra (``pip install 'ava-model[static]'``: model2vec, and skeletoken to distil).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from importlib import metadata
from pathlib import Path

import numpy as np

from ava_model.errors import ConfigError

_log = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Bumped when the distillation recipe changes: older cache entries are ignored."""

PCA_DIMS = 256
"""Dimensions kept by the PCA of the token vectors (MiniLM's are 384)."""

_INSTALL = "pip install 'ava-model[static]' (model2vec; skeletoken to distil)"


def is_static_folder(folder: str | Path) -> bool:
    """Return True when a local folder holds a model2vec static model (its config.json says so)."""
    config = Path(folder) / "config.json"
    try:
        return json.loads(config.read_text(encoding="utf-8")).get("model_type") == "model2vec"
    except (OSError, ValueError, AttributeError):
        return False


class StaticEncoder:
    """Encode texts with a model2vec static model: mean of token vectors, L2-normalised.

    Parameters
    ----------
    source : str or Path
        A local model2vec folder, or a hub id (downloaded once by huggingface_hub when online).
    """

    def __init__(self, source: str | Path):
        try:
            from model2vec import StaticModel
        except ImportError as exc:
            raise ConfigError(f"The static embedder needs model2vec: {_INSTALL}.") from exc
        self.source = str(source)
        self._model = StaticModel.from_pretrained(self.source, force_download=False, normalize=True)
        self.dimension = int(self._model.dim)

    def encode(self, texts: list[str], batch_size: int = 1024) -> np.ndarray:
        """Return an (n, d) float32 array of L2-normalised embeddings (an all-zero row for a text of no known token)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # One process: model2vec's worker pool would compete with the caller for the cores.
        vectors = self._model.encode(list(texts), batch_size=max(batch_size, 1), use_multiprocessing=False)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)  # model2vec normalises in float16: again in float32
        return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def cache_dir() -> Path:
    """Return where distilled models are kept: ``AVA_STATIC_CACHE``, else ``$XDG_CACHE_HOME/ava/static`` or ``~/.cache/ava/static``."""
    env = os.environ.get("AVA_STATIC_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ava" / "static"


def cache_path(folder: str | Path, pca_dims: int = PCA_DIMS) -> Path:
    """Return the cache folder of a distillation, named by the source folder's file contents, the PCA size and model2vec."""
    folder = Path(folder)
    digest = hashlib.sha256(f"format {FORMAT_VERSION} pca {pca_dims}".encode())
    try:
        digest.update(f"model2vec={metadata.version('model2vec')}".encode())
    except metadata.PackageNotFoundError:
        digest.update(b"model2vec=none")
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        with open(file, "rb") as fh:
            digest.update(f"{file.relative_to(folder)}:{hashlib.file_digest(fh, 'sha256').hexdigest()}".encode())
    return cache_dir() / f"{folder.parent.name}-{folder.name}-static{pca_dims}-{digest.hexdigest()[:16]}"


def distill(folder: str | Path, out: str | Path, pca_dims: int = PCA_DIMS) -> Path:
    """Distil a local sentence-transformers folder into a model2vec static model saved in ``out``; return ``out``.

    Runs offline (the folder's weights and tokenizer only). Each PCA axis gets a canonical sign
    (its largest-magnitude token weight positive), so a distillation on another machine, whose LAPACK
    may flip eigenvectors, gives the same vectors the heads were trained on.

    Parameters
    ----------
    folder : str or Path
        The transformer to distil (the packaged all-MiniLM-L6-v2 by default).
    out : str or Path
        Folder to write the static model to (created).
    pca_dims : int
        Dimensions kept by the PCA.
    """
    try:
        from model2vec.distill import distill as m2v_distill
    except ImportError as exc:
        raise ConfigError(f"Distilling the static embedder needs model2vec and skeletoken: {_INSTALL}.") from exc
    if not (Path(folder) / "tokenizer.json").is_file():
        raise ConfigError(f"Cannot distil {str(folder)!r}: not a local model folder with a tokenizer.json.")
    _log.info("Distilling a static embedding from %s (PCA %d; once per machine)...", folder, pca_dims)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = m2v_distill(model_name=str(folder), pca_dims=pca_dims, device="cpu")
    table = np.asarray(model.embedding)
    peaks = table[np.abs(table).argmax(axis=0), np.arange(table.shape[1])]
    table[:, peaks < 0] *= -1  # exact in any dtype
    model.embedding = table
    model.config["tokenizer_name"] = Path(folder).name  # no absolute path of this machine in the saved config
    model.save_pretrained(str(out))
    return Path(out)


def load_or_distill(folder: str | Path, pca_dims: int = PCA_DIMS) -> StaticEncoder:
    """Return the encoder of the cached distillation of ``folder``, distilling and caching it first if needed.

    The distillation is written to a temporary folder and renamed into place, so concurrent
    processes never load half a model; an unwritable cache distils to a temporary folder each time.
    """
    target = cache_path(folder, pca_dims)
    if is_static_folder(target):
        try:
            return StaticEncoder(target)
        except Exception:  # a damaged cache entry: distil again
            shutil.rmtree(target, ignore_errors=True)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    except OSError:  # no writable cache: distil into a temporary folder, used once
        target, tmp = None, Path(tempfile.mkdtemp(prefix="ava-static-")) / "model"
    scratch = tmp if target is not None else tmp.parent
    try:
        distill(folder, tmp, pca_dims)
        encoder = StaticEncoder(tmp)  # model2vec holds the whole table in memory: the folder may go
        if target is not None:
            try:
                os.replace(tmp, target)
            except OSError:  # another process renamed its copy first (same content), or the cache is read-only
                pass
        return encoder
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
