"""Binary metrics for one failure mode: ranking, probability quality and calibration."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

METRIC_NAMES = ("roc_auc", "pr_auc", "brier", "log_loss", "ece")


@dataclass(frozen=True)
class CalibrationBins:
    """Reliability-diagram data: per probability bin, count, mean prediction and observed rate."""

    edges: tuple[float, ...]
    counts: tuple[float, ...]
    mean_predicted: tuple[float, ...]
    observed_rate: tuple[float, ...]


def calibration_bins(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None, n_bins: int = 10) -> CalibrationBins:
    """Return weighted equal-width calibration bins over [0, 1]; empty bins hold NaN."""
    w = np.ones_like(p, dtype=float) if w is None else np.asarray(w, dtype=float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1], right=False), 0, n_bins - 1)
    counts, mean_p, rate = [], [], []
    for b in range(n_bins):
        mask = index == b
        total = float(w[mask].sum())
        counts.append(total)
        mean_p.append(float(np.average(p[mask], weights=w[mask])) if total else float("nan"))
        rate.append(float(np.average(y[mask], weights=w[mask])) if total else float("nan"))
    return CalibrationBins(tuple(edges.tolist()), tuple(counts), tuple(mean_p), tuple(rate))


def expected_calibration_error(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None, n_bins: int = 10) -> float:
    """Return the weighted ECE: sum over bins of bin share x |observed rate - mean prediction|."""
    bins = calibration_bins(y, p, w, n_bins)
    counts = np.array(bins.counts)
    gaps = np.abs(np.nan_to_num(np.array(bins.observed_rate)) - np.nan_to_num(np.array(bins.mean_predicted)))
    return float((counts * gaps).sum() / counts.sum()) if counts.sum() else float("nan")


@dataclass(frozen=True)
class BinaryMetrics:
    """Held-out metrics of one predictor on one mode."""

    roc_auc: float
    pr_auc: float
    brier: float
    log_loss: float
    ece: float
    n: int
    positives: float

    def to_dict(self) -> dict[str, float]:
        """Return a JSON-serialisable dict."""
        return asdict(self)


def binary_metrics(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> BinaryMetrics:
    """Return ROC AUC, PR AUC, Brier, log loss and ECE of predictions p for labels y (weights w).

    AUCs are NaN when y holds a single class.
    """
    from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=float)
    hard = (y >= 0.5).astype(int)
    both = len(np.unique(hard)) == 2
    return BinaryMetrics(
        roc_auc=float(roc_auc_score(hard, p, sample_weight=w)) if both else float("nan"),
        pr_auc=float(average_precision_score(hard, p, sample_weight=w)) if both else float("nan"),
        brier=float(brier_score_loss(hard, p, sample_weight=w)),
        log_loss=float(log_loss(hard, p, sample_weight=w, labels=[0, 1])),
        ece=expected_calibration_error(hard, p, w),
        n=int(len(y)),
        positives=float((hard * w).sum()),
    )
