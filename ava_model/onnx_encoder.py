"""The embedder's transformer run by ONNX Runtime: the same vectors, about twice as fast on CPU.

A sentence-transformers model made of ``[Transformer, Pooling(mean), Normalize]`` (the
default all-MiniLM-L6-v2 is) is exported once per process, in memory, to an ONNX graph
that includes the mean pooling and normalisation. Tokenisation stays the
sentence-transformers tokeniser, so inputs are identical. Before the export is used,
:func:`build` checks it against the PyTorch model on probe texts of very different
lengths (one longer than the model's maximum); a graph that disagrees is refused.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np

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


class OnnxEncoder:
    """Encode texts with an exported graph; thread-safe (ONNX Runtime sessions are).

    Parameters
    ----------
    graph: the serialised ONNX model.
    model: the SentenceTransformer it was exported from (its tokeniser is used).
    threads: intra-op threads, default all cores.
    """

    def __init__(self, graph: bytes, model: Any, threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        # Idle ORT threads would otherwise spin and steal the cores numpy needs between calls.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self._session.get_inputs()]
        self._model = model

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Return an (n, d) float32 array of L2-normalised embeddings, batches formed by length."""
        order = np.argsort([-len(t) for t in texts], kind="stable")  # little padding per batch
        out: list[np.ndarray] = [np.zeros(0)] * len(texts)
        for lo in range(0, len(texts), batch_size):
            chunk = order[lo : lo + batch_size]
            tokens = self._model.preprocess([texts[i] for i in chunk])
            feed = {name: tokens[name].numpy().astype(np.int64) for name in self._inputs}
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


def build(model: Any, threads: int | None = None) -> OnnxEncoder:
    """Export a SentenceTransformer and return its ONNX encoder, checked against PyTorch on the probe texts.

    Raises ExportMismatch when the model is not exportable or the graph disagrees.
    """
    encoder = OnnxEncoder(export(model), model, threads)
    probes = list(_PROBES)
    expected = model.encode(probes, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    difference = float(np.abs(encoder.encode(probes) - expected).max())
    if not difference <= MAX_DIFFERENCE:
        raise ExportMismatch(f"The ONNX export differs from PyTorch by {difference:.2e} (> {MAX_DIFFERENCE}).")
    return encoder
