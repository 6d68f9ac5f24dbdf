"""One docstring style: numpy conventions, checked with ruff's pydocstyle rules ([tool.ruff.lint] in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("ruff is not installed (it comes with the test extra: pip install -e '.[test]')")
    return [exe, "check", "--no-cache", "--output-format", "concise"]


def test_every_module_follows_the_numpy_docstring_conventions():
    run = subprocess.run(_ruff() + ["ava_model", "training", "evaluation"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_docstring_check_rejects_a_google_style_section(tmp_path):
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    bad = tmp_path / "bad.py"
    bad.write_text('"""A module."""\n\n\ndef f(x):\n    """Return x.\n\n    Args:\n        x: a value.\n\n'
                   '    Returns:\n        x\n    """\n    return x\n', encoding="utf-8")
    run = subprocess.run(_ruff() + [str(bad)], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 1 and "bad.py" in run.stdout, run.stdout + run.stderr
