"""The per-mode classifier: standardised features into logistic regression, calibrated on held-out folds."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class ScaledLogisticRegression(ClassifierMixin, BaseEstimator):
    """Standardise features, then logistic regression; accepts sample_weight in fit.

    A Pipeline would hide ``sample_weight`` from CalibratedClassifierCV, which then
    silently drops the label weights, hence this small estimator.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 2000):
        self.C = C
        self.max_iter = max_iter

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> ScaledLogisticRegression:
        """Fit the scaler and the regression; return self."""
        from sklearn.linear_model import LogisticRegression

        X = np.asarray(X, dtype=np.float64)
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter)
        self.model_.fit((X - self.mean_) / self.scale_, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Return the logit of each row."""
        return self.model_.decision_function((np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Return an (n, 2) array of class probabilities (uncalibrated)."""
        return self.model_.predict_proba((np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_)


def make_calibrated_head(C: float, method: str, folds: list[tuple[np.ndarray, np.ndarray]]):
    """Return an unfitted CalibratedClassifierCV over ScaledLogisticRegression with group folds."""
    from sklearn.calibration import CalibratedClassifierCV

    return CalibratedClassifierCV(ScaledLogisticRegression(C=C), method=method, cv=folds, ensemble=True)
