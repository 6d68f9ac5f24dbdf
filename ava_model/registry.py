"""Fetch a registered AVA model (``models:/ava@champion``, ``runs:/...``) from MLflow to a local folder."""

from __future__ import annotations

import os
from pathlib import Path

from ava_model.errors import ArtifactError


def tracking_uri() -> str:
    """Return ``MLFLOW_TRACKING_URI`` or the repository's SQLite store."""
    default = Path(__file__).resolve().parents[1] / "mlflow.db"
    return os.environ.get("MLFLOW_TRACKING_URI", f"sqlite:///{default}")


def download_model(uri: str) -> Path:
    """Return the local artifact folder of a registered or logged AVA model."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except Exception as exc:  # MLflow raises many types; the user needs the URI and the store
        raise ArtifactError(f"Cannot fetch {uri!r} from the MLflow store {tracking_uri()}: {exc}") from exc
    manifests = sorted(local.rglob("manifest.json"))
    if manifests:
        return manifests[0].parent
    raise ArtifactError(f"{uri!r} holds no AVA artifact (no manifest.json under {local}).")
