"""Artifacts load only when their checksum and library versions match."""

from __future__ import annotations

import json
import shutil

import pytest

from ava_model.persistence.artifact import ARTIFACT_FILE, MANIFEST_FILE, load_artifact, save_artifact
from ava_model.errors import ArtifactError, ArtifactMismatch


def test_round_trip_keeps_predictions(small_training, small_predictor):
    manifest = json.loads((small_training.artifact_dir / MANIFEST_FILE).read_text())
    assert manifest["embedder"] == small_training.model.embedder
    assert set(manifest["libraries"]) >= {"scikit-learn", "sentence-transformers", "numpy", "ava-model"}
    assert len(manifest["sha256"]) == 64 and manifest["data_digest"] == small_training.manifest["data_digest"]
    assert (small_training.artifact_dir / "MODEL_CARD.md").read_text().startswith("# AVA model card")
    prompts = ["A man says 'I told you we should have left an hour ago, now look at us' to camera"]
    X = small_predictor.features(prompts)
    assert (small_predictor.model.exercise_proba(X) == small_training.model.exercise_proba(X)).all()


def test_tampered_artifact_is_refused(tmp_path, small_training):
    folder = tmp_path / "copy"
    shutil.copytree(small_training.artifact_dir, folder)
    data = bytearray((folder / ARTIFACT_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / ARTIFACT_FILE).write_bytes(bytes(data))
    with pytest.raises(ArtifactMismatch, match="sha256.*make train"):
        load_artifact(folder)


def test_other_library_versions_are_refused(tmp_path, small_training):
    folder = tmp_path / "copy"
    shutil.copytree(small_training.artifact_dir, folder)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["libraries"]["scikit-learn"] = "0.24.2"
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactMismatch, match=r"scikit-learn 0\.24\.2 \(artifact\)"):
        load_artifact(folder)


def test_missing_artifact_says_how_to_retrain(tmp_path):
    with pytest.raises(ArtifactError, match="make train"):
        load_artifact(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArtifactError, match="manifest.json"):
        load_artifact(tmp_path / "empty")


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    save_artifact({"a": 1}, tmp_path, {"x": 1}, card="# card")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MODEL_CARD.md", ARTIFACT_FILE, MANIFEST_FILE]


def test_loading_from_a_missing_sqlite_store_names_it_and_creates_nothing(tmp_path, monkeypatch):
    from ava_model.api import load
    from ava_model.errors import ArtifactError

    store = tmp_path / "nothing-here.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store}")
    with pytest.raises(ArtifactError, match=r"nothing-here\.db does not exist yet.*make train"):
        load("models:/ava@champion")
    assert not store.exists()
