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


def _shown_warnings(nb) -> list[str]:
    """Return what an executed notebook shows on stderr, and any output naming a Python warning."""
    shown = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.get("output_type") == "stream" else \
                output.get("data", {}).get("text/plain", "")
            if output.get("name") == "stderr" or re.search(r"\w+Warning\b", text):
                shown.append(text)
    return shown


def _images(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


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
    assert not _shown_warnings(nb)  # tqdm.auto finds ipywidgets (test extra): no TqdmWarning


@pytest.fixture
def no_traffic(monkeypatch):
    """No score log, drift source or model URI reaches the kernel: the drift notebook simulates its traffic."""
    for name in ("AVA_SCORE_LOG", "AVA_DRIFT_SOURCE", "AVA_DRIFT_REFERENCE", "AVA_MODEL_URI"):
        monkeypatch.delenv(name, raising=False)


def _drifted_weeks(text: str) -> list[str]:
    return re.search(r"WINDOWS_DRIFTED=(\S+)", text).group(1).split(",")


def test_drift_notebook_runs(tmp_path, kernel_python, no_traffic):
    """The simulated traffic drifts from week 4: the verdict, the weekly tests and the labels all say so, cleanly."""
    nb = _execute("drift.ipynb", tmp_path)
    text = _stream_text(nb)
    assert "FALLBACK: no score log" in text and "CURRENT_DRIFTED=True" in text, text[-3000:]
    weeks = _drifted_weeks(text)
    assert {"2026-11-02", "2026-11-09"} <= set(weeks) and "2026-10-05" not in weeks, weeks
    flagged = re.search(r"PERFORMANCE_FLAGGED=(\S+)", text).group(1).split(",")
    assert "2026-11-09:lip_sync" in flagged and not any(f.startswith(("2026-10-05", "2026-10-12")) for f in flagged)
    assert _images(nb) >= 5  # histograms, drift over time, embedding map, platform mix, performance
    assert not _shown_warnings(nb)  # no TqdmWarning, no pandas warning, nothing on stderr


def test_drift_notebook_reads_a_score_log_and_the_label_store(tmp_path, monkeypatch, kernel_python, no_traffic,
                                                              shipped_predictor):
    """A score log written by ava_model.labels.score_log, spread over three weeks, and outcome labels in a store."""
    import json

    import pandas as pd

    from ava_evaluation.drift_demo import example_prompts, talking_head_ads
    from ava_model.labels import score_log
    from ava_model.labels.store import LabelStore

    log = tmp_path / "scores.jsonl"
    monkeypatch.setenv("AVA_SCORE_LOG", str(log))
    prompts = example_prompts() + talking_head_ads(30, seed=4)
    for i, prompt in enumerate(prompts):
        score_log.append(shipped_predictor.predict(prompt, ("kling", "veo-3")[i % 2], explain=False), user="test")
    start, examples = pd.Timestamp("2026-03-02", tz="UTC"), len(example_prompts())
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for i, record in enumerate(records):  # the example prompts over two weeks, the ads in the third
        offset = pd.Timedelta(hours=9 * i) if i < examples else pd.Timedelta(weeks=2, hours=5 * (i - examples))
        record["timestamp"] = (start + offset).isoformat()
    log.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    store = tmp_path / "labels.db"
    monkeypatch.setenv("AVA_LABEL_STORE", str(store))
    LabelStore(store).add([{"prompt": r["prompt"], "platform": r["platform"], "mode": "lip_sync",
                            "label": int(r["risks"]["lip_sync"] > 0.5), "source": "user", "weight": 1,
                            "labelled_at": "2026-03-25"} for r in records])
    nb = _execute("drift.ipynb", tmp_path)
    text = _stream_text(nb)
    assert f"Loaded {len(prompts)} prompts from {log}." in text and "FALLBACK: no score log" not in text
    assert f"{len(prompts)} outcome labels in the label store match the scored traffic." in text
    assert re.search(r"WINDOWS_DRIFTED=\S+", text) and "PERFORMANCE_FLAGGED=" in text, text[-3000:]
    assert _images(nb) >= 5 and not _shown_warnings(nb)


def test_notebooks_fall_back_without_registry_or_shared_data(tmp_path, monkeypatch, kernel_python, no_traffic):
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
    drift_nb = _execute("drift.ipynb", tmp_path)
    drift = _stream_text(drift_nb)
    assert "FALLBACK: the reference holds authored prompts only." in drift and "FALLBACK: no score log" in drift
    assert "CURRENT_DRIFTED=True" in drift and "2026-10-05" not in _drifted_weeks(drift)
    assert not _shown_warnings(drift_nb)
