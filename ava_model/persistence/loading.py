"""Load a scorer from an artifact folder, an ``ava.joblib`` path or an MLflow ``models:/`` URI, checked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

from ava_model.core.embedding import Embedder
from ava_model.core.scorer import Scorer
from ava_model.rules.taxonomy import load_rules

S = TypeVar("S", bound=Scorer)


def load_scorer(uri: str | os.PathLike[str] | None = None, expected_sha256: str | None = None,
                cls: type[S] = Scorer) -> S:  # type: ignore[assignment]
    """Return a ``cls`` (a Scorer or a subclass) for an artifact folder, an ``ava.joblib`` path or an MLflow ``models:/`` URI.

    With no argument: ``AVA_MODEL_URI`` if set, else the model shipped in the package.
    ``expected_sha256`` pins the artifact file's checksum from outside the artifact; a registry model is
    also checked against the checksum its training run recorded. Loading refuses any pickle that names
    a global outside AVA's allow-list (:class:`~ava_model.errors.UnsafeArtifact`).
    """
    from ava_model.persistence.artifact import load_artifact
    from ava_model.errors import ArtifactMismatch

    uri = uri if uri is not None else os.environ.get("AVA_MODEL_URI")
    if uri is not None and str(uri).startswith(("models:/", "runs:/")):
        from ava_model.persistence.registry import download_model

        from ava_model.persistence.artifact import normalise_sha256

        downloaded = download_model(str(uri))
        directory: Path | None = downloaded.directory
        pinned = downloaded.expected_sha256
        if pinned and expected_sha256 and normalise_sha256(pinned) != normalise_sha256(expected_sha256):
            raise ArtifactMismatch(f"{uri!r}: the registry run pins sha256 {pinned}, the caller "
                                   f"pins {expected_sha256}; refusing to load.")
        if not pinned and not expected_sha256 and os.environ.get("AVA_ALLOW_UNPINNED_REGISTRY") != "1":
            raise ArtifactMismatch(
                f"{uri!r}: its training run has no 'ava.artifact_sha256' tag, so nothing outside the artifact pins "
                "its checksum. Retrain and register it (`make train`), pass expected_sha256=..., or set "
                "AVA_ALLOW_UNPINNED_REGISTRY=1 to load it on the allow-list check alone."
            )
        expected_sha256 = expected_sha256 or pinned
    else:
        directory = Path(uri) if uri is not None else None
    model, manifest = load_artifact(directory, expected_sha256=expected_sha256)
    from ava_model.core.features import STRUCTURE_FEATURES

    trained_on = manifest.get("structure_features")
    if trained_on is not None and list(trained_on) != list(STRUCTURE_FEATURES):
        raise ArtifactMismatch(
            f"The model was trained on structure features {trained_on}; this library computes "
            f"{list(STRUCTURE_FEATURES)}. Retrain with `make train`."
        )
    rules = load_rules()
    missing = [m for m in model.modes if m not in rules.mode_ids]
    if missing:
        raise ArtifactMismatch(
            f"The model predicts modes {', '.join(missing)} that the rules no longer define. Retrain with `make train`."
        )
    return cls(model=model, manifest=manifest, rules=rules, embedder=Embedder(model.embedder))
