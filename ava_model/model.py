"""AvaModel: calibrated per-mode heads times per-platform factors.

``risk[m] = P(prompt exercises m) * P(platform fails m | exercised)``. The first factor
is a calibrated scikit-learn classifier per mode, trained on benchmark and authored
labels; the second is the fitted platform-factor table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ava_model.platform_factors import PlatformFactor


@dataclass
class AvaModel:
    """A trained AVA model: what the joblib artifact holds.

    Attributes
    ----------
    modes:
        Failure-mode ids, in column order.
    heads:
        Mode id -> fitted classifier with ``predict_proba`` over :func:`ava_model.features.build_features`.
    factors:
        Platform id -> mode id -> :class:`PlatformFactor`.
    embedder:
        Name of the embedder the heads were trained on.
    metadata:
        Rules version, data digest, training time, held-out metrics.
    """

    modes: tuple[str, ...]
    heads: dict[str, Any]
    factors: dict[str, dict[str, PlatformFactor]]
    embedder: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def exercise_proba(self, features: np.ndarray) -> np.ndarray:
        """Return an (n, k) array: calibrated P(prompt exercises mode) per mode."""
        from ava_model.heads import positive_proba

        columns = [positive_proba(self.heads[m], features) for m in self.modes]
        return np.clip(np.column_stack(columns), 0.0, 1.0)

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

    def risk_proba(self, features: np.ndarray, platform_ids: list[str]) -> np.ndarray:
        """Return an (n, k) array of P(fail mode | prompt, platform)."""
        return self.exercise_proba(features) * self.factor_matrix(platform_ids)
