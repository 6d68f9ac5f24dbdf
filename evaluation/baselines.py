"""Baselines scored on exactly AVA's held-out split: base rate, TF-IDF + LR, a keyword rule, a SetFit-style head.

Every baseline learns from the training side of ``TrainResult.test_mask`` only, per mode, on the
rows that carry a label for that mode (weight > 0) - the same rows AVA's heads saw.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ava_training.baselines import base_rate_predictions, tfidf_predictions
from ava_model.errors import TrainingError

if TYPE_CHECKING:
    from ava_training.results import TrainResult

BASELINES = ("base_rate", "tfidf_lr", "keyword", "setfit_lr")

@functools.lru_cache(maxsize=4)
def keyword_rules(root: Path | None = None) -> dict[str, re.Pattern[str]]:
    """Return the keyword baseline's compiled regex per mode (data/rules/baseline_keywords.yaml), validated."""
    from ava_model.errors import RulesError
    from ava_model.rules.taxonomy import load_rules, read_yaml, require_field, rules_dir

    root = root or rules_dir()
    path = root / "baseline_keywords.yaml"
    table = require_field(read_yaml(path), "keywords", dict, path.name)
    modes = load_rules(root).mode_ids
    missing, unknown = [m for m in modes if m not in table], sorted(set(table) - set(modes))
    if missing or unknown:
        raise RulesError(f"{path.name}: keywords must name each mode once; missing {missing}, unknown {unknown}; "
                         f"valid: {', '.join(modes)}.")
    compiled = {}
    for mode in modes:
        pattern = require_field(table, mode, str, f"{path.name} keywords")
        try:
            compiled[mode] = re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise RulesError(f"{path.name} keywords.{mode}: not a valid regex ({exc}): {pattern!r}.") from exc
    return compiled


def keyword_predictions(
    mode: str, prompts_train: list[str], y_train: np.ndarray, w_train: np.ndarray, prompts_test: list[str]
) -> np.ndarray:
    """Return P(positive) from the mode's keyword rule, calibrated on the training split only.

    A test prompt gets the weighted training positive rate of the prompts that match the rule,
    or of those that do not; at most two distinct values. A side with no training prompt falls
    back to the overall training rate.
    """
    pattern = keyword_rules().get(mode, re.compile(r"(?!)"))
    hit_train = np.array([bool(pattern.search(p)) for p in prompts_train], dtype=bool)
    hit_test = np.array([bool(pattern.search(p)) for p in prompts_test], dtype=bool)
    overall = float(np.average(y_train, weights=w_train))
    rates = {}
    for side in (True, False):
        mask = hit_train == side
        rates[side] = float(np.average(y_train[mask], weights=w_train[mask])) if w_train[mask].sum() > 0 else overall
    return np.where(hit_test, rates[True], rates[False]).astype(float)


def setfit_predictions(X_train: np.ndarray, y_train: np.ndarray, w_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
    """Return P(positive) from plain logistic regression on AVA's own features (no calibration, no selection)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, max_iter=2000).fit(X_train, y_train, sample_weight=w_train)
    return model.predict_proba(X_test)[:, 1]


def mode_rows(weights: np.ndarray, test_mask: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (training rows, held-out rows) labelled for mode column j, as AVA's trainer selects them."""
    labelled = weights[:, j] > 0
    return np.nonzero(labelled & ~test_mask)[0], np.nonzero(labelled & test_mask)[0]


def baseline_predictions(result: TrainResult) -> dict[str, dict[str, np.ndarray]]:
    """Return {mode: {baseline: held-out probabilities}} for every baseline, on the run's own split.

    ``result.features`` must be set (the SetFit-style head trains on them). The base rate and TF-IDF
    predictions the training run already scored (``result.heldout``) are reused, not refitted.
    """
    matrix, X, test_mask = result.matrix, result.features, np.asarray(result.test_mask, dtype=bool)
    if X is None:
        raise TrainingError("TrainResult.features is None; the SetFit-style baseline needs the training features.")
    prompts = list(matrix.prompts)
    out: dict[str, dict[str, np.ndarray]] = {}
    for j, mode in enumerate(matrix.modes):
        tr, te = mode_rows(matrix.weights, test_mask, j)
        y_tr = (matrix.labels[tr, j] >= 0.5).astype(int)
        w_tr = matrix.weights[tr, j]
        p_tr, p_te = [prompts[i] for i in tr], [prompts[i] for i in te]
        scored = result.heldout.predictions.get(mode, {})
        out[mode] = {
            "base_rate": scored["base_rate"] if "base_rate" in scored else base_rate_predictions(y_tr, w_tr, len(te)),
            "tfidf_lr": scored["tfidf_lr"] if "tfidf_lr" in scored else tfidf_predictions(p_tr, y_tr, w_tr, p_te),
            "keyword": keyword_predictions(mode, p_tr, y_tr, w_tr, p_te),
            "setfit_lr": setfit_predictions(X[tr], y_tr, w_tr, X[te]),
        }
    return out
