"""The real all-MiniLM-L6-v2 embedder, offline, with its on-disk cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ava_model.core.embedding import DEFAULT_EMBEDDER, Embedder, embedder_name
from ava_model.errors import ConfigError


def test_real_model_embeds_normalised_vectors(embedder):
    vectors = embedder.encode(["A woman sings on stage", "A singer performs a song live", "A tax form on a desk"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def _sharing_weights(embedder: Embedder, cache_dir) -> Embedder:
    """A new Embedder on its own vector cache that reuses the loaded model and backend; encoding is real."""
    fresh = Embedder(cache_dir=cache_dir)
    embedder._start()
    fresh._model, fresh._onnx, fresh._started = embedder._model, embedder._onnx, True
    return fresh


def test_disk_cache_reembeds_only_new_prompts(tmp_path, embedder, monkeypatch):
    first = _sharing_weights(embedder, tmp_path)
    a = first.encode(["one prompt about a cat", "another about a dog"])
    shards = list((tmp_path / DEFAULT_EMBEDDER).glob("*.npz"))
    assert len(shards) == 1
    second = _sharing_weights(embedder, tmp_path)
    calls = []
    original = second._encode
    monkeypatch.setattr(second, "_encode", lambda texts, progress: calls.append(list(texts)) or original(texts, progress))
    b = second.encode(["another about a dog", "one prompt about a cat", "a new one about a horse"])
    assert calls == [["a new one about a horse"]]
    np.testing.assert_allclose(b[:2], a[::-1], atol=1e-6)
    assert len(list((tmp_path / DEFAULT_EMBEDDER).glob("*.npz"))) == 2


def test_embedder_name_is_configurable(monkeypatch):
    monkeypatch.delenv("AVA_EMBEDDER", raising=False)
    assert embedder_name() == DEFAULT_EMBEDDER
    monkeypatch.setenv("AVA_EMBEDDER", "/models/my-embedder")
    assert embedder_name() == "/models/my-embedder"
    assert Embedder().name == "/models/my-embedder"


TEXTS = [
    "a cat",
    "A man in a red coat says 'we should leave before the storm reaches the harbour' and walks away.",
    "Seven balloons over a market; a neon sign reads 'OPEN'. " * 40,  # longer than the model's 256 tokens
    "Ein Hund läuft über eine Brücke im Regen",
]


def test_onnx_backend_gives_the_pytorch_vectors(embedder):
    assert embedder.backend_used == "onnx"  # onnxruntime is a dependency; auto must pick it
    torch_vectors = embedder.model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    onnx_vectors = embedder._onnx.encode(TEXTS, batch_size=3)  # mixed lengths in one padded batch, then one alone
    assert np.abs(onnx_vectors - torch_vectors).max() < 1e-5
    np.testing.assert_allclose(embedder._onnx.encode(TEXTS[1:2]), onnx_vectors[1:2], atol=1e-6)  # padding-free


def test_file_tokenizer_gives_the_model_token_ids(embedder):
    from ava_model.core import onnx_encoder
    from ava_model.core.embedding import _resolve

    ours = onnx_encoder.file_tokenizer(Path(_resolve(DEFAULT_EMBEDDER)) / "tokenizer.json", 256)(TEXTS)
    theirs = onnx_encoder.model_tokenizer(embedder.model)(TEXTS)
    assert ours["input_ids"].shape == (len(TEXTS), 256)  # the long text is truncated at the model's maximum
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        np.testing.assert_array_equal(ours[key], theirs[key])


def test_cached_graph_starts_without_torch_and_gives_the_same_vectors(tmp_path, embedder, monkeypatch):
    from ava_model.core import onnx_encoder
    from ava_model.core.embedding import _resolve

    monkeypatch.setenv("AVA_ONNX_CACHE", str(tmp_path))
    folder = Path(_resolve(DEFAULT_EMBEDDER))
    onnx_encoder.build(embedder.model, folder)  # verified, then saved
    assert onnx_encoder.cache_path(folder).is_file()
    script = (
        "import sys, json; from ava_model.core.embedding import Embedder; e = Embedder(); "
        f"v = e.encode({TEXTS[:2]!r}); print(json.dumps([e.backend_used, 'torch' in sys.modules, v.tolist()]))"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, timeout=120)
    assert run.returncode == 0, run.stderr
    backend, torch_loaded, vectors = json.loads(run.stdout.strip().splitlines()[-1])
    assert (backend, torch_loaded) == ("onnx", False)
    expected = embedder.model.encode(TEXTS[:2], normalize_embeddings=True, convert_to_numpy=True)
    assert np.abs(np.array(vectors) - expected).max() < 1e-5


def test_damaged_cached_graph_is_ignored(tmp_path, monkeypatch):
    from ava_model.core import onnx_encoder
    from ava_model.core.embedding import _resolve

    monkeypatch.setenv("AVA_ONNX_CACHE", str(tmp_path))
    folder = Path(_resolve(DEFAULT_EMBEDDER))
    path = onnx_encoder.cache_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".json").write_text('{"max_length": 256}')
    path.write_bytes(b"not an onnx graph")
    assert onnx_encoder.load_cached(folder) is None


def test_required_onnx_backend_fails_clearly_and_once(tmp_path):
    from ava_model.core.onnx_encoder import ExportMismatch

    broken = Embedder(str(tmp_path / "no-such-model"), backend="onnx")
    with pytest.raises(ExportMismatch, match="AVA_EMBEDDER_BACKEND=onnx, but the ONNX encoder could not be built"):
        broken.encode(["a cat"])
    first = broken._failure
    with pytest.raises(ExportMismatch):
        broken.encode(["a dog"])
    assert broken._failure is first  # the failed start is not retried on every call


def test_torch_backend_and_unknown_backend(monkeypatch):
    assert Embedder(backend="torch").backend == "torch"
    monkeypatch.setenv("AVA_EMBEDDER_BACKEND", "tensorrt")
    with pytest.raises(ConfigError, match=r"'tensorrt'.*valid: auto, onnx, torch"):
        Embedder()


def test_unexportable_model_is_refused_by_name(embedder):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    from ava_model.core import onnx_encoder

    cls_pooled = SentenceTransformer(modules=[embedder.model[0], Pooling(384, pooling_mode="cls")], device="cpu")
    assert "not [Transformer, Pooling, Normalize]" in onnx_encoder.unsupported_reason(cls_pooled)
    with pytest.raises(onnx_encoder.ExportMismatch, match="Cannot export"):
        onnx_encoder.build(cls_pooled)



def test_long_encodes_show_progress_and_keep_order(embedder, capsys):
    fresh = _sharing_weights(embedder, None)
    texts = [f"prompt number {i}: a {'red' if i % 2 else 'blue'} kite over a beach" for i in range(300)]
    vectors = fresh.encode(texts, show_progress=True)
    assert "Embedding" in capsys.readouterr().err and vectors.shape == (300, 384)
    np.testing.assert_allclose(vectors[[7, 250]], embedder.model.encode([texts[7], texts[250]]), atol=1e-5)


def test_the_measured_batch_size_of_each_backend_changes_no_vector(embedder):
    from ava_model.core.embedding import BACKENDS, BATCH_SIZES

    assert set(BATCH_SIZES) == set(BACKENDS) - {"auto"}  # every backend that runs has a measured default
    texts = [f"Shot {i}: a chef plates dish number {i} " + "under warm light " * (i % 7) for i in range(40)]
    chosen = _sharing_weights(embedder, None)
    assert chosen.batch_size is None
    explicit = _sharing_weights(embedder, None)
    explicit.batch_size = 64
    np.testing.assert_allclose(chosen.encode(texts), explicit.encode(texts), atol=1e-5)
