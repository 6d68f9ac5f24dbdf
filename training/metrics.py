"""Binary metrics for one failure mode: ranking, probability quality and calibration."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ava_model.errors import ConfigError

METRIC_NAMES = ("roc_auc", "pr_auc", "brier", "log_loss", "ece")


@dataclass(frozen=True)
class CalibrationBins:
    """Reliability-diagram data: per probability bin, count, mean prediction and observed rate."""

    edges: tuple[float, ...]
    counts: tuple[float, ...]
    mean_predicted: tuple[float, ...]
    observed_rate: tuple[float, ...]


def calibration_bins(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None, n_bins: int = 10,
                     strategy: str = "uniform") -> CalibrationBins:
    """Return weighted calibration bins: count, mean prediction and observed rate per bin; empty bins hold NaN.

    Parameters
    ----------
    y, p, w:
        Labels, predicted probabilities and row weights (None: all 1).
    n_bins:
        How many bins at most.
    strategy:
        ``"uniform"``: equal-width bins over [0, 1] (what :func:`expected_calibration_error` uses).
        ``"quantile"``: edges at weighted quantiles of ``p``, so every bin holds about the same weight;
        tied predictions merge bins, so there can be fewer than ``n_bins`` (what the reliability diagrams use).

    Returns
    -------
    CalibrationBins
        Edges (``len(counts) + 1``) and per-bin weighted count, mean prediction and observed rate.

    Raises
    ------
    ava_model.errors.ConfigError
        When ``strategy`` is neither ``"uniform"`` nor ``"quantile"`` (a ValueError too).
    """
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones_like(p, dtype=float) if w is None else np.asarray(w, dtype=float)
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = _quantile_edges(p, w, n_bins)
    else:
        raise ConfigError(f"Unknown calibration bin strategy {strategy!r}; choose 'uniform' or 'quantile'.")
    n = len(edges) - 1
    index = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, n - 1)
    counts, mean_p, rate = [], [], []
    for b in range(n):
        mask = index == b
        total = float(w[mask].sum())
        counts.append(total)
        mean_p.append(float(np.average(p[mask], weights=w[mask])) if total else float("nan"))
        rate.append(float(np.average(y[mask], weights=w[mask])) if total else float("nan"))
    return CalibrationBins(tuple(edges.tolist()), tuple(counts), tuple(mean_p), tuple(rate))


def _quantile_edges(p: np.ndarray, w: np.ndarray, n_bins: int) -> np.ndarray:
    """Return bin edges from 0 to 1 at the weighted quantiles of ``p``: each bin ends on a prediction, ties kept whole."""
    keep = w > 0
    if not keep.any():
        return np.array([0.0, 1.0])
    order = np.argsort(p[keep], kind="stable")
    values, weights = p[keep][order], w[keep][order]
    share = np.cumsum(weights) / weights.sum()
    cuts = [values[min(np.searchsorted(share, q), len(values) - 1)] for q in np.arange(1, n_bins) / n_bins]
    inner = np.unique([c for c in cuts if 0.0 < c < values[-1]])
    # A bin holds the predictions up to and including its right edge: an edge just above a cut value keeps ties together.
    inner = np.nextafter(inner, np.inf)
    return np.concatenate([[0.0], inner[inner < 1.0], [1.0]])


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
