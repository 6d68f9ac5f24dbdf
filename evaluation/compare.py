"""Compare two model versions on the same held-out prompts: per-mode AUC difference with a paired bootstrap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ava_evaluation.evaluate import bootstrap_auc_brier
from ava_training.metrics import binary_metrics
from ava_model.errors import TrainingError


@dataclass(frozen=True)
class CompareConfig:
    """Paired bootstrap settings."""

    n_bootstrap: int = 1000
    seed: int = 0


def paired_auc_difference(y: np.ndarray, p_a: np.ndarray, p_b: np.ndarray, w: np.ndarray,
                          config: CompareConfig) -> dict[str, float]:
    """Return AUC of A and B, their difference B - A, its 95% interval and a two-sided paired-bootstrap p-value.

    Both models are scored on the very same resamples (same seed, same row counts), so
    the interval is of the paired difference.
    """
    auc_a, _ = bootstrap_auc_brier(y, p_a, w, config.n_bootstrap, config.seed)
    auc_b, _ = bootstrap_auc_brier(y, p_b, w, config.n_bootstrap, config.seed)
    delta = (auc_b - auc_a)[~np.isnan(auc_a) & ~np.isnan(auc_b)]
    point_a, point_b = binary_metrics(y, p_a, w).roc_auc, binary_metrics(y, p_b, w).roc_auc
    if len(delta) == 0:
        return {"auc_a": point_a, "auc_b": point_b, "delta": point_b - point_a,
                "ci_lo": np.nan, "ci_hi": np.nan, "p_value": np.nan}
    p_value = min(1.0, 2 * min((delta <= 0).mean(), (delta >= 0).mean()))
    return {"auc_a": point_a, "auc_b": point_b, "delta": point_b - point_a,
            "ci_lo": float(np.quantile(delta, 0.025)), "ci_hi": float(np.quantile(delta, 0.975)),
            "p_value": float(p_value)}


def compare_models(uri_a: str | None, uri_b: str | None, config: CompareConfig | None = None) -> pd.DataFrame:
    """Return one row per mode comparing model A and model B on the held-out split training defines."""
    from ava_model.api import load
    from ava_evaluation.heldout import heldout_result

    config = config or CompareConfig()
    result = heldout_result(uri_a)
    other = load(uri_b).model
    if other.embedder != result.model.embedder:
        raise TrainingError(f"Models embed with {result.model.embedder!r} and {other.embedder!r}: "
                         "their held-out features differ, compare them with separate `ava evaluate` runs.")
    test = np.asarray(result.test_mask, dtype=bool)
    X = result.features[test]
    p_a, p_b = result.model.exercise_proba(X), other.exercise_proba(X)
    rows = []
    for j, mode in enumerate(result.matrix.modes):
        keep = result.matrix.weights[test, j] > 0
        y = (result.matrix.labels[test, j][keep] >= 0.5).astype(int)
        w = result.matrix.weights[test, j][keep]
        k = other.modes.index(mode)
        rows.append({"mode": mode, **paired_auc_difference(y, p_a[keep, j], p_b[keep, k], w, config)})
    return pd.DataFrame(rows)
