"""Where the package and the repository checkout are on disk (one place for every default path)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
"""The installed ``ava_model`` package folder (holds ``artifacts/`` and, in a wheel, ``_data/``)."""

REPO_DIR = PACKAGE_DIR.parent
"""The folder above the package: the repository root in a source checkout."""
