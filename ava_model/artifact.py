"""Persist an AvaModel as a joblib file with a manifest, and load it only after checking both.

Unpickling runs code, so loading is a trust boundary (as in skops): the file's sha256
must match the manifest and the manifest's library versions must match this process,
before joblib ever opens the file.
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

ARTIFACT_FILE = "ava.joblib"
MANIFEST_FILE = "manifest.json"
CARD_FILE = "MODEL_CARD.md"
# Libraries whose version changes what a pickle or an embedding means.
PINNED_LIBRARIES = ("scikit-learn", "sentence-transformers", "numpy")
_RETRAIN = "Retrain with `make train` (or `ava train`) in this environment, or install the versions above."


def default_artifact_dir() -> Path:
    """Return the folder of the model shipped inside the package."""
    return Path(__file__).parent / "artifacts" / "default"


def library_versions() -> dict[str, str]:
    """Return the installed versions of ava-model and the pinned libraries."""
    versions = {}
    for name in ("ava-model", *PINNED_LIBRARIES):
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    """Return the manifest of an artifact folder."""
    path = Path(directory) / MANIFEST_FILE
    if not path.is_file():
        raise ArtifactError(f"No {MANIFEST_FILE} in {directory}: not an AVA artifact folder. {_RETRAIN}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ArtifactMismatch(f"{path} is not valid JSON ({exc}). {_RETRAIN}") from exc


def check_manifest(manifest: dict[str, Any], directory: Path) -> None:
    """Raise ArtifactMismatch if the artifact's checksum or library versions do not match."""
    path = directory / manifest.get("artifact", ARTIFACT_FILE)
    if not path.is_file():
        raise ArtifactError(f"Artifact file {path} is missing. {_RETRAIN}")
    actual = sha256_file(path)
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


def load_artifact(directory: str | Path | None = None) -> tuple[Any, dict[str, Any]]:
    """Return (model, manifest) from an artifact folder (or its ava.joblib) after checking it."""
    import joblib

    directory = Path(directory) if directory is not None else default_artifact_dir()
    if directory.is_file():
        directory = directory.parent
    if not directory.exists():
        raise ArtifactError(f"Model artifact folder {directory} does not exist. {_RETRAIN}")
    manifest = read_manifest(directory)
    check_manifest(manifest, directory)
    model = joblib.load(directory / manifest.get("artifact", ARTIFACT_FILE))
    return model, manifest
