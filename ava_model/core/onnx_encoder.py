"""The embedder's transformer run by ONNX Runtime: the same vectors, about twice as fast on CPU.

A sentence-transformers model made of ``[Transformer, Pooling(mean), Normalize]`` (the
default all-MiniLM-L6-v2 is) is exported to an ONNX graph that includes the mean pooling
and normalisation. Before the export is used, :func:`build` checks it against the PyTorch
model on probe texts of very different lengths (one longer than the model's maximum); a
graph that disagrees is refused.

A model loaded from a local folder also gets its verified graph saved under
``AVA_ONNX_CACHE`` (default ``~/.cache/ava/onnx``), keyed by the content of the folder's
files and the library versions, with the folder's ``tokenizer.json`` checked to tokenise exactly as
sentence-transformers does. Later processes load that graph and tokenise with the
``tokenizers`` library: no PyTorch import, a cold start of about a second.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ava_model.errors import ConfigError

FORMAT_VERSION = 1
"""Bumped when the exported graph or its sidecar changes shape: older cache entries are ignored."""

MAX_DIFFERENCE = 1e-4
"""Largest absolute difference from the PyTorch vectors the export may show on the probes."""

_PROBES = (
    "a cat",
    "A woman looks into the camera and says 'We leave at dawn, whatever happens.'",
    "Seven red balloons drift over a crowded market while a neon sign reads 'OPEN ALL NIGHT'. " * 30,
)


class ExportMismatch(RuntimeError):
    """The ONNX graph does not reproduce the PyTorch embeddings."""


def unsupported_reason(model: Any) -> str | None:
    """Return why a SentenceTransformer cannot be exported here, or None when it can."""
    names = [type(module).__name__ for module in model]
    if names != ["Transformer", "Pooling", "Normalize"]:
        return f"modules {names} are not [Transformer, Pooling, Normalize]"
    if getattr(model[1], "pooling_mode", None) != "mean":
        return f"pooling mode {getattr(model[1], 'pooling_mode', None)!r} is not 'mean'"
    return None


Tokenize = Callable[[list[str]], dict[str, np.ndarray]]


def model_tokenizer(model: Any) -> Tokenize:
    """Return the SentenceTransformer's own tokenisation, as int64 arrays."""

    def tokenize(texts: list[str]) -> dict[str, np.ndarray]:
        tokens = model.preprocess(texts)
        return {k: v.numpy().astype(np.int64) for k, v in tokens.items() if hasattr(v, "numpy")}

    return tokenize


def file_tokenizer(tokenizer_json: Path, max_length: int) -> Tokenize:
    """Return a tokeniser read from ``tokenizer.json`` (no PyTorch): truncate at max_length, pad to the longest.

    Texts are encoded one by one: the library's parallel batch encoding starts threads that
    compete with ONNX Runtime for the cores, and costs more than it saves on short prompts.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_json))
    pad_id = int((tokenizer.padding or {}).get("pad_id", 0))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)

    def tokenize(texts: list[str]) -> dict[str, np.ndarray]:
        encodings = [tokenizer.encode(t) for t in texts]
        width = max((len(e.ids) for e in encodings), default=0)
        arrays = {k: np.zeros((len(encodings), width), dtype=np.int64) for k in ("attention_mask", "token_type_ids")}
        arrays["input_ids"] = np.full((len(encodings), width), pad_id, dtype=np.int64)
        for i, e in enumerate(encodings):
            arrays["input_ids"][i, : len(e.ids)] = e.ids
            arrays["attention_mask"][i, : len(e.ids)] = e.attention_mask
            arrays["token_type_ids"][i, : len(e.ids)] = e.type_ids
        return arrays

    return tokenize


class OnnxEncoder:
    """Encode texts with an exported graph; thread-safe (ONNX Runtime sessions are).

    Parameters
    ----------
    graph: the serialised ONNX model, or the path of a saved one.
    tokenize: turns texts into the graph's int64 inputs (:func:`model_tokenizer`, :func:`file_tokenizer`).
    """

    def __init__(self, graph: bytes | Path, tokenize: Tokenize):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle ORT threads would otherwise spin and steal the cores numpy needs between calls.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        threads = os.environ.get("AVA_EMBEDDER_THREADS", "").strip()
        if threads:  # e.g. one per Spark task slot, so parallel workers do not oversubscribe the cores
            if not threads.isdigit() or int(threads) < 1:
                raise ConfigError(f"AVA_EMBEDDER_THREADS must be a positive integer, got {threads!r}.")
            options.intra_op_num_threads = int(threads)
        source = str(graph) if isinstance(graph, Path) else graph
        self._session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self._session.get_inputs()]
        self._tokenize = tokenize
        self.dimension = int(self._session.get_outputs()[0].shape[1])

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Return an (n, d) float32 array of L2-normalised embeddings, batches formed by length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")  # little padding per batch
        out: list[np.ndarray] = [np.zeros(0)] * len(texts)
        for lo in range(0, len(texts), batch_size):
            chunk = order[lo : lo + batch_size]
            tokens = self._tokenize([texts[i] for i in chunk])
            feed = {name: tokens[name] for name in self._inputs}
            vectors = self._session.run(None, feed)[0]
            for i, vector in zip(chunk, vectors):
                out[i] = vector
        return np.stack(out).astype(np.float32)


def export(model: Any) -> bytes:
    """Return the ONNX graph of a supported SentenceTransformer: transformer, mean pooling, normalisation."""
    import torch

    reason = unsupported_reason(model)
    if reason:
        raise ExportMismatch(f"Cannot export this embedder to ONNX: {reason}.")
    transformer = model[0].auto_model.eval()

    sample = model.preprocess(list(_PROBES[:2]))
    names = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in sample]

    class _Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            kwargs = dict(zip(names, inputs))
            hidden = self.transformer(**kwargs).last_hidden_state
            mask = kwargs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    buffer = io.BytesIO()
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer notes about shape-dependent branches; the probes check them
        torch.onnx.export(
            _Pooled(), tuple(sample[k] for k in names), buffer, input_names=names, output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}}, opset_version=17, dynamo=False,
        )
    return buffer.getvalue()


def build(model: Any, folder: str | Path | None = None) -> OnnxEncoder:
    """Export a SentenceTransformer and return its ONNX encoder, checked against PyTorch on the probe texts.

    With ``folder`` (the local folder the model was loaded from), when the folder's
    ``tokenizer.json`` gives the model's own token ids, the encoder tokenises with it (as a
    cached one would) and the verified graph is saved for :func:`load_cached`; an unwritable
    cache is skipped. Raises ExportMismatch when the model is not exportable or the graph disagrees.
    """
    graph = export(model)
    encoder = OnnxEncoder(graph, model_tokenizer(model))
    probes = list(_PROBES)
    expected = model.encode(probes, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    difference = float(np.abs(encoder.encode(probes) - expected).max())
    if not difference <= MAX_DIFFERENCE:
        raise ExportMismatch(f"The ONNX export differs from PyTorch by {difference:.2e} (> {MAX_DIFFERENCE}).")
    tokenize = _matching_file_tokenizer(model, Path(folder)) if folder is not None else None
    if tokenize is None:
        return encoder
    _save(graph, Path(folder), int(model.max_seq_length), difference)
    encoder._tokenize = tokenize  # same session; the ids are the same, the file tokeniser is faster
    return encoder


def load_cached(folder: str | Path) -> OnnxEncoder | None:
    """Return the encoder of a graph cached for this model folder and these libraries, or None."""
    path = cache_path(Path(folder))
    if path is None or not path.is_file() or not path.with_suffix(".json").is_file():
        return None
    try:
        sidecar = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        tokenize = file_tokenizer(Path(folder) / "tokenizer.json", int(sidecar["max_length"]))
        return OnnxEncoder(path, tokenize)
    except Exception:  # a damaged or foreign cache entry: export again
        return None


def cache_dir() -> Path:
    """Return where verified graphs are kept: ``AVA_ONNX_CACHE``, else ``$XDG_CACHE_HOME/ava/onnx`` or ``~/.cache/ava/onnx``."""
    env = os.environ.get("AVA_ONNX_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ava" / "onnx"


def cache_path(folder: Path) -> Path | None:
    """Return the cache file of a model folder, named by the content of its files and the library versions.

    Content, not size and modification time: a fine-tune of the same size copied with its
    times kept must not be served the old graph. Hashing the 90 MB default takes about 50 ms.
    """
    if not (folder / "tokenizer.json").is_file():
        return None
    digest = hashlib.sha256(f"format {FORMAT_VERSION}".encode())
    for name in ("torch", "transformers", "sentence-transformers", "onnx", "onnxruntime", "tokenizers"):
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        with open(file, "rb") as fh:
            digest.update(f"{file.relative_to(folder)}:{hashlib.file_digest(fh, 'sha256').hexdigest()}".encode())
    try:
        root = cache_dir()
    except (KeyError, RuntimeError):  # no home folder to put a cache in
        return None
    return root / f"{folder.parent.name}-{folder.name}-{digest.hexdigest()[:16]}.onnx"


def _matching_file_tokenizer(model: Any, folder: Path) -> Tokenize | None:
    """Return the folder's file tokeniser if it gives the model's own ids on the probes (padding included), else None."""
    probes = list(_PROBES)
    try:
        ours = file_tokenizer(folder / "tokenizer.json", int(model.max_seq_length))
        theirs, mine = model_tokenizer(model)(probes), ours(probes)
    except Exception:  # no or unreadable tokenizer.json
        return None
    same = set(theirs) == set(mine) and all(np.array_equal(theirs[k], mine[k]) for k in theirs)
    return ours if same else None


def _save(graph: bytes, folder: Path, max_length: int, difference: float) -> None:
    path = cache_path(folder)
    if path is None:
        return
    sidecar = {"format": FORMAT_VERSION, "max_length": max_length, "max_difference_vs_torch": difference}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The sidecar first, the graph last: a graph on disk always has its sidecar. Both atomic.
        for target, data in ((path.with_suffix(".json"), json.dumps(sidecar).encode()), (path, graph)):
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            try:
                tmp.write_bytes(data)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)  # a full disk leaves no 90 MB fragment behind
    except OSError:
        return  # a read-only or full cache: every process exports in memory
