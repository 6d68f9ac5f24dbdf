"""Loading an artifact is a security boundary: a tampered pickle is refused before any of its code runs."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
import sys

import joblib
import pytest

import ava_model
from ava_model.persistence.artifact import ARTIFACT_FILE, MANIFEST_FILE, load_artifact
from ava_model.errors import ArtifactError, ArtifactMismatch, UnsafeArtifact
from ava_model.persistence.safe_load import is_allowed, untrusted_globals


class _Exploit:
    """A pickle payload that, when unpickled without restriction, creates a marker file."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def _rewrite(folder, payload: bytes, manifest_edit=None) -> None:
    """Replace ava.joblib and update the manifest's sha256, as an attacker with write access would."""
    (folder / ARTIFACT_FILE).write_bytes(payload)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["sha256"] = hashlib.sha256(payload).hexdigest()
    if manifest_edit:
        manifest_edit(manifest)
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))


def _joblib_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(obj, buffer, compress=3)
    return buffer.getvalue()


def test_malicious_pickle_with_updated_checksum_is_refused_and_runs_nothing(tmp_path, small_training):
    folder = _copy(small_training.artifact_dir, tmp_path / "evil")
    marker = tmp_path / "pwned"
    _rewrite(folder, _joblib_bytes({"model": _Exploit(str(marker))}))
    with pytest.raises(UnsafeArtifact, match=r"posix\.system|os\.system") as err:
        ava_model.load(folder)
    assert str(folder / ARTIFACT_FILE) in str(err.value)
    assert not marker.exists()
    # A plain (uncompressed) pickle is refused the same way.
    _rewrite(folder, pickle.dumps(_Exploit(str(marker))))
    with pytest.raises(UnsafeArtifact):
        load_artifact(folder)
    assert not marker.exists()


def test_every_refused_global_is_named_not_only_the_first(tmp_path):
    path = tmp_path / "two.joblib"
    path.write_bytes(_joblib_bytes([_Exploit("x"), _Exploit, shutil.rmtree]))
    refused = untrusted_globals(path)
    assert any(name.endswith(".system") for name in refused)
    assert f"{__name__}._Exploit" in refused and "shutil.rmtree" in refused


def test_the_shipped_and_a_trained_artifact_have_only_allowed_globals(small_training):
    from ava_model.persistence.artifact import default_artifact_dir

    assert untrusted_globals(default_artifact_dir() / ARTIFACT_FILE) == []
    assert untrusted_globals(small_training.artifact_dir / ARTIFACT_FILE) == []


@pytest.mark.parametrize(("module", "name", "allowed"), [
    ("sklearn.linear_model._logistic", "LogisticRegression", True),
    ("sklearn.calibration", "CalibratedClassifierCV", True),
    ("numpy", "float64", True),
    ("numpy", "load", False),  # a numpy function, not a type
    ("sklearn.utils._joblib", "load", False),
    ("ava_model.persistence.artifact", "atomic_write_bytes", False),
    ("ava_model.labels.store", "LabelStore", False),  # an AVA class that opens files is not allowed either
    ("builtins", "getattr", False),
    ("builtins", "eval", False),
    ("posix", "system", False),
    ("subprocess", "Popen", False),
])
def test_allow_list(module, name, allowed):
    assert is_allowed(module, name) is allowed


def test_malformed_artifacts_raise_artifact_error_naming_file_and_field(tmp_path, small_training):
    folder = _copy(small_training.artifact_dir, tmp_path / "bad")
    (folder / MANIFEST_FILE).write_text("[1, 2, 3]")
    with pytest.raises(ArtifactError, match=r"manifest\.json must hold a JSON object, got list"):
        load_artifact(folder)
    (folder / MANIFEST_FILE).write_text(json.dumps({"artifact": "../../etc/passwd", "sha256": "0"}))
    with pytest.raises(ArtifactError, match="field 'artifact' must be a file name"):
        load_artifact(folder)
    (folder / MANIFEST_FILE).write_text(json.dumps({"libraries": {}}))
    with pytest.raises(ArtifactError, match="field 'sha256' is missing"):
        load_artifact(folder)
    shutil.rmtree(folder)
    folder = _copy(small_training.artifact_dir, tmp_path / "empty")
    _rewrite(folder, b"")
    with pytest.raises(ArtifactError, match=r"ava\.joblib is empty"):
        load_artifact(folder)
    _rewrite(folder, b"not a pickle at all")
    with pytest.raises(ArtifactError, match="not a readable joblib pickle"):
        load_artifact(folder)
    good = (small_training.artifact_dir / ARTIFACT_FILE).read_bytes()
    _rewrite(folder, good[: len(good) // 2])
    with pytest.raises(ArtifactError, match="not a readable joblib pickle"):
        load_artifact(folder)


def test_schema_check_refuses_missing_heads_unknown_modes_and_embedder_mismatch(tmp_path, small_training):
    import dataclasses

    model = small_training.model
    cases = {
        "heads": dataclasses.replace(model, heads={}),
        "exposure_heads": dataclasses.replace(model, exposure_heads={m: h for m, h in model.exposure_heads.items()
                                                                      if m != model.modes[0]}),
        "unknown modes": dataclasses.replace(model, heads={**model.heads, "levitation": model.heads[model.modes[0]]}),
        "embedder": dataclasses.replace(model, embedder="some-other-encoder"),
    }
    for field, edited in cases.items():
        folder = _copy(small_training.artifact_dir, tmp_path / field.replace(" ", "_"))
        _rewrite(folder, _joblib_bytes(edited))
        with pytest.raises(ArtifactMismatch, match="field 'embedder'" if field == "embedder" else "field '.*heads'"):
            load_artifact(folder)
    folder = _copy(small_training.artifact_dir, tmp_path / "not_a_model")
    _rewrite(folder, _joblib_bytes({"heads": {}}))
    with pytest.raises(ArtifactMismatch, match="holds a dict, not an AvaModel"):
        load_artifact(folder)


def test_a_pinned_sha256_must_match(tmp_path, small_training):
    folder = _copy(small_training.artifact_dir, tmp_path / "pinned")
    sha = json.loads((folder / MANIFEST_FILE).read_text())["sha256"]
    model, _ = load_artifact(folder, expected_sha256=sha.upper())
    assert model.modes == small_training.model.modes
    # Another file with a consistent manifest (what an attacker can write) fails the pin.
    _rewrite(folder, _joblib_bytes(small_training.model.metadata))
    with pytest.raises(ArtifactMismatch, match="pinned expected_sha256 is " + sha):
        load_artifact(folder, expected_sha256=sha)


class _ForgedDtype:
    """A numpy dtype whose pickled state claims an object field inside plain bytes (reads memory as pointers)."""

    def __reduce__(self):
        import numpy as np

        return (np.dtype, ("V8", False, True), (3, "|", None, ("a",), {"a": (np.dtype("O"), 0)}, 8, 1, 0))


def test_a_forged_dtype_made_only_of_allowed_globals_is_refused(tmp_path):
    path = tmp_path / "dtype.joblib"
    path.write_bytes(_joblib_bytes({"heads": _ForgedDtype()}))
    refused = untrusted_globals(path)
    assert refused and "forged state" in refused[0]
    with pytest.raises(UnsafeArtifact, match="forged state"):
        from ava_model.persistence.safe_load import safe_joblib_load

        safe_joblib_load(path)


def test_a_refused_file_cannot_rewrite_an_allowed_class():
    from ava_model.core.model import AvaModel

    original = AvaModel.risk_and_exercise
    # GLOBAL AvaModel; BUILD (None, {'risk_and_exercise': set}) would setattr on the class itself.
    payload = (b"\x80\x02cava_model.model\nAvaModel\nN}X\x11\x00\x00\x00risk_and_exercisecbuiltins\nset\ns\x86b"
               b"cposix\nsystem\n.")
    refused = untrusted_globals(payload)
    assert any(r.startswith("BUILD on AvaModel") for r in refused)
    assert AvaModel.risk_and_exercise is original


def test_the_checker_does_not_import_modules_a_file_names():
    before = {m: m in sys.modules for m in ("sklearn.conftest", "sklearn.datasets")}
    payload = b"\x80\x02csklearn.conftest\nNope\n)Rcsklearn.datasets._base\nload_iris\n)R\x86."
    refused = untrusted_globals(payload)
    assert "sklearn.conftest.Nope" in refused and "sklearn.datasets._base.load_iris" in refused
    assert {m: m in sys.modules for m in before} == before
