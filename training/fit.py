"""Fit the calibrated head of each mode on the training split, choosing its family and C by group CV."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from ava_model.core.features import STRUCTURE_FEATURES
from ava_model.core.hazard import ExposureHazard
from ava_model.core.calibration import OutOfFoldCalibratedHead
from ava_model.core.heads import make_head
from ava_training.splits import group_folds
from ava_model.errors import TrainingError

Candidate = tuple[str, float]


def out_of_fold_margins(X: np.ndarray, y: np.ndarray, w: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]],
                        family: str, c: float) -> np.ndarray:
    """Return each row's margin from a (family, C) head fitted on the folds that do not hold the row."""
    margin = np.zeros(len(y))
    for train, valid in splits:
        head = make_head(family, c, len(STRUCTURE_FEATURES)).fit(X[train], y[train], w[train])
        margin[valid] = head.decision_function(X[valid])
    return margin


def select_head(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]],
    candidates: tuple[Candidate, ...],
) -> tuple[Candidate, dict[str, float], np.ndarray]:
    """Return the (family, C) with the best out-of-fold weighted ROC AUC, every candidate's score and its margins.

    Only the training split is used: the held-out split never informs a choice. One candidate is
    returned without a score (its margins are still computed: calibration needs them).
    """
    from sklearn.metrics import roc_auc_score

    margins, scores = [], {}
    for family, c in candidates:
        margins.append(out_of_fold_margins(X, y, w, splits, family, c))
        if len(candidates) > 1:
            scores[f"{family}:{c}"] = float(roc_auc_score(y, margins[-1], sample_weight=w))
    best = max(range(len(candidates)), key=lambda i: scores.get(f"{candidates[i][0]}:{candidates[i][1]}", 0.0))
    return candidates[best], scores, margins[best]


def candidates_for(candidates: tuple[Candidate, ...], n_rows: int, svm_max_rows: int | None) -> tuple[Candidate, ...]:
    """Return the candidates worth trying on ``n_rows`` rows: no exact RBF SVM above ``svm_max_rows`` (quadratic time).

    Raises TrainingError when that leaves none (every candidate is an SVM).
    """
    if svm_max_rows is None or n_rows <= svm_max_rows:
        return candidates
    linear = tuple(c for c in candidates if c[0] != "svm")
    if not linear:
        raise TrainingError(f"{n_rows} rows exceed svm_max_rows={svm_max_rows} and every head candidate is an SVM "
                            f"({candidates}); add a logreg candidate or raise svm_max_rows.")
    return linear


@dataclass(frozen=True)
class FittedHeads:
    """The topic heads of a run.

    Attributes
    ----------
    heads: {mode: calibrated head}, each refitted on the mode's training rows.
    chosen: {mode: {"family", "C", "cv_roc_auc"}}: the head chosen and every candidate's out-of-fold score.
    out_of_fold_topic: {mode: calibrated topic probability of each of the mode's training rows (weight > 0,
        in row order) from a head that never saw the row's group}: what the exposure heads are fitted on.
    """

    heads: dict[str, object]
    chosen: dict[str, dict[str, object]]
    out_of_fold_topic: dict[str, np.ndarray]


def fit_heads(
    X: np.ndarray,
    Y: np.ndarray,
    W: np.ndarray,
    groups: np.ndarray,
    modes: tuple[str, ...],
    *,
    candidates: tuple[Candidate, ...],
    folds: int,
    calibration: str,
    seed: int,
    fixed: dict[str, tuple[str, float]] | None = None,
    progress: bool = True,
    svm_max_rows: int | None = None,
) -> FittedHeads:
    """Return the FittedHeads of every mode; weight-0 rows are skipped per mode.

    Each fold is fitted once per candidate: the chosen candidate's out-of-fold margins are also what
    its calibration and the exposure heads' topic input are fitted on.

    ``svm_max_rows``: a mode with more rows tries only the candidates that are not ``svm`` (see
    :class:`ava_training.config.TrainConfig`); ``None`` tries every candidate.

    ``progress``: show a "training heads" bar over the modes; a caller that fits heads many times
    (leave-one-source-out) turns it off and shows one bar of its own.
    """
    heads, chosen, topic = {}, {}, {}
    for j, mode in enumerate(tqdm(modes, desc="training heads", unit="mode", disable=not progress)):
        rows = np.nonzero(W[:, j] > 0)[0]
        y = (Y[rows, j] >= 0.5).astype(int)
        if len(np.unique(y)) < 2:
            raise TrainingError(f"Mode {mode!r} has only one class in the training split; add labelled examples.")
        tried = (tuple(fixed[mode]),) if fixed and mode in fixed else candidates_for(candidates, len(rows), svm_max_rows)
        splits = group_folds(groups[rows], folds, seed)
        (family, c), scores, margin = select_head(X[rows], y, W[rows, j], splits, tried)
        head = OutOfFoldCalibratedHead(make_head(family, c, len(STRUCTURE_FEATURES)), calibration)
        heads[mode] = head.fit(X[rows], y, W[rows, j], out_of_fold_margin=margin)
        chosen[mode] = {"family": family, "C": c, "cv_roc_auc": scores}
        topic[mode] = head.calibrate(margin)
    return FittedHeads(heads, chosen, topic)


def ladder_pairs(ladders, prompts: list[str], E: np.ndarray, modes: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Return {mode: (m, 2) row indices (lower, higher)} of neighbouring ladder rungs among ``prompts``.

    ``ladders``: the table of :func:`ava_training.importers.read_ladders` (the train split). A pair is kept
    only when both rungs are training rows and the *measured* exposure rises between them, so the
    ordering term can only ask the fit to weigh exposure more, never to trust a rule that missed.
    """
    index = {p: i for i, p in enumerate(prompts)}
    out = {}
    for j, mode in enumerate(modes):
        found = []
        for _, steps in ladders[ladders["mode"] == mode].groupby("ladder"):
            rows = [index.get(p) for p in steps.sort_values("step")["prompt"]]
            for lo, hi in zip(rows, rows[1:]):
                if lo is not None and hi is not None and E[hi, j] > E[lo, j]:
                    found.append((lo, hi))
        out[mode] = np.array(found, dtype=int).reshape(-1, 2)
    return out


def fit_exposure_heads(
    E: np.ndarray, Y: np.ndarray, W: np.ndarray, modes: tuple[str, ...], out_of_fold_topic: dict[str, np.ndarray],
    curves: dict, *, pairs: dict[str, np.ndarray] | None = None, ranking_weight: float = 0.0,
    typical_factor: dict[str, float] | None = None,
) -> dict[str, ExposureHazard]:
    """Return {mode: fitted ExposureHazard} over [out-of-fold topic probability, exposure] of the training rows.

    ``out_of_fold_topic``: :attr:`FittedHeads.out_of_fold_topic`. The topic heads' calibration was fitted on
    the same out-of-fold margins, so the exposure head learns how far to trust the topic score on prompts
    it did not train on.
    ``pairs`` (row indices into E, from :func:`ladder_pairs`) and ``ranking_weight`` add the ordering term,
    which compares risks at the mode's ``typical_factor`` (the median platform factor).
    """
    fitted = {}
    for j, mode in enumerate(tqdm(modes, desc="exposure heads", unit="mode")):
        rows = np.nonzero(W[:, j] > 0)[0]
        y = (Y[rows, j] >= 0.5).astype(int)
        curve = curves[mode]
        head = ExposureHazard(knots=curve.knots, zero_exposure_hazard=curve.zero_exposure_hazard,
                              reference_exposure=curve.reference_exposure, ranking_weight=ranking_weight,
                              ranking_factor=(typical_factor or {}).get(mode, 0.3),
                              negated_hazard=curve.negated_hazard)
        position = {r: i for i, r in enumerate(rows)}
        mine = [(position[a], position[b]) for a, b in (pairs or {}).get(mode, np.zeros((0, 2), int))
                if a in position and b in position]
        fitted[mode] = head.fit(np.column_stack([out_of_fold_topic[mode], E[rows, j]]), y, sample_weight=W[rows, j],
                                pairs=np.array(mine, dtype=int).reshape(-1, 2))
    return fitted
