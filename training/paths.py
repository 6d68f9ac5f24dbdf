"""Where training reads its inputs: shared benchmark data, the authored data/ and the embedding cache."""

from __future__ import annotations

import os
from pathlib import Path

from ava_model.locations import REPO_DIR, data_dir, in_checkout, state_dir


def shared_data_dir() -> Path:
    """Return ``AVA_DATA_DIR``, else ``../shared/datasets`` beside the checkout (an installed wheel needs the variable)."""
    env = os.environ.get("AVA_DATA_DIR")
    if env:
        return Path(env)
    return REPO_DIR.parent / "shared" / "datasets" if in_checkout() else state_dir() / "shared" / "datasets"


def authored_dir() -> Path:
    """Return the folder of the authored label files (``data/authored``; a wheel carries a copy)."""
    return data_dir("authored")


def cache_dir() -> Path:
    """Return ``AVA_CACHE_DIR``, else ``.cache`` in the checkout or in AVA's state folder (embedding cache)."""
    env = os.environ.get("AVA_CACHE_DIR")
    return Path(env) if env else state_dir() / ".cache"


def ladders_dir() -> Path:
    """Return the folder of the authored exposure ladders (``data/ladders``; a wheel carries a copy)."""
    return data_dir("ladders")
