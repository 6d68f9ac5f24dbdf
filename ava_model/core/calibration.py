"""OutOfFoldCalibratedHead: one head fitted on every training row, calibrated on out-of-fold margins.

This is what ``CalibratedClassifierCV(cv=folds, ensemble=False)`` computes, with the out-of-fold
margins passed in rather than recomputed: training already has them from choosing the head's family
and C by group cross-validation on the same folds, so every fold is fitted once, not three times
(selection, calibration, the exposure heads' topic input). The sigmoid is Platt's, with his
smoothed targets, as scikit-learn fits it; isotonic is scikit-learn's ``IsotonicRegression``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from ava_model.errors import ConfigError

CALIBRATION_METHODS = ("sigmoid", "isotonic")


def platt_sigmoid(margin: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> tuple[float, float]:
    """Return Platt's (a, b), with P(y=1 | f) = 1 / (1 + exp(a f + b)), fitted by weighted likelihood.

    The targets are Platt's smoothed ones, (N+ + 1) / (N+ + 2) and 1 / (N- + 2), with N the weighted counts.
    """
    from scipy.optimize import minimize

    f = np.asarray(margin, dtype=np.float64)
    y = np.asarray(y)
    w = np.ones(len(f)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    scale = max(float(np.abs(f).max(initial=0.0)), 1.0)  # a and b are found on margins within [-1, 1]
    f = f / scale
    positive = y > 0
    n1, n0 = w[positive].sum(), w[~positive].sum()
    t = np.where(positive, (n1 + 1.0) / (n1 + 2.0), 1.0 / (n0 + 2.0))

    def loss(ab: np.ndarray) -> tuple[float, np.ndarray]:
        z = -(ab[0] * f + ab[1])  # the logit of P(y=1)
        value = float((w * (np.logaddexp(0.0, z) - t * z)).sum())
        g = w * (1.0 / (1.0 + np.exp(-z)) - t)  # d loss / d z
        return value, np.array([-(g @ f), -g.sum()])

    prior = np.log((n0 + 1.0) / (n1 + 1.0))
    a, b = minimize(loss, np.array([0.0, prior]), jac=True, method="L-BFGS-B").x
    return float(a / scale), float(b)


class OutOfFoldCalibratedHead(ClassifierMixin, BaseEstimator):
    """A head refitted on all rows whose margin is calibrated on the out-of-fold margins of group folds.

    Parameters
    ----------
    estimator: the unfitted head (any classifier with ``decision_function``).
    method: 'sigmoid' (Platt) or 'isotonic'.
    """

    def __init__(self, estimator=None, method: str = "sigmoid"):
        self.estimator = estimator
        self.method = method

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None, *,
            out_of_fold_margin: np.ndarray) -> OutOfFoldCalibratedHead:
        """Fit the head on every row and the calibrator on ``out_of_fold_margin`` (one per row of X); return self."""
        from sklearn.base import clone

        if self.method not in CALIBRATION_METHODS:
            raise ConfigError(f"calibration method must be one of {', '.join(CALIBRATION_METHODS)}, got {self.method!r}.")
        margin = np.asarray(out_of_fold_margin, dtype=np.float64)
        if margin.shape != (len(y),):
            raise ConfigError(f"out_of_fold_margin must hold one margin per row ({len(y)}), got shape {margin.shape}.")
        self.estimator_ = clone(self.estimator).fit(X, y, sample_weight)
        self.classes_ = self.estimator_.classes_
        if self.method == "sigmoid":
            self.a_, self.b_ = platt_sigmoid(margin, y, sample_weight)
        else:
            from sklearn.isotonic import IsotonicRegression

            self.isotonic_ = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(
                margin, y, sample_weight=sample_weight)
        return self

    def calibrate(self, margin: np.ndarray) -> np.ndarray:
        """Return P(class 1) of each margin of the head."""
        margin = np.asarray(margin, dtype=np.float64)
        if self.method == "sigmoid":
            return 1.0 / (1.0 + np.exp(self.a_ * margin + self.b_))
        return np.clip(self.isotonic_.predict(margin), 0.0, 1.0)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Return the head's margin of each row."""
        return self.estimator_.decision_function(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Return an (n, 2) array: [P(class 0), P(class 1)]."""
        p = self.calibrate(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Return the class of each row (P(class 1) >= 0.5: classes_[1])."""
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
