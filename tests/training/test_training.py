"""Training: the one data path (prepare), and a real run on the shared benchmarks: MLflow run, registry version, champion alias."""

from __future__ import annotations

import json

import pytest

from ava_training.config import TrainConfig
from ava_training.paths import authored_dir, cache_dir


@pytest.mark.shared
def test_train_logs_registers_and_gates(tmp_path, shared_dir, monkeypatch):
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)
    from ava_training.pipeline import run_training

    config = TrainConfig(
        data_dir=shared_dir, authored_dir=authored_dir(), out_dir=tmp_path / "artifact",
        cache_dir=cache_dir() / "embeddings", head_candidates=(("svm", 4.0),), cv_folds=3,
    )
    result = run_training(config)
    summary = result.summary()
    print(summary.round(3).to_string())
    # the embedding classifier must beat TF-IDF + LR on mean ROC AUC, and the base rate on Brier
    assert summary.loc["ava", "roc_auc"] > summary.loc["tfidf_lr", "roc_auc"]
    assert summary.loc["ava", "brier"] < summary.loc["base_rate", "brier"]
    assert result.manifest["sources"]["vbench2"] == 1013

    mlflow.set_tracking_uri(uri)
    run = mlflow.get_run(result.run_id)
    assert run.data.params["rows.vbench2"] == "1013"
    assert run.data.tags["data_digest"] == result.manifest["data_digest"]
    assert "physics.ava.roc_auc" in run.data.metrics
    artifacts = {a.path for a in MlflowClient().list_artifacts(result.run_id)}
    assert {"reliability.png", "MODEL_CARD.md", "heldout_metrics.csv"} <= artifacts
    assert result.model_version == "1" and result.promoted
    version = MlflowClient().get_model_version_by_alias("ava", "champion")
    assert str(version.version) == "1"

    from ava_model.api import load

    predictor = load("models:/ava@champion")
    report = predictor.predict("A glass of red wine tips over and spills across a white tablecloth", "cogvideox")
    assert report.risks["physics"] == pytest.approx(
        load(result.artifact_dir).predict(report.prompt, "cogvideox").risks["physics"]
    )

    # the registered model is also an mlflow.pyfunc model: MLflow serving answers the same risks
    import pandas as pd

    pyfunc = mlflow.pyfunc.load_model("models:/ava@champion")
    frame = pd.DataFrame({"prompt": [report.prompt, "Seven balloons over a table"], "platform": ["cogvideox", "pika"]})
    served = pyfunc.predict(frame)
    expected = predictor.predict_proba(frame["prompt"].tolist(), frame["platform"].tolist())
    assert list(served.columns) == list(expected.columns) + ["top_mode", "light"]
    modes = list(expected.columns)
    assert abs(served[modes].to_numpy() - expected.to_numpy()).max() < 1e-5  # float noise of batch shapes only
    assert served["top_mode"].tolist() == expected.idxmax(axis=1).tolist()
    signature = mlflow.models.get_model_info("models:/ava@champion").signature
    assert signature.inputs.input_names() == ["prompt", "platform", "user"]
    assert signature.outputs.input_names() == modes + ["top_mode", "light"]

    # the run pinned the artifact's sha256 where the artifact cannot write; a pin that disagrees refuses the load
    from ava_model.errors import ArtifactMismatch
    from ava_model.persistence.registry import SHA_TAG

    assert run.data.tags[SHA_TAG] == json.loads((result.artifact_dir / "manifest.json").read_text())["sha256"]
    MlflowClient().set_tag(result.run_id, SHA_TAG, "0" * 64)
    with pytest.raises(ArtifactMismatch, match="pinned expected_sha256"):
        load("models:/ava@champion")
    MlflowClient().delete_tag(result.run_id, SHA_TAG)  # an unpinned registry model fails closed...
    with pytest.raises(ArtifactMismatch, match="no 'ava.artifact_sha256' tag"):
        load("models:/ava@champion")
    monkeypatch.setenv("AVA_ALLOW_UNPINNED_REGISTRY", "1")  # ...unless the caller opts in
    assert load("models:/ava@champion").model.modes == result.model.modes


def test_unreachable_registry_fails_fast_naming_the_uri(monkeypatch):
    import time

    from ava_model.api import load
    from ava_model.errors import ArtifactError

    for key in ("MLFLOW_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # discard port: nothing listens
    started = time.perf_counter()
    with pytest.raises(ArtifactError, match=r"models:/ava@champion.*http://127\.0\.0\.1:9"):
        load("models:/ava@champion")
    print(f"unreachable registry: ArtifactError after {time.perf_counter() - started:.1f} s")


def test_prepare_rebuilds_the_split_and_scores_the_run_saw(small_training):
    """prepare() is the one data path: run again, it gives the run's split, features and held-out scores."""
    import numpy as np

    from ava_training.prepare import prepare
    from ava_training.scoring import predict_heldout

    config = TrainConfig(**_small_config_fields(small_training))
    prepared = prepare(config, show_progress=False)
    assert prepared.matrix.prompts == small_training.matrix.prompts
    np.testing.assert_array_equal(prepared.test_mask, small_training.test_mask)
    np.testing.assert_allclose(prepared.features, small_training.features, rtol=0, atol=1e-6)  # float32 cache round trip
    assert prepared.topic_features.shape[1] + 2 * len(prepared.matrix.modes) == prepared.features.shape[1]
    again = predict_heldout(small_training.model, prepared)
    for mode, scored in small_training.heldout.predictions.items():
        np.testing.assert_allclose(again.predictions[mode]["ava"], scored["ava"], rtol=0, atol=1e-6)
        np.testing.assert_array_equal(again.labels[mode], small_training.heldout.labels[mode])


def _small_config_fields(result) -> dict:
    """The TrainConfig fields the small session model was trained with (recorded in its manifest)."""
    from pathlib import Path

    params = result.manifest["config"]
    return {"authored_dir": Path(params["authored_dir"]), "sources": (), "published_rates": False,
            "cache_dir": Path(params["cache_dir"]), "track": False, "register": False}


def test_fit_heads_bar_can_be_turned_off_for_callers_with_their_own(capsys):
    import numpy as np

    from ava_model.core.features import STRUCTURE_FEATURES
    from ava_training.fit import fit_heads

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8 + len(STRUCTURE_FEATURES)))
    Y = (X[:, :1] > 0).astype(float)
    groups = np.arange(60)
    fit = dict(candidates=(("svm", 1.0),), folds=3, calibration="sigmoid", seed=0)
    heads = fit_heads(X, Y, np.ones_like(Y), groups, ("physics",), **fit).heads
    assert "training heads" in capsys.readouterr().err
    quiet = fit_heads(X, Y, np.ones_like(Y), groups, ("physics",), progress=False, **fit).heads
    assert capsys.readouterr().err == ""
    assert np.allclose(quiet["physics"].predict_proba(X), heads["physics"].predict_proba(X))
