"""Per-mode classifiers over :func:`ava_model.core.features.build_features` (calibrated by ``core.calibration``).

Two families, chosen per mode by group cross-validation on the training split:
logistic regression on standardised features, and an RBF support-vector machine
on the embedding with down-weighted structure features.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from ava_model.errors import ConfigError

HEAD_FAMILIES = ("logreg", "svm")


class _MarginClassifier(ClassifierMixin, BaseEstimator):
    """Shared predict() for heads that expose a decision_function."""

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Return the predicted class of each row (margin above 0: classes_[1])."""
        return self.classes_[(self.decision_function(X) > 0).astype(int)]


class ScaledLogisticRegression(_MarginClassifier):
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
        Z = (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_
        return Z @ self.model_.coef_[0] + self.model_.intercept_[0]


class RBFSupportVectorHead(_MarginClassifier):
    """RBF-kernel SVM on [embedding, structure_weight x standardised structure features].

    Only what prediction needs is kept (support vectors as float32, dual coefficients,
    intercept), so eleven heads stay a few megabytes.

    Parameters
    ----------
    C: SVM regularisation.
    n_structure: how many trailing columns are structure features.
    structure_weight: their scale relative to the unit-norm embedding.
    """

    def __init__(self, C: float = 4.0, n_structure: int = 5, structure_weight: float = 0.1):
        self.C = C
        self.n_structure = n_structure
        self.structure_weight = structure_weight

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        k = self.n_structure
        if k == 0:
            return X
        structure = (X[:, -k:] - self.mean_) / self.scale_ * self.structure_weight
        return np.hstack([X[:, :-k], structure])

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> RBFSupportVectorHead:
        """Fit the SVM; return self."""
        from sklearn.svm import SVC

        self.__dict__.pop("_sv64", None)  # a refit must not predict with the old support vectors
        X = np.asarray(X, dtype=np.float64)
        k = self.n_structure
        self.mean_ = X[:, -k:].mean(axis=0) if k else np.zeros(0)
        self.scale_ = X[:, -k:].std(axis=0) if k else np.ones(0)
        self.scale_[self.scale_ == 0] = 1.0
        Z = self._inputs(X)
        self.gamma_ = 1.0 / (Z.shape[1] * Z.var())  # sklearn's gamma='scale'
        svc = SVC(C=self.C, kernel="rbf", gamma=self.gamma_).fit(Z, y, sample_weight=sample_weight)
        self.support_vectors_ = svc.support_vectors_.astype(np.float32)
        self.dual_coef_ = svc.dual_coef_.ravel().copy()
        self.intercept_ = float(svc.intercept_[0])
        self.classes_ = svc.classes_
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Return the signed SVM margin of each row (positive: the failure mode)."""
        Z = self._inputs(X)
        cache = self.__dict__.get("_sv64")
        if cache is None:  # float64 vectors and norms: made once per process (one assignment: thread-safe), never saved
            vectors = self.support_vectors_.astype(np.float64)
            cache = self._sv64 = (vectors, (vectors**2).sum(axis=1))
        vectors, norms = cache
        sq = (Z**2).sum(axis=1)[:, None] + norms[None, :] - 2.0 * Z @ vectors.T
        return np.exp(-self.gamma_ * np.maximum(sq, 0.0)) @ self.dual_coef_ + self.intercept_

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_sv64", None)
        return state


def positive_proba(head, X: np.ndarray) -> np.ndarray:
    """Return P(class 1) of each row for a fitted head, as ``head.predict_proba(X)[:, 1]`` would.

    The head training makes (:class:`ava_model.core.calibration.OutOfFoldCalibratedHead`) and a
    sigmoid-calibrated ``CalibratedClassifierCV`` with one calibrated classifier (what earlier artifacts
    hold) are evaluated directly, without scikit-learn's per-call input checks, which cost more than the
    arithmetic at one prompt per call; any other estimator goes through ``predict_proba``.
    """
    from sklearn.calibration import CalibratedClassifierCV

    from ava_model.core.calibration import OutOfFoldCalibratedHead

    if isinstance(head, OutOfFoldCalibratedHead):  # what training makes: no per-call input checks to skip
        return head.calibrate(head.decision_function(X))
    calibrated = getattr(head, "calibrated_classifiers_", None)  # artifacts trained before it
    if (isinstance(head, CalibratedClassifierCV) and calibrated is not None and len(calibrated) == 1
            and calibrated[0].method == "sigmoid" and len(head.classes_) == 2
            and hasattr(calibrated[0].estimator, "decision_function")):
        sigmoid = calibrated[0].calibrators[0]
        margin = calibrated[0].estimator.decision_function(X)
        return 1.0 / (1.0 + np.exp(sigmoid.a_ * margin + sigmoid.b_))
    return head.predict_proba(X)[:, 1]


def make_head(family: str, C: float, n_structure: int):
    """Return an unfitted head of a family ('logreg' or 'svm')."""
    if family == "logreg":
        return ScaledLogisticRegression(C=C)
    if family == "svm":
        return RBFSupportVectorHead(C=C, n_structure=n_structure)
    raise ConfigError(f"Unknown head family {family!r}; valid: {', '.join(HEAD_FAMILIES)}.")
