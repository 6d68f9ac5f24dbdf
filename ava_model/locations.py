"""Where the package, the repository checkout and AVA's default state are on disk (one place for every default path)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
"""The installed ``ava_model`` package folder (holds ``artifacts/`` and, in a wheel, ``_data/``)."""

REPO_DIR = PACKAGE_DIR.parent
"""The folder above the package: the repository root in a source checkout, site-packages in a wheel."""


def in_checkout() -> bool:
    """Return True when the package runs from a source checkout (``pyproject.toml`` beside it)."""
    return (REPO_DIR / "pyproject.toml").is_file() and (REPO_DIR / "data").is_dir()


def data_dir(name: str) -> Path:
    """Return the folder ``data/<name>`` of the checkout, else the copy a wheel carries in ``ava_model/_data``."""
    checkout = REPO_DIR / "data" / name
    packaged = PACKAGE_DIR / "_data" / name
    return checkout if in_checkout() or not packaged.is_dir() else packaged


def state_dir() -> Path:
    """Return where AVA keeps its default state (label store, MLflow database, caches).

    The repository root in a checkout; an installed wheel uses ``AVA_HOME`` or ``~/.ava`` instead of
    writing into site-packages.
    """
    if in_checkout():
        return REPO_DIR
    return Path(os.environ.get("AVA_HOME") or Path.home() / ".ava")


def default_train_dir() -> Path:
    """Return where ``ava train`` writes its artifact by default: ``.cache/models/latest`` in AVA's state folder.

    Never the shipped default model (``ava_model/artifacts/default``, tracked by git): refreshing that is
    ``make ship-model`` (``ava train --ship --out ava_model/artifacts/default``).
    """
    env = os.environ.get("AVA_CACHE_DIR")
    return (Path(env) if env else state_dir() / ".cache") / "models" / "latest"
