"""Fit the calibrated head of each mode on the training split, choosing its family and C by group CV."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ava_model.core.features import STRUCTURE_FEATURES
from ava_model.core.hazard import ExposureHazard
from ava_model.core.heads import make_calibrated_head, make_head
from ava_training.splits import group_folds
from ava_model.errors import TrainingError

Candidate = tuple[str, float]


def select_head(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, groups: np.ndarray,
    candidates: tuple[Candidate, ...], folds: int, seed: int,
) -> tuple[Candidate, dict[str, float]]:
    """Return the (family, C) with the best out-of-fold weighted ROC AUC, and every candidate's score.

    Only the training split is used: the held-out split never informs a choice.
    """
    from sklearn.metrics import roc_auc_score

    if len(candidates) == 1:
        return candidates[0], {}
    splits = group_folds(groups, folds, seed)
    scores = {}
    for family, c in candidates:
        oof = np.zeros(len(y))
        for train, valid in splits:
            head = make_head(family, c, len(STRUCTURE_FEATURES)).fit(X[train], y[train], w[train])
            oof[valid] = head.decision_function(X[valid])
        scores[f"{family}:{c}"] = float(roc_auc_score(y, oof, sample_weight=w))
    best = max(range(len(candidates)), key=lambda i: scores[f"{candidates[i][0]}:{candidates[i][1]}"])
    return candidates[best], scores


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
) -> tuple[dict[str, object], dict[str, dict[str, object]]]:
    """Return ({mode: fitted calibrated head}, {mode: chosen head and CV scores}); weight-0 rows are skipped per mode.

    ``svm_max_rows``: a mode with more rows tries only the candidates that are not ``svm`` (see
    :class:`ava_training.config.TrainConfig`); ``None`` tries every candidate.

    ``progress``: show a "training heads" bar over the modes; a caller that fits heads many times
    (leave-one-source-out) turns it off and shows one bar of its own.
    """
    heads, chosen = {}, {}
    for j, mode in enumerate(tqdm(modes, desc="training heads", unit="mode", disable=not progress)):
        rows = np.nonzero(W[:, j] > 0)[0]
        y = (Y[rows, j] >= 0.5).astype(int)
        if len(np.unique(y)) < 2:
            raise TrainingError(f"Mode {mode!r} has only one class in the training split; add labelled examples.")
        if fixed and mode in fixed:
            (family, c), scores = tuple(fixed[mode]), {}
        else:
            tried = candidates_for(candidates, len(rows), svm_max_rows)
            (family, c), scores = select_head(X[rows], y, W[rows, j], groups[rows], tried, folds, seed)
        head = make_calibrated_head(family, c, len(STRUCTURE_FEATURES), calibration, group_folds(groups[rows], folds, seed))
        heads[mode] = head.fit(X[rows], y, sample_weight=W[rows, j])
        chosen[mode] = {"family": family, "C": c, "cv_roc_auc": scores}
    return heads, chosen


def out_of_fold_topic(X: np.ndarray, y: np.ndarray, w: np.ndarray, groups: np.ndarray, head, family: str, c: float,
                      folds: int, seed: int) -> np.ndarray:
    """Return the calibrated topic probability of each row from a head that never saw the row's group.

    The fitted head's sigmoid calibrator was itself fitted on these out-of-fold margins, so
    the exposure head learns how far to trust the topic score on prompts it did not train on.
    """
    calibrated = head.calibrated_classifiers_[0]
    margin = np.zeros(len(y))
    for train, valid in group_folds(groups, folds, seed):
        base = make_head(family, c, len(STRUCTURE_FEATURES)).fit(X[train], y[train], w[train])
        margin[valid] = base.decision_function(X[valid])
    if calibrated.method == "sigmoid":
        sigmoid = calibrated.calibrators[0]
        return 1.0 / (1.0 + np.exp(sigmoid.a_ * margin + sigmoid.b_))
    return np.clip(calibrated.calibrators[0].predict(margin), 0.0, 1.0)


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
    X: np.ndarray, E: np.ndarray, Y: np.ndarray, W: np.ndarray, groups: np.ndarray, modes: tuple[str, ...],
    heads: dict[str, object], chosen: dict[str, dict[str, object]], curves: dict, *, folds: int, seed: int,
    pairs: dict[str, np.ndarray] | None = None, ranking_weight: float = 0.0,
    typical_factor: dict[str, float] | None = None,
) -> dict[str, ExposureHazard]:
    """Return {mode: fitted ExposureHazard} over [out-of-fold topic probability, exposure] of the training rows.

    ``pairs`` (row indices into X, from :func:`ladder_pairs`) and ``ranking_weight`` add the ordering term,
    which compares risks at the mode's ``typical_factor`` (the median platform factor).
    """
    fitted = {}
    for j, mode in enumerate(tqdm(modes, desc="exposure heads", unit="mode")):
        rows = np.nonzero(W[:, j] > 0)[0]
        y = (Y[rows, j] >= 0.5).astype(int)
        family, c = chosen[mode]["family"], chosen[mode]["C"]
        topic = out_of_fold_topic(X[rows], y, W[rows, j], groups[rows], heads[mode], family, c, folds, seed)
        curve = curves[mode]
        head = ExposureHazard(knots=curve.knots, zero_exposure_hazard=curve.zero_exposure_hazard,
                              reference_exposure=curve.reference_exposure, ranking_weight=ranking_weight,
                              ranking_factor=(typical_factor or {}).get(mode, 0.3),
                              negated_hazard=curve.negated_hazard)
        position = {r: i for i, r in enumerate(rows)}
        mine = [(position[a], position[b]) for a, b in (pairs or {}).get(mode, np.zeros((0, 2), int))
                if a in position and b in position]
        fitted[mode] = head.fit(np.column_stack([topic, E[rows, j]]), y, sample_weight=W[rows, j],
                                pairs=np.array(mine, dtype=int).reshape(-1, 2))
    return fitted
