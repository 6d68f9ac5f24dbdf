"""The analyst notebooks run top to bottom on a fresh kernel and are committed without outputs."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO_ROOT / "evaluation" / "notebooks"
NAMES = ("model_quality.ipynb", "drift.ipynb")


def _stream_text(nb) -> str:
    """Return every stdout/stderr stream and text/plain result of an executed notebook, joined."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output.get("text", ""))
            elif "data" in output:
                parts.append(output["data"].get("text/plain", ""))
    return "\n".join(parts)


def _execute(name: str, tmp_path: Path):
    """Execute a temporary copy of a notebook with the repository root as working directory."""
    copy = tmp_path / name
    shutil.copy(NOTEBOOKS / name, copy)  # outputs never reach the repository file
    nb = nbformat.read(copy, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(REPO_ROOT)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    nbformat.write(nb, copy)
    return nb


@pytest.fixture(scope="module")
def kernel_python() -> str:
    """The python3 kernel must run this interpreter (the venv), not some other Python on PATH."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    argv = spec.argv
    # jupyter_client replaces a bare "python" with sys.executable; an absolute path must be ours.
    exe = sys.executable if argv[0] in {"python", "python3", f"python3.{sys.version_info[1]}"} else argv[0]
    assert Path(exe).resolve() == Path(sys.executable).resolve(), (argv, sys.executable)
    return exe


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_stripped(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.get("outputs") == [], f"{name}: a code cell has outputs"
            assert cell.get("execution_count") is None, f"{name}: a code cell has an execution count"
    assert any(c.cell_type == "markdown" for c in nb.cells)


def test_model_quality_notebook_runs(tmp_path, kernel_python):
    nb = _execute("model_quality.ipynb", tmp_path)
    text = _stream_text(nb)
    assert "Loaded the champion" in text or "FALLBACK" in text
    auc = float(re.search(r"AVA_MEAN_AUC=([0-9.]+)", text).group(1))
    assert 0.5 < auc <= 1.0
    assert re.search(r"SHORTFALLS=\d+ SIGNIFICANT=\d+", text)
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 2  # reliability diagrams and the AUC bar chart


def test_drift_notebook_runs(tmp_path, kernel_python):
    nb = _execute("drift.ipynb", tmp_path)
    text = _stream_text(nb)
    assert "RESAMPLE_DRIFTED=False" in text, text[-3000:]
    assert "SHIFTED_DRIFTED=True" in text, text[-3000:]
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images  # the PSI bar chart


def test_notebooks_fall_back_without_registry_or_shared_data(tmp_path, monkeypatch, kernel_python):
    """Without an MLflow champion or the shared data, both notebooks say so and still run."""
    empty = tmp_path / "no_shared_data"
    empty.mkdir()
    monkeypatch.setenv("AVA_DATA_DIR", str(empty))  # the kernel inherits this process's environment
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty_mlflow.db'}")
    monkeypatch.delenv("AVA_MODEL_URI", raising=False)
    quality = _stream_text(_execute("model_quality.ipynb", tmp_path))
    assert "FALLBACK: using the packaged default model" in quality
    assert "FALLBACK: training a small model on the authored prompts only" in quality
    assert re.search(r"AVA_MEAN_AUC=0\.[5-9]", quality)
    drift = _stream_text(_execute("drift.ipynb", tmp_path))
    assert "FALLBACK: the reference holds authored prompts only." in drift
    assert "RESAMPLE_DRIFTED=False" in drift and "SHIFTED_DRIFTED=True" in drift
