"""The real all-MiniLM-L6-v2 embedder, offline, with its on-disk cache."""

from __future__ import annotations

import numpy as np

from ava_model.embedding import DEFAULT_EMBEDDER, Embedder, embedder_name


def test_real_model_embeds_normalised_vectors(embedder):
    vectors = embedder.encode(["A woman sings on stage", "A singer performs a song live", "A tax form on a desk"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_disk_cache_reembeds_only_new_prompts(tmp_path, embedder, monkeypatch):
    first = Embedder(cache_dir=tmp_path)
    first._model = embedder.model  # share the loaded weights; the encode path is the real one
    a = first.encode(["one prompt about a cat", "another about a dog"])
    shards = list((tmp_path / DEFAULT_EMBEDDER).glob("*.npz"))
    assert len(shards) == 1
    second = Embedder(cache_dir=tmp_path)
    second._model = embedder.model
    calls = []
    original = second.model.encode
    monkeypatch.setattr(second.model, "encode", lambda texts, **kw: calls.append(list(texts)) or original(texts, **kw))
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
