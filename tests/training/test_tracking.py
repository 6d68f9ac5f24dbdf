"""The MLflow experiment is marked as classic ML, so MLflow 3's UI opens it on runs, not on its GenAI view."""

from __future__ import annotations


def test_experiment_is_created_and_kept_as_custom_model_development(tmp_path, monkeypatch):
    import mlflow

    from ava_training.tracking import EXPERIMENT, EXPERIMENT_KIND, EXPERIMENT_KIND_TAG, _experiment_id

    assert (EXPERIMENT_KIND_TAG, EXPERIMENT_KIND) == ("mlflow.experimentKind", "custom_model_development")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient(uri)

    created = _experiment_id(mlflow)
    assert client.get_experiment(created).tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND
    assert client.get_experiment(created).artifact_location == (tmp_path / "mlartifacts").as_uri()

    # An experiment made before the tag existed (or retagged in the UI) is marked on the next run.
    client.set_experiment_tag(created, EXPERIMENT_KIND_TAG, "genai_development")
    assert _experiment_id(mlflow) == created
    assert client.get_experiment_by_name(EXPERIMENT).tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND
