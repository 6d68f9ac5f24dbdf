"""ExposureHazard: the calibrated, exposure-aware score of one mode, monotone in topic and exposure.

``P(exercised) = 1 - exp(-(w0 + wq * -log(1 - q) + we * G(e) + wx * max(0, G(e) / G(e_ref) - 1)))`` with
all weights >= 0, where q is the calibrated topic head's probability and G the mode's degree curve. With
``we = wx = 0`` and ``wq = 1`` it is the topic head itself, so the fit can only add what exposure explains.
The last term, the exposure in excess of the typical exercised prompt's (e_ref), is zero on almost every
benchmark prompt; it lets prompts that ask for more of the hard part than a typical positive count as
exercising the mode even where the embedding, trained on short benchmark prompts, reads them as off-topic.

The failure risk on a platform is ``P(exercised) * F(e)`` with
``F(e) = 1 - (1 - factor) ** D(e)`` and ``D(e) = z + (1 - z) * G(e) / G(e_ref)``: at the typical
exposure of the training positives (e_ref) the platform factor applies unchanged, below it the risk
is lower (down to the zero-exposure share z), above it higher, without a cap. A prompt that negates the
mode ("silent", "no text": an optional third column of X, 1 where negated) has ``D = negated_hazard``, a
small residual below z: it asks for none of the hard part, which an unmeasured prompt may still hold.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from ava_model.errors import ConfigError

_EPS = 1e-6


class ExposureHazard(ClassifierMixin, BaseEstimator):
    """Monotone hazard combination of a topic probability and an exposure (columns of X: q, exposure).

    Parameters
    ----------
    knots: the degree curve's (exposure, relative hazard) knots.
    zero_exposure_hazard: D(0), the hazard share of an on-topic prompt with no measured exposure.
    reference_exposure: the exposure at which the platform factor is the failure rate (None: the median
        exposure of the positive training rows).
    l2: ridge penalty on the weights (keeps them finite on separable data).
    ranking_weight: weight of the ordering term: for each ``pairs`` entry (lower, higher) of training rows
        (neighbouring rungs of an authored ladder whose measured exposure rises), a soft hinge on
        ``log risk(lower) - log risk(higher)`` at the factor ``ranking_factor``. It teaches the fit that
        more of the hard part outweighs the topic score's wording noise; 0 turns it off.
    ranking_factor: the platform factor at which the ordering term compares risks.
    negated_hazard: D of a row whose third column says the prompt negates the mode (<= zero_exposure_hazard).
    """

    def __init__(self, knots: tuple[tuple[float, float], ...] = ((0.0, 0.0), (1.0, 1.0)),
                 zero_exposure_hazard: float = 0.5, reference_exposure: float | None = None, l2: float = 1e-3,
                 ranking_weight: float = 0.0, ranking_factor: float = 0.3, negated_hazard: float = 0.0):
        self.knots = knots
        self.zero_exposure_hazard = zero_exposure_hazard
        self.reference_exposure = reference_exposure
        self.l2 = l2
        self.ranking_weight = ranking_weight
        self.ranking_factor = ranking_factor
        self.negated_hazard = negated_hazard

    def _curve(self, exposure: np.ndarray) -> np.ndarray:
        from ava_model.rules.curves import DegreeCurve

        return DegreeCurve("", tuple(self.knots), 0.0, 0.0, False, "").relative_hazard(exposure)

    def _design(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] not in (2, 3):
            raise ConfigError("ExposureHazard expects an (n, 2) array of [topic probability, exposure] or (n, 3) "
                              f"with a 0/1 negated column, got {X.shape}.")
        q = np.clip(X[:, 0], 0.0, 1.0 - _EPS)
        g = self._curve(X[:, 1])
        columns = [np.ones(len(X)), -np.log1p(-q), g]
        if len(getattr(self, "coef_", ())) != 3:  # artifacts fitted before the excess term have three weights
            columns.append(np.maximum(0.0, g / self.reference_hazard_ - 1.0))
        return np.column_stack(columns)

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None,
            pairs: np.ndarray | None = None) -> ExposureHazard:
        """Fit the non-negative weights by weighted maximum likelihood (plus the ordering term); return self.

        ``pairs``: an (m, 2) integer array of row indices (lower, higher) whose order the fit should keep.
        """
        from scipy.optimize import minimize

        y = np.asarray(y, dtype=np.float64)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        pairs = np.zeros((0, 2), dtype=int) if pairs is None else np.asarray(pairs, dtype=int).reshape(-1, 2)
        exposure = np.asarray(X, dtype=np.float64)[:, 1]
        self._set_reference(exposure, y)  # before the design: the excess term is relative to e_ref
        self.__dict__.pop("coef_", None)
        Z = self._design(X)
        # log F(higher) - log F(lower): how much the degree term alone already orders each pair.
        log_f = np.log(np.maximum(self._given_exercised(exposure, np.full(len(y), self.ranking_factor)), _EPS))
        lo, hi = pairs[:, 0], pairs[:, 1]
        offset = log_f[hi] - log_f[lo]
        sharp = 10.0

        def log_p(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            p = np.maximum(-np.expm1(-h), _EPS)
            return np.log(p), np.exp(-h) / p  # log P(exercised) and its derivative in h

        def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
            h = np.maximum(Z @ beta, _EPS)
            p = -np.expm1(-h)
            # d/dh of -[y log(1 - e^-h) + (1 - y)(-h)] = -y e^-h / (1 - e^-h) + (1 - y)
            grad_h = -y * np.exp(-h) / np.maximum(p, _EPS) + (1.0 - y)
            value = -(w * (y * np.log(np.maximum(p, _EPS)) - (1.0 - y) * h)).sum() / w.sum()
            grad = Z.T @ (w * grad_h) / w.sum() + 2 * self.l2 * beta
            value += self.l2 * beta @ beta
            if self.ranking_weight > 0 and len(pairs):
                lp, dlp = log_p(h)
                gap = sharp * (lp[lo] - lp[hi] - offset)  # > 0: the higher rung's risk is lower
                value += self.ranking_weight * float(np.logaddexp(0.0, gap).mean()) / sharp
                slope = 0.5 * (1.0 + np.tanh(gap / 2)) / len(pairs)
                grad = grad + self.ranking_weight * (Z[lo].T @ (slope * dlp[lo]) - Z[hi].T @ (slope * dlp[hi]))
            return value, grad

        start = np.array([0.01, 1.0, 0.1, 0.1])
        result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=[(0, None)] * len(start))
        self.coef_ = result.x
        self.classes_ = np.array([0, 1])
        return self

    def _set_reference(self, exposure: np.ndarray, y: np.ndarray) -> None:
        positive = (y >= 0.5) & (exposure > 0)
        # The typical exposure of exercised prompts: where the platform factor (measured on such prompts) applies.
        if self.reference_exposure is not None:
            self.reference_exposure_ = float(self.reference_exposure)
        else:
            self.reference_exposure_ = float(np.median(exposure[positive])) if positive.any() else float(self.knots[-1][0])
        self.reference_hazard_ = max(float(self._curve(np.array([self.reference_exposure_]))[0]), _EPS)

    def hazard(self, X: np.ndarray) -> np.ndarray:
        """Return the cumulative hazard of each row (non-decreasing in both columns)."""
        return self._design(X) @ self.coef_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Return an (n, 2) array: [P(not exercised), P(exercised)]."""
        p = -np.expm1(-self.hazard(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Return 1 where P(exercised) >= 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def degree(self, exposure: np.ndarray, negated: np.ndarray | None = None) -> np.ndarray:
        """Return D(exposure): zero_exposure_hazard at none, 1 at the reference exposure, unbounded above.

        Where ``negated`` is true (and no exposure was measured), ``negated_hazard``.
        """
        z = self.zero_exposure_hazard
        d = z + (1.0 - z) * self._curve(exposure) / self.reference_hazard_
        if negated is None:
            return d
        residual = min(getattr(self, "negated_hazard", z), z)  # artifacts fitted before the parameter: none
        return np.where((np.asarray(negated) > 0.5) & (np.asarray(exposure) <= 0), residual, d)

    def risk(self, X: np.ndarray, factors: np.ndarray) -> np.ndarray:
        """Return P(fail) = P(exercised) * (1 - (1 - factor) ** D(exposure)) for each row."""
        X = np.asarray(X, dtype=np.float64)
        negated = X[:, 2] if X.ndim == 2 and X.shape[1] == 3 else None
        return self.predict_proba(X)[:, 1] * self._given_exercised(X[:, 1], factors, negated)

    def _given_exercised(self, exposure: np.ndarray, factors: np.ndarray, negated: np.ndarray | None = None) -> np.ndarray:
        """Return F(e) = 1 - (1 - factor) ** D(e), the failure rate of a prompt that exercises the mode."""
        factors = np.clip(np.asarray(factors, dtype=np.float64), 0.0, 1.0)
        return -np.expm1(self.degree(exposure, negated) * np.log1p(-np.minimum(factors, 1.0 - _EPS)))
