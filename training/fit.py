"""Fit the calibrated head of each mode on the training split."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ava_model.heads import ScaledLogisticRegression, make_calibrated_head
from training.splits import group_folds


def select_c(X: np.ndarray, y: np.ndarray, w: np.ndarray, groups: np.ndarray, grid: tuple[float, ...], folds: int, seed: int) -> float:
    """Return the C of the grid with the best out-of-fold weighted ROC AUC (group folds, training split only)."""
    from sklearn.metrics import roc_auc_score

    if len(grid) == 1:
        return grid[0]
    scores = []
    for c in grid:
        oof = np.zeros(len(y))
        for train, valid in group_folds(groups, folds, seed):
            oof[valid] = ScaledLogisticRegression(C=c).fit(X[train], y[train], w[train]).predict_proba(X[valid])[:, 1]
        scores.append(roc_auc_score(y, oof, sample_weight=w))
    return grid[int(np.argmax(scores))]


def fit_heads(
    X: np.ndarray,
    Y: np.ndarray,
    W: np.ndarray,
    groups: np.ndarray,
    modes: tuple[str, ...],
    *,
    c_grid: tuple[float, ...],
    folds: int,
    calibration: str,
    seed: int,
) -> tuple[dict[str, object], dict[str, float]]:
    """Return ({mode: fitted calibrated head}, {mode: chosen C}); rows of weight 0 are skipped per mode."""
    heads, chosen = {}, {}
    for j, mode in enumerate(tqdm(modes, desc="training heads", unit="mode")):
        rows = np.nonzero(W[:, j] > 0)[0]
        y = (Y[rows, j] >= 0.5).astype(int)
        if len(np.unique(y)) < 2:
            raise ValueError(f"Mode {mode!r} has only one class in the training split; add labelled examples.")
        c = select_c(X[rows], y, W[rows, j], groups[rows], c_grid, folds, seed)
        head = make_calibrated_head(c, calibration, group_folds(groups[rows], folds, seed))
        heads[mode] = head.fit(X[rows], y, sample_weight=W[rows, j])
        chosen[mode] = c
    return heads, chosen
