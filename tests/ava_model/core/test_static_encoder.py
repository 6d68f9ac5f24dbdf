"""The static embedder: model2vec distilled offline from the packaged all-MiniLM-L6-v2, behind the Embedder API.

The distillation (about a minute on two cores) runs once into the repository's ``.cache/static`` and
is reused by later runs, as the verified ONNX graph is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("model2vec", reason="the static embedder needs the 'static' extra (model2vec)")

from ava_model.core import static_encoder  # noqa: E402
from ava_model.core.embedding import DEFAULT_EMBEDDER, STATIC_EMBEDDER, Embedder, _resolve, is_static  # noqa: E402
from ava_model.errors import ConfigError  # noqa: E402
from ava_training.paths import cache_dir  # noqa: E402

TEXTS = ["A woman sings on stage", "A singer performs a song live", "A tax form on a desk",
         "Seven balloons over a market; a neon sign reads 'OPEN'. " * 80]  # longer than MiniLM's 256 tokens


@pytest.fixture(scope="module")
def static_cache():
    """The repository's static-model cache (distilled on the first run, reused after)."""
    previous = os.environ.get("AVA_STATIC_CACHE")
    os.environ["AVA_STATIC_CACHE"] = str(cache_dir() / "static")
    yield Path(os.environ["AVA_STATIC_CACHE"])
    if previous is None:
        os.environ.pop("AVA_STATIC_CACHE", None)
    else:
        os.environ["AVA_STATIC_CACHE"] = previous


@pytest.fixture(scope="module")
def static(static_cache) -> Embedder:
    embedder = Embedder(STATIC_EMBEDDER)
    assert embedder.backend_used == "static"  # distils into the cache when it is not there yet
    return embedder


def test_static_embedder_gives_normalised_vectors_that_keep_meaning(static):
    vectors = static.encode(TEXTS)
    assert vectors.shape == (4, static_encoder.PCA_DIMS) and vectors.dtype == np.float32
    assert static.dimension == static_encoder.PCA_DIMS
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1
    np.testing.assert_allclose(static.encode(TEXTS[1:2]), vectors[1:2], atol=1e-6)  # no batch effect


def test_distilled_model_is_cached_by_content_and_loads_as_a_local_folder(static, static_cache):
    folder = static_encoder.cache_path(_resolve(DEFAULT_EMBEDDER))
    assert folder.parent == static_cache and static_encoder.is_static_folder(folder)
    assert "/" not in json.loads((folder / "config.json").read_text())["tokenizer_name"]  # no path of this machine
    by_path = Embedder(str(folder))
    assert is_static(str(folder)) and by_path.backend_used == "static"
    np.testing.assert_allclose(by_path.encode(TEXTS), static.encode(TEXTS), atol=1e-6)


def test_each_pca_axis_has_a_canonical_sign(static):
    from safetensors.numpy import load_file

    folder = static_encoder.cache_path(_resolve(DEFAULT_EMBEDDER))
    table = next(iter(load_file(str(folder / "model.safetensors")).values())).astype(np.float32)
    assert table.shape[1] == static_encoder.PCA_DIMS
    peaks = table[np.abs(table).argmax(axis=0), np.arange(table.shape[1])]
    assert (peaks > 0).all()


def test_cached_static_model_is_reused_without_distilling_or_torch(static, static_cache):
    script = (
        "import sys, json; from ava_model.core import static_encoder; "
        "static_encoder.distill = lambda *a, **k: sys.exit('distilled again'); "
        "from ava_model.core.embedding import Embedder, STATIC_EMBEDDER; e = Embedder(STATIC_EMBEDDER); "
        f"v = e.encode({TEXTS[:2]!r}); print(json.dumps([e.backend_used, 'torch' in sys.modules, v.tolist()]))"
    )
    env = {**os.environ, "AVA_STATIC_CACHE": str(static_cache)}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    backend, torch_loaded, vectors = json.loads(run.stdout.strip().splitlines()[-1])
    assert (backend, torch_loaded) == ("static", False)
    np.testing.assert_allclose(np.array(vectors), static.encode(TEXTS[:2]), atol=1e-6)


def test_static_vectors_never_share_the_transformer_cache(static, tmp_path):
    first = Embedder(STATIC_EMBEDDER, cache_dir=tmp_path)
    first._static, first._started = static._static, True  # the loaded table; encoding is real
    first.encode(TEXTS[:2])
    assert [p.name for p in tmp_path.iterdir()] == [STATIC_EMBEDDER]
    assert not (tmp_path / DEFAULT_EMBEDDER).exists()
    again = Embedder(STATIC_EMBEDDER, cache_dir=tmp_path)
    again._static, again._started = static._static, True
    np.testing.assert_allclose(again.encode(TEXTS[:2]), static.encode(TEXTS[:2]), atol=1e-6)
    assert len(again._memory) == 2


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_transformer_backends_refuse_a_static_embedder(backend):
    with pytest.raises(ConfigError, match=rf"{STATIC_EMBEDDER}.*backend '{backend}'.*auto, static"):
        Embedder(STATIC_EMBEDDER, backend=backend)


def test_static_backend_refuses_the_transformer_and_unknown_backends_list_it():
    with pytest.raises(ConfigError, match=rf"'static' cannot run the transformer '{DEFAULT_EMBEDDER}'.*{STATIC_EMBEDDER}"):
        Embedder(DEFAULT_EMBEDDER, backend="static")
    with pytest.raises(ConfigError, match=r"'onnx-int8'; valid: auto, onnx, torch, static"):
        Embedder(backend="onnx-int8")


def test_env_backend_static_is_read(monkeypatch, static_cache):
    monkeypatch.setenv("AVA_EMBEDDER_BACKEND", "static")
    monkeypatch.setenv("AVA_EMBEDDER", STATIC_EMBEDDER)
    embedder = Embedder()
    assert (embedder.name, embedder.backend, embedder.static) == (STATIC_EMBEDDER, "static", True)


def test_distill_refuses_a_folder_without_a_tokenizer(tmp_path):
    with pytest.raises(ConfigError, match="not a local model folder with a tokenizer.json"):
        static_encoder.distill(tmp_path, tmp_path / "out")


def test_the_shipped_static_model_scores_like_the_default_in_kind(static):
    """ava_model/artifacts/static: heads trained on the static vectors, loaded and scored through the public API."""
    import ava_model
    from ava_model.persistence.artifact import default_artifact_dir

    predictor = ava_model.load(default_artifact_dir().parent / "static")
    assert predictor.embedder.name == STATIC_EMBEDDER and predictor.embedder.backend_used == "static"
    risks = predictor.predict_proba(["A man says 'Hi' to the camera",
                                     "A man delivers a thirty-second speech to the camera, talking nonstop",
                                     "A bowl of fruit on a table, static shot, no people, no text"], "sora-2")
    assert risks["lip_sync"][1] > 0.5 > risks["lip_sync"][0] and risks["lip_sync"][2] < 0.05
    assert predictor.predict("A neon sign reads 'OPEN ALL NIGHT'", "veo-3").light in ("green", "yellow", "red")
