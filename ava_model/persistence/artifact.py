"""Persist an AvaModel as a joblib file with a manifest, and load it only after checking both.

Unpickling runs code, so loading is a security boundary. The checksum in the manifest catches a
corrupted file but not a tampered one (whoever replaces the file can update the manifest), so the
pickle itself is read with an allow-list of globals (:mod:`ava_model.persistence.safe_load`), and a checksum
can be pinned where the artifact cannot write (``expected_sha256=``, or the registry run tag).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from ava_model.errors import ArtifactError, ArtifactMismatch
from ava_model.locations import PACKAGE_DIR

ARTIFACT_FILE = "ava.joblib"
MANIFEST_FILE = "manifest.json"
CARD_FILE = "MODEL_CARD.md"
# Libraries whose version changes what a pickle or an embedding means.
PINNED_LIBRARIES = ("scikit-learn", "sentence-transformers", "numpy")
# Manifest fields AVA reads, with their JSON types.
_MANIFEST_FIELDS: dict[str, type] = {"artifact": str, "sha256": str, "libraries": dict, "embedder": str,
                                     "modes": list, "structure_features": list}
_RETRAIN = "Retrain with `make train` (or `ava train`) in this environment, or install the versions above."


def default_artifact_dir() -> Path:
    """Return the folder of the model shipped inside the package."""
    return PACKAGE_DIR / "artifacts" / "default"


def library_versions() -> dict[str, str]:
    """Return the installed versions of ava-model and the pinned libraries."""
    versions = {}
    for name in ("ava-model", *PINNED_LIBRARIES):
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write bytes to path through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_artifact(model: Any, directory: str | Path, manifest: dict[str, Any], card: str | None = None) -> Path:
    """Write ``ava.joblib``, ``manifest.json`` (and the model card) into directory; return it."""
    import io

    import joblib

    directory = Path(directory)
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    payload = buffer.getvalue()
    full = {
        **manifest,
        "artifact": ARTIFACT_FILE,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "libraries": library_versions(),
    }
    atomic_write_bytes(directory / ARTIFACT_FILE, payload)
    atomic_write_bytes(directory / MANIFEST_FILE, json.dumps(full, indent=2, sort_keys=True).encode())
    if card is not None:
        atomic_write_bytes(directory / CARD_FILE, card.encode("utf-8"))
    return directory


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """Return the manifest of an artifact folder, checked to be a JSON object with the fields AVA reads."""
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        raise ArtifactError(f"No {MANIFEST_FILE} in {directory}: not an AVA artifact folder. {_RETRAIN}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactMismatch(f"{path} is not valid JSON ({exc}). {_RETRAIN}") from exc
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{path} must hold a JSON object, got {type(manifest).__name__}. {_RETRAIN}")
    for key, kind in _MANIFEST_FIELDS.items():
        if key in manifest and not isinstance(manifest[key], kind):
            raise ArtifactError(f"{path}: field {key!r} must be {kind.__name__}, got {type(manifest[key]).__name__}. "
                                f"{_RETRAIN}")
    if "sha256" not in manifest:
        raise ArtifactError(f"{path}: field 'sha256' is missing. {_RETRAIN}")
    name = manifest.get("artifact", ARTIFACT_FILE)
    if Path(name).name != name or name in ("", ".", ".."):
        raise ArtifactError(f"{path}: field 'artifact' must be a file name in the folder, got {name!r}. {_RETRAIN}")
    return manifest


def check_manifest(manifest: dict[str, Any], directory: Path, data: bytes, expected_sha256: str | None = None) -> None:
    """Raise ArtifactMismatch if the artifact's bytes or the library versions do not match.

    ``data``: the file's bytes, read once (the bytes checked are the bytes loaded; nothing can swap the
    file in between). ``expected_sha256``: a checksum pinned where the artifact cannot write (a registry
    run tag, the caller's code); the bytes must match it as well as the manifest.
    """
    path = directory / manifest.get("artifact", ARTIFACT_FILE)
    actual = hashlib.sha256(data).hexdigest()
    if expected_sha256 is not None and actual != normalise_sha256(expected_sha256):
        raise ArtifactMismatch(
            f"Artifact {path} has sha256 {actual}, the pinned expected_sha256 is {expected_sha256}: "
            "refusing to load it (the file is not the one that was pinned)."
        )
    if actual != manifest.get("sha256"):
        raise ArtifactMismatch(
            f"Artifact {path} has sha256 {actual[:16]}..., the manifest says "
            f"{str(manifest.get('sha256'))[:16]}...: the file was changed or corrupted; refusing to load it. "
            f"{_RETRAIN}"
        )
    installed = library_versions()
    wanted = manifest.get("libraries", {})
    diffs = [
        f"{lib} {wanted.get(lib)} (artifact) vs {installed[lib]} (installed)"
        for lib in PINNED_LIBRARIES
        if wanted.get(lib) != installed[lib]
    ]
    if diffs:
        raise ArtifactMismatch(f"Artifact {path} was built with other library versions: {'; '.join(diffs)}. {_RETRAIN}")


def check_model(model: Any, manifest: dict[str, Any], path: Path) -> None:
    """Raise ArtifactMismatch unless the loaded object is a complete AvaModel that agrees with its manifest."""
    from ava_model.core.model import AvaModel

    if not isinstance(model, AvaModel):
        raise ArtifactMismatch(f"{path} holds a {type(model).__name__}, not an AvaModel. {_RETRAIN}")
    modes = tuple(model.modes)
    if not modes or len(set(modes)) != len(modes):
        raise ArtifactMismatch(f"{path}: field 'modes' must list distinct mode ids, got {list(modes)}. {_RETRAIN}")
    for name in ("heads", "exposure_heads"):
        held = getattr(model, name) or {}
        missing, extra = [m for m in modes if m not in held], sorted(set(held) - set(modes))
        if missing or extra:
            raise ArtifactMismatch(f"{path}: field {name!r} lacks modes {missing} / has unknown modes {extra}; "
                                   f"the model predicts {list(modes)}. {_RETRAIN}")
        broken = [m for m in modes if not hasattr(held[m], "predict_proba")]
        if broken:
            raise ArtifactMismatch(f"{path}: field {name!r} has no fitted classifier for {broken}. {_RETRAIN}")
    if manifest.get("embedder") is not None and model.embedder != manifest["embedder"]:
        raise ArtifactMismatch(f"{path}: field 'embedder' is {model.embedder!r} in the model but "
                               f"{manifest['embedder']!r} in the manifest. {_RETRAIN}")
    if manifest.get("modes") is not None and list(manifest["modes"]) != list(modes):
        raise ArtifactMismatch(f"{path}: field 'modes' is {list(modes)} in the model but {manifest['modes']} in the "
                               f"manifest. {_RETRAIN}")


def load_artifact(directory: str | Path | None = None, expected_sha256: str | None = None) -> tuple[Any, dict[str, Any]]:
    """Return (model, manifest) from an artifact folder (or its ava.joblib) after checking it.

    The checks run in this order, each raising an ArtifactError subclass naming the file and field:
    manifest shape, checksum (and the pinned ``expected_sha256``), library versions, the pickle's globals
    against the allow-list (:mod:`ava_model.persistence.safe_load`; nothing off the list is imported), and the
    loaded model's schema (:func:`check_model`).
    """
    from ava_model.persistence.safe_load import safe_joblib_load

    directory = Path(directory) if directory is not None else default_artifact_dir()
    if directory.is_file():
        directory = directory.parent
    if not directory.exists():
        raise ArtifactError(f"Model artifact folder {directory} does not exist. {_RETRAIN}")
    manifest = read_manifest(directory)
    path = directory / manifest.get("artifact", ARTIFACT_FILE)
    if not path.is_file():
        raise ArtifactError(f"Artifact file {path} is missing. {_RETRAIN}")
    data = path.read_bytes()  # read once: the bytes checked are the bytes loaded
    check_manifest(manifest, directory, data, expected_sha256)
    model = safe_joblib_load(data, str(path))
    check_model(model, manifest, path)
    return model, manifest


def normalise_sha256(value: str) -> str:
    """Return a pinned checksum in the manifest's form (lower-case hex, no white space)."""
    return str(value).strip().lower()
