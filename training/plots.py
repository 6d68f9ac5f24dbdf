"""Pictures of model quality: reliability diagrams per mode."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ava_training.metrics import calibration_bins


def reliability_diagram(
    curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], path: str | Path, title: str = "Reliability (held out)"
) -> Path:
    """Save a grid of reliability diagrams, one panel per mode, and return the PNG path.

    ``curves`` maps a mode id to (labels, predicted probabilities, weights).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(curves)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
    for ax, (mode, (y, p, w)) in zip(axes.flat, curves.items()):
        bins = calibration_bins(np.asarray(y), np.asarray(p), np.asarray(w))
        mean_p, rate, counts = map(np.array, (bins.mean_predicted, bins.observed_rate, bins.counts))
        keep = counts > 0
        ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--")
        ax.plot(mean_p[keep], rate[keep], marker="o", color="#1565c0")
        for x, yv, c in zip(mean_p[keep], rate[keep], counts[keep]):
            ax.annotate(f"{c:.0f}", (x, yv), fontsize=6, xytext=(2, 2), textcoords="offset points")
        ax.set_title(mode, fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("predicted", fontsize=7)
        ax.set_ylabel("observed", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
