"""The wheel works outside the repository: installed into a fresh venv, it scores, trains and evaluates.

The venv gets the wheel and nothing of the checkout. Its dependencies (torch, scikit-learn, ...) come
from this test environment's site-packages through a path line in a ``.pth`` file: Python adds that
folder to ``sys.path`` but does not run the ``.pth`` files inside it, so this environment's editable
install of the checkout stays invisible to the new venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    tmp = tmp_path_factory.mktemp("wheel")
    # Build from a copy: an in-tree build would reuse (and leave) build/, which can hold stale modules.
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", ".cache", "mlruns", "mlartifacts", "reports", "*.egg-info", "__pycache__",
        ".hypothesis", ".pytest_cache", "mlflow.db", "labels.db*"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp / "dist"), str(source)], check=True, capture_output=True)
    wheel = next((tmp / "dist").glob("ava_model-*.whl"))
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                   check=True, capture_output=True)
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AVA_", "PYTHON", "MLFLOW_"))}
    env |= {"AVA_HOME": str(tmp / "state"), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "PYTHONNOUSERSITE": "1"}
    return env_dir / "bin", env, elsewhere


def _run(installed, *args: str) -> subprocess.CompletedProcess[str]:
    bin_dir, env, cwd = installed
    return subprocess.run([str(bin_dir / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_wheel_is_what_the_venv_imports_and_names_no_generic_package(installed):
    done = _run(installed, "python", "-c",
                "import ava_model, ava_training.trainer, ava_evaluation.evaluate; print(ava_model.__file__)")
    assert done.returncode == 0, done.stderr
    assert str(installed[0].parent) in done.stdout  # the venv's copy, not the checkout's
    for generic in ("training", "evaluation"):
        missing = _run(installed, "python", "-c", f"import {generic}")
        assert missing.returncode != 0 and "No module named" in missing.stderr


def test_ava_score_train_and_evaluate_run_from_the_wheel(installed):
    scored = _run(installed, "ava", "score", "A man says 'Good morning, everyone' to the camera", "--platform", "veo-3",
                  "--json")
    assert scored.returncode == 0, scored.stderr
    assert '"lip_sync"' in scored.stdout and '"light"' in scored.stdout
    for command in ("train", "evaluate"):
        shown = _run(installed, "ava", command, "--help")
        assert shown.returncode == 0, shown.stderr
        assert "usage: ava " + command in shown.stdout


def test_the_wheel_carries_the_templates_the_rules_and_the_shipped_model(installed):
    check = ("from ava_model.server import pages; from ava_model.answer import render; "
             "from ava_evaluation import report_html; from ava_model.rules.taxonomy import rules_dir; "
             "from ava_model.persistence.artifact import default_artifact_dir; "
             "print(*(len(list(d.glob('*.html'))) for d in (pages.TEMPLATES_DIR, render.TEMPLATES_DIR, "
             "report_html.TEMPLATES_DIR))); print(rules_dir()); print(sorted(p.name for p in default_artifact_dir().iterdir()))")
    done = _run(installed, "python", "-c", check)
    assert done.returncode == 0, done.stderr
    counts, rules, artifact = done.stdout.splitlines()
    assert all(int(n) > 0 for n in counts.split())
    assert "_data/rules" in rules and str(installed[0].parent) in rules
    assert "ava.joblib" in artifact and "manifest.json" in artifact


def test_the_wheel_finds_its_training_data_and_keeps_state_in_ava_home(installed):
    check = ("from ava_training.paths import authored_dir, ladders_dir; "
             "from ava_model.labels.store import default_store_path; "
             "print(authored_dir(), len(list(authored_dir().glob('*.csv')))); "
             "print(ladders_dir(), len(list(ladders_dir().glob('*.csv')))); print(default_store_path())")
    done = _run(installed, "python", "-c", check)
    assert done.returncode == 0, done.stderr
    authored, ladders, store = done.stdout.splitlines()
    venv_dir = str(installed[0].parent)
    for line, folder in ((authored, "_data/authored"), (ladders, "_data/ladders")):
        path, count = line.rsplit(" ", 1)
        assert folder in path and path.startswith(venv_dir) and int(count) > 0, line
    assert store.startswith(installed[1]["AVA_HOME"]), store  # never the package folder, never the cwd
