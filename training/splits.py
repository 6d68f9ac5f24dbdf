"""Group-aware splits: a prompt and its near-duplicates always land on the same side."""

from __future__ import annotations

import hashlib
import re

import numpy as np


def normalise_prompt(prompt: str) -> str:
    """Return a prompt folded for exact-duplicate matching (case, punctuation, spaces)."""
    return re.sub(r"[^a-z0-9]+", " ", prompt.lower()).strip()


def near_duplicate_groups(prompts: list[str], embeddings: np.ndarray, threshold: float = 0.9) -> np.ndarray:
    """Return a group id per prompt: connected components of exact duplicates and pairs above threshold cosine."""
    n = len(prompts)
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    first: dict[str, int] = {}
    for i, p in enumerate(prompts):
        key = normalise_prompt(p)
        if key in first:
            union(i, first[key])
        else:
            first[key] = i
    vectors = np.asarray(embeddings, dtype=np.float32)
    for start in range(0, n, 1024):  # blocks keep memory flat on large label sets
        sims = vectors[start : start + 1024] @ vectors.T
        rows, cols = np.nonzero(sims >= threshold)
        for r, c in zip(rows + start, cols):
            if r < c:
                union(int(r), int(c))
    return np.array([find(i) for i in range(n)])


def group_keys(prompts: list[str], groups: np.ndarray) -> list[str]:
    """Return, per prompt, its group's key: the smallest normalised prompt in the group."""
    smallest: dict[int, str] = {}
    for p, g in zip(prompts, groups):
        key = normalise_prompt(p)
        if g not in smallest or key < smallest[g]:
            smallest[int(g)] = key
    return [smallest[int(g)] for g in groups]


def holdout_mask(keys: list[str], test_fraction: float, salt: str = "ava-holdout-v1") -> np.ndarray:
    """Return a boolean mask of held-out rows, decided by a hash of each group key.

    The hash makes the split stable: retraining on more data keeps old held-out groups
    held out, so champion and challenger are compared on prompts neither trained on.
    """
    def bucket(key: str) -> float:
        digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    return np.array([bucket(k) < test_fraction for k in keys])


def group_folds(groups: np.ndarray, n_folds: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return (train, validation) index pairs with whole groups per fold (for calibration CV)."""
    rng = np.random.default_rng(seed)
    unique = np.unique(groups)
    rng.shuffle(unique)
    fold_of = {g: i % n_folds for i, g in enumerate(unique)}
    assignment = np.array([fold_of[g] for g in groups])
    return [(np.nonzero(assignment != f)[0], np.nonzero(assignment == f)[0]) for f in range(n_folds)]
