"""Where training reads its inputs: shared benchmark data and the repository's data/."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Return ``AVA_DATA_DIR`` or ``../shared/datasets`` beside the repository."""
    env = os.environ.get("AVA_DATA_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "datasets"


def authored_dir() -> Path:
    """Return the folder of the authored label files (``data/authored``)."""
    return REPO_ROOT / "data" / "authored"


def cache_dir() -> Path:
    """Return ``AVA_CACHE_DIR`` or ``.cache`` in the repository (embedding cache)."""
    env = os.environ.get("AVA_CACHE_DIR")
    return Path(env) if env else REPO_ROOT / ".cache"


def ladders_dir() -> Path:
    """Return the folder of the authored exposure ladders (``data/ladders``)."""
    return REPO_ROOT / "data" / "ladders"
