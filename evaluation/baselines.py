"""Baselines scored on exactly AVA's held-out split: base rate, TF-IDF + LR, a keyword rule, a SetFit-style head.

Every baseline learns from the training side of ``TrainResult.test_mask`` only, per mode, on the
rows that carry a label for that mode (weight > 0) - the same rows AVA's heads saw.
"""

from __future__ import annotations

import re

from typing import TYPE_CHECKING

import numpy as np

from training.baselines import base_rate_predictions, tfidf_predictions

if TYPE_CHECKING:
    from training.result import TrainResult

BASELINES = ("base_rate", "tfidf_lr", "keyword", "setfit_lr")

# One hand-written regex per mode: what a careful person would grep for. Deliberately simple.
KEYWORDS: dict[str, str] = {
    "lip_sync": r"\b(says?|said|sings?|sang|speak\w*|talk\w*|whisper\w*|shout\w*|dialogue|lip|mouth\w*|lyrics?)\b|[\"“]",
    "anatomy": r"\b(hands?|fingers?|feet|foot|legs?|arms?|fac(e|es)|body|bodies|dancer?s?|danc\w+|gymnast\w*|yoga|limbs?)\b",
    "physics": r"\b(pour\w*|splash\w*|fall\w*|drop\w*|bounc\w*|collid\w*|melt\w*|shatter\w*|break\w*|liquid|water|smoke|fire|gravity|flow\w*)\b",
    "object_count": r"\b(two|three|four|five|six|seven|eight|nine|ten|dozen|\d+)\b",
    "text_rendering": r"\b(sign|text|reads?|written|words?|letters?|logo|caption|title|banner|poster|label|spell\w*)\b",
    "identity_drift": r"\b(same|consistent|turns? around|walks? (away|past)|throughout|identity|character|person|woman|man)\b",
    "camera_motion": r"\b(camera|pan\w*|zoom\w*|tilt\w*|dolly|tracking|orbit\w*|crane|drone|shot)\b",
    "composition": r"\b(left|right|above|below|behind|in front of|next to|beside|between|on top of|under)\b",
    "vanishing_subject": r"\b(behind|disappear\w*|hid\w*|occlu\w*|pass\w* (behind|through)|re-?appear\w*|walks? (behind|out))\b",
    "interaction": r"\b(hand\w* (over|to)|pass\w*|throw\w*|catch\w*|hug\w*|shak\w* hands|push\w*|pull\w*|hold\w*|each other|together)\b",
    "action_order": r"\b(then|after|before|first|finally|next|while|followed by|and then)\b",
}


def keyword_predictions(
    mode: str, prompts_train: list[str], y_train: np.ndarray, w_train: np.ndarray, prompts_test: list[str]
) -> np.ndarray:
    """Return P(positive) from the mode's keyword rule, calibrated on the training split only.

    A test prompt gets the weighted training positive rate of the prompts that match the rule,
    or of those that do not; at most two distinct values. A side with no training prompt falls
    back to the overall training rate.
    """
    pattern = re.compile(KEYWORDS.get(mode, r"(?!)"), re.IGNORECASE)
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

    ``result.features`` must be set (the SetFit-style head trains on them).
    """
    matrix, X, test_mask = result.matrix, result.features, np.asarray(result.test_mask, dtype=bool)
    if X is None:
        raise ValueError("TrainResult.features is None; the SetFit-style baseline needs the training features.")
    prompts = list(matrix.prompts)
    out: dict[str, dict[str, np.ndarray]] = {}
    for j, mode in enumerate(matrix.modes):
        tr, te = mode_rows(matrix.weights, test_mask, j)
        y_tr = (matrix.labels[tr, j] >= 0.5).astype(int)
        w_tr = matrix.weights[tr, j]
        p_tr, p_te = [prompts[i] for i in tr], [prompts[i] for i in te]
        out[mode] = {
            "base_rate": base_rate_predictions(y_tr, w_tr, len(te)),
            "tfidf_lr": tfidf_predictions(p_tr, y_tr, w_tr, p_te),
            "keyword": keyword_predictions(mode, p_tr, y_tr, w_tr, p_te),
            "setfit_lr": setfit_predictions(X[tr], y_tr, w_tr, X[te]),
        }
    return out
