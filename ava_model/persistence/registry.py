"""Fetch a registered AVA model (``models:/ava@champion``, ``runs:/...``) from MLflow to a local folder.

The run that logged a model records the artifact's sha256 as the tag ``ava.artifact_sha256``. The
tag lives in the tracking store, which the artifact cannot write, so a downloaded artifact is checked
against it (as well as against its own manifest) before it is read.

An unreachable tracking server fails fast: unless the caller set them, MLflow's HTTP retries and
timeout are bounded (``AVA_REGISTRY_TIMEOUT`` seconds per request, default 4, one retry).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ava_model.errors import ArtifactError
from ava_model.locations import state_dir

SHA_TAG = "ava.artifact_sha256"
_DEFAULT_TIMEOUT_S = 4


def tracking_uri() -> str:
    """Return ``MLFLOW_TRACKING_URI`` or the repository's SQLite store."""
    default = state_dir() / "mlflow.db"
    return os.environ.get("MLFLOW_TRACKING_URI", f"sqlite:///{default}")


def bound_http_retries() -> None:
    """Bound MLflow's HTTP timeout and retries (only where the caller has not set them)."""
    raw = os.environ.get("AVA_REGISTRY_TIMEOUT", str(_DEFAULT_TIMEOUT_S))
    try:
        timeout = max(1, int(float(raw)))
    except ValueError:
        raise ArtifactError(f"AVA_REGISTRY_TIMEOUT must be a number of seconds, got {raw!r}.") from None
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(timeout))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")  # MLflow reads an int


@dataclass(frozen=True)
class DownloadedModel:
    """A registry model fetched to a local folder, with the checksum its run pinned (None if untagged)."""

    directory: Path
    expected_sha256: str | None


def _run_id(client, uri: str) -> str:
    """Return the id of the run behind a ``models:/name@alias``, ``models:/name/version`` or ``runs:/`` URI."""
    if uri.startswith("runs:/"):
        return uri[len("runs:/"):].split("/", 1)[0]
    target = uri[len("models:/"):]
    if "@" in target:
        name, alias = target.split("@", 1)
        return client.get_model_version_by_alias(name, alias.strip("/")).run_id
    match = re.fullmatch(r"([^/]+)/(\d+)/?", target)
    if match:
        return client.get_model_version(match.group(1), match.group(2)).run_id
    name, stage = target.rsplit("/", 1) if "/" in target else (target, "None")
    versions = client.get_latest_versions(name, stages=[stage])
    if not versions:
        raise ArtifactError(f"{uri!r}: model {name!r} has no version in stage {stage!r}.")
    return versions[0].run_id


def download_model(uri: str) -> DownloadedModel:
    """Return the local artifact folder of a registered or logged AVA model and its pinned checksum.

    A SQLite store that does not exist is an ArtifactError naming it: loading a model never creates a database.
    """
    store = tracking_uri()
    if store.startswith("sqlite:///") and not Path(store.removeprefix("sqlite:///")).is_file():
        raise ArtifactError(f"Cannot fetch {uri!r}: the MLflow store {store} does not exist yet (nothing was "
                            "trained or registered there). Train with `make train`, or set MLFLOW_TRACKING_URI.")
    bound_http_retries()
    import mlflow
    from mlflow.tracking import MlflowClient

    mlflow.set_tracking_uri(tracking_uri())
    try:
        client = MlflowClient()
        run_id = _run_id(client, uri)  # one small request first: an unreachable store fails here, quickly
        pinned = client.get_run(run_id).data.tags.get(SHA_TAG)
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except ArtifactError:
        raise
    except Exception as exc:  # MLflow raises many types; the user needs the URI and the store
        raise ArtifactError(f"Cannot fetch {uri!r} from the MLflow store {tracking_uri()}: {exc}") from exc
    manifests = sorted(local.rglob("manifest.json"))
    if manifests:
        return DownloadedModel(manifests[0].parent, pinned)
    raise ArtifactError(f"{uri!r} holds no AVA artifact (no manifest.json under {local}).")
