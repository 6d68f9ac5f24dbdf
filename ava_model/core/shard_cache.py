"""Append-only on-disk caches of per-text rows: one ``.npz`` shard per write, each written atomically.

A writer never touches an existing shard: it writes a new one under a temporary name and renames it, so
concurrent trainers never see a half-written file and never overwrite each other. A reader skips a shard
it cannot read (foreign or truncated file); its rows are simply computed again. Arrays are saved without
pickling, so loading a shard runs no code.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np


def read_shards(folder: Path, fields: tuple[str, ...]) -> Iterator[tuple[list[str], dict[str, np.ndarray]]]:
    """Yield (keys, {field: array with one row per key}) of every readable shard in ``folder``, oldest name first."""
    if not folder.is_dir():
        return
    for shard in sorted(folder.glob("*.npz")):
        try:
            with np.load(shard, allow_pickle=False) as data:
                keys = data["keys"].tolist()
                arrays = {f: data[f] for f in fields}
        except (OSError, ValueError, KeyError):
            continue
        if all(len(a) == len(keys) for a in arrays.values()):
            yield keys, arrays


def write_shard(folder: Path, keys: list[str], **arrays: np.ndarray) -> Path:
    """Write one new shard of ``keys`` and their rows (each array one row per key); return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.npz"
    tmp = folder / f".{name}.tmp"
    with open(tmp, "wb") as fh:
        np.savez(fh, keys=np.array(keys), **arrays)
    os.replace(tmp, folder / name)
    return folder / name
