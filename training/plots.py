"""Pictures of model quality: reliability diagrams per mode, each over a count histogram of its predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ava_training.metrics import calibration_bins

RELIABILITY_BINS = 10  # at most; quantile bins, so each holds about a tenth of a mode's held-out weight
MIN_BIN_WEIGHT = 20.0  # fewer bins when a mode has too little data for ten bins of this weight
HISTOGRAM_BINS = 20  # the count histogram under each curve: equal-width bins of predicted risk


def reliability_bins(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None):
    """Return the calibration bins a reliability diagram draws: quantile bins of about equal weight.

    Parameters
    ----------
    y, p, w:
        Labels, predicted probabilities and row weights (None: all 1).

    Returns
    -------
    ava_training.metrics.CalibrationBins
        At most ``RELIABILITY_BINS`` bins, fewer (down to two) when the total weight would leave a bin
        under ``MIN_BIN_WEIGHT``, so that no point of the curve stands on a handful of prompts.
    """
    p = np.asarray(p, dtype=float)
    total = float(np.sum(w)) if w is not None else float(len(p))
    n_bins = int(np.clip(total // MIN_BIN_WEIGHT, 2, RELIABILITY_BINS))
    return calibration_bins(np.asarray(y), p, None if w is None else np.asarray(w), n_bins, strategy="quantile")


def reliability_figure(curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                       title: str = "Reliability (held out)") -> Any:
    """Return a matplotlib figure: per mode a reliability curve over quantile bins and, under it, their counts.

    Parameters
    ----------
    curves:
        Mode id -> (labels, predicted probabilities, weights).
    title:
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        One column per mode (four per row); in each, the curve (observed rate against mean prediction
        per quantile bin, each point labelled with its bin's weighted count, the diagonal for reference) above
        a histogram of the predictions (weighted counts in ``HISTOGRAM_BINS`` equal-width bins; dotted lines
        at the quantile bins' edges).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(len(curves), 1)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(2 * rows, cols, figsize=(3.2 * cols, 4.2 * rows), squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1] * rows}, sharex="col")
    cells = [(axes[2 * (i // cols), i % cols], axes[2 * (i // cols) + 1, i % cols]) for i in range(rows * cols)]
    for (ax, hist), (mode, (y, p, w)) in zip(cells, curves.items()):
        bins = reliability_bins(y, p, w)
        edges, mean_p, rate, counts = map(np.array, (bins.edges, bins.mean_predicted, bins.observed_rate, bins.counts))
        keep = counts > 0
        ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--")
        ax.plot(mean_p[keep], rate[keep], marker="o", color="#1565c0")
        ax.set_title(mode, fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_ylabel("observed", fontsize=7)
        ax.tick_params(labelsize=6)
        for x, yv, c in zip(mean_p[keep], rate[keep], counts[keep]):
            ax.annotate(f"{c:.0f}", (x, yv), fontsize=6, xytext=(2, 2), textcoords="offset points")
        weights = np.ones(len(p)) if w is None else np.asarray(w, dtype=float)
        hist.hist(np.asarray(p, dtype=float), bins=HISTOGRAM_BINS, range=(0, 1), weights=weights, color="#90caf9",
                  edgecolor="#1565c0", lw=0.5)
        for edge in edges[1:-1]:  # where the curve's quantile bins split
            hist.axvline(edge, color="#555", lw=0.5, ls=":")
        hist.set_xlim(0, 1)
        hist.set_xlabel("predicted", fontsize=7)
        hist.set_ylabel("count", fontsize=7)
        hist.tick_params(labelsize=6)
    for ax, hist in cells[len(curves):]:
        ax.axis("off")
        hist.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def reliability_diagram(
    curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], path: str | Path, title: str = "Reliability (held out)"
) -> Path:
    """Save :func:`reliability_figure` as a PNG and return its path.

    ``curves`` maps a mode id to (labels, predicted probabilities, weights).
    """
    import matplotlib.pyplot as plt

    fig = reliability_figure(curves, title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
