"""AvaModel: calibrated per-mode topic heads, exposure-aware hazard heads and per-platform factors.

``risk[m] = P(prompt exercises m | topic, exposure) * (1 - (1 - factor[platform, m]) ** D_m(exposure))``.
The topic head is a calibrated scikit-learn classifier over the embedding; the exposure head
(:class:`ava_model.core.hazard.ExposureHazard`) combines it with the mode's exposure, monotonically;
the platform factor is the fitted failure rate of the platform on a typical prompt of the mode,
raised or lowered by how much of the mode's hard part the prompt asks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ava_model.core.platform_factors import PlatformFactor


@dataclass
class AvaModel:
    """A trained AVA model: what the joblib artifact holds.

    Attributes
    ----------
    modes:
        Failure-mode ids, in column order.
    heads:
        Mode id -> fitted topic classifier with ``predict_proba`` over :func:`ava_model.core.features.build_features`.
    factors:
        Platform id -> mode id -> :class:`PlatformFactor`.
    embedder:
        Name of the embedder the heads were trained on.
    metadata:
        Rules version, data digest, training time, held-out metrics.
    exposure_heads:
        Mode id -> fitted :class:`ava_model.core.hazard.ExposureHazard` over [topic probability, exposure].
    feature_names_in_:
        Names of the input columns the model was fitted on (:func:`ava_model.core.features.feature_names`),
        recorded at fit as scikit-learn does; inputs of another width are refused. Empty in artifacts
        written before it was recorded (then nothing is checked).
    """

    modes: tuple[str, ...]
    heads: dict[str, Any]
    factors: dict[str, dict[str, PlatformFactor]]
    embedder: str
    metadata: dict[str, Any] = field(default_factory=dict)
    exposure_heads: dict[str, Any] = field(default_factory=dict)
    feature_names_in_: tuple[str, ...] = ()

    def split_inputs(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (topic features, exposures, negation flags) of model inputs."""
        if self.feature_names_in_ and (X.ndim != 2 or X.shape[1] != len(self.feature_names_in_)):
            from ava_model.errors import ArtifactMismatch

            raise ArtifactMismatch(
                f"The model was fitted on {len(self.feature_names_in_)} input columns "
                f"({self.feature_names_in_[0]} ... {self.feature_names_in_[-1]}); got an input of shape {X.shape}. "
                "Build inputs with ava_model.core.features.build_features from the model's own embedder."
            )
        k = len(self.modes)
        return X[:, : -2 * k], np.asarray(X[:, -2 * k : -k], dtype=np.float64), np.asarray(X[:, -k:], dtype=np.float64)

    def topic_proba(self, X: np.ndarray) -> np.ndarray:
        """Return an (n, k) array: the calibrated topic heads' P(prompt exercises mode), exposure not used."""
        from ava_model.core.heads import positive_proba

        features = self.split_inputs(X)[0]
        columns = [positive_proba(self.heads[m], features) for m in self.modes]
        return np.clip(np.column_stack(columns), 0.0, 1.0)

    def exercise_proba(self, X: np.ndarray) -> np.ndarray:
        """Return an (n, k) array: calibrated P(prompt exercises mode) from topic and exposure together."""
        topic, exposures = self.topic_proba(X), self.split_inputs(X)[1]  # P(exercised) does not read the negation flags
        return np.column_stack([self.exposure_heads[m].predict_proba(np.column_stack([topic[:, j], exposures[:, j]]))[:, 1]
                                for j, m in enumerate(self.modes)])

    def factor_matrix(self, platform_ids: list[str]) -> np.ndarray:
        """Return an (n, k) array of platform factors, one row per platform id."""
        missing = sorted({p for p in platform_ids if p not in self.factors})
        if missing:
            from ava_model.errors import ArtifactMismatch

            raise ArtifactMismatch(
                f"This model has no platform factors for {', '.join(missing)} (added to the rules after "
                f"it was trained). Known: {', '.join(self.factors)}. Retrain with `make train`."
            )
        table = {p: np.array([self.factors[p][m].rate for m in self.modes]) for p in set(platform_ids)}
        return np.stack([table[p] for p in platform_ids]) if platform_ids else np.zeros((0, len(self.modes)))

    def risk_and_exercise(self, X: np.ndarray, factors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (risks, exercise), both (n, k), for model inputs X and a matching (n, k) factor array."""
        _, exposures, negated = self.split_inputs(X)
        return self._risk_from(self.topic_proba(X), exposures, negated, factors)

    def risk_across_platforms(self, X: np.ndarray, platform_ids: list[str]) -> np.ndarray:
        """Return a (p, k) array: the risks of one prompt (a (1, d) input row) on each platform.

        The topic heads run once; only the platform factor changes from row to row.
        """
        topic, (_, exposures, negated) = self.topic_proba(X[:1]), self.split_inputs(X[:1])
        n = len(platform_ids)
        return self._risk_from(np.repeat(topic, n, axis=0), np.repeat(exposures, n, axis=0),
                               np.repeat(negated, n, axis=0), self.factor_matrix(platform_ids))[0]

    def _risk_from(self, topic: np.ndarray, exposures: np.ndarray, negated: np.ndarray,
                   factors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        risks, exercise = np.zeros_like(topic), np.zeros_like(topic)
        for j, m in enumerate(self.modes):
            columns = np.column_stack([topic[:, j], exposures[:, j], negated[:, j]])
            exercise[:, j] = self.exposure_heads[m].predict_proba(columns[:, :2])[:, 1]
            risks[:, j] = self.exposure_heads[m].risk(columns, factors[:, j])
        return risks, exercise

    def risk_proba(self, X: np.ndarray, platform_ids: list[str]) -> np.ndarray:
        """Return an (n, k) array of P(fail mode | prompt, platform)."""
        return self.risk_and_exercise(X, self.factor_matrix(platform_ids))[0]
