"""A DriftReport as one self-contained HTML page: verdicts, output drift, lights, clusters, histograms.

The markup is the template ``evaluation/templates/drift.html``, rendered (autoescaped) by
:func:`ava_evaluation.report_html.render_template`; this module draws the figures and gathers the rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ava_evaluation.report_html import figure_png, image_tag, render_template

if TYPE_CHECKING:
    from ava_evaluation.drift import DriftReport

LIGHT_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}


def _png(fig: Any) -> Markup:
    """Return an <img> tag holding the figure as a base64 PNG, and close the figure."""
    return image_tag(figure_png(fig, dpi=90, bbox_inches="tight"), "")


def _histograms_figure(histograms: dict[str, dict[str, list[float]]]) -> Any:
    """Return a grid of per-mode predicted-risk histograms, reference vs current (share per bin)."""
    import matplotlib.pyplot as plt
    import numpy as np

    n = max(1, len(histograms))
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for ax, (mode, h) in zip(axes.flat, histograms.items()):
        edges = np.asarray(h["edges"])
        centres, width = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
        ax.bar(centres, h["reference"], width=width, alpha=0.5, label="reference", color="#1f77b4")
        ax.bar(centres, h["current"], width=width, alpha=0.5, label="current", color="#ff7f0e")
        ax.set_title(mode, fontsize=9)
        ax.set_xlim(0, 1)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(histograms):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Predicted risk per mode (share of prompts per bin)", fontsize=10)
    fig.tight_layout()
    return fig


def _lights_figure(shares: dict[str, dict[str, float]]) -> Any:
    """Return a bar chart of the share of each light in the reference and current windows."""
    import matplotlib.pyplot as plt
    import numpy as np

    lights = list(LIGHT_COLOURS)
    x = np.arange(len(lights))
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(x - 0.2, [shares["reference"][k] for k in lights], 0.4, color="#9e9e9e")
    ax.bar(x + 0.2, [shares["current"][k] for k in lights], 0.4, color=[LIGHT_COLOURS[k] for k in lights])
    ax.set_xticks(x, lights)
    ax.set_ylabel("share of prompts")
    ax.set_ylim(0, 1)
    ax.set_title("Traffic lights: reference (grey), current (coloured)", fontsize=10)
    return fig


def _clusters_figure(clusters: list) -> Any:
    """Return a horizontal bar chart of each cluster's share of the reference and current windows."""
    import matplotlib.pyplot as plt
    import numpy as np

    y = np.arange(len(clusters))
    fig, ax = plt.subplots(figsize=(5, 0.5 + 0.45 * max(1, len(clusters))))
    ax.barh(y - 0.2, [c.share_reference for c in clusters], 0.4, label="reference", color="#1f77b4")
    ax.barh(y + 0.2, [c.share_current for c in clusters], 0.4, label="current", color="#ff7f0e")
    ax.set_yticks(y, [f"cluster {c.cluster}" for c in clusters])
    ax.invert_yaxis()  # largest growth on top, as in the table
    ax.set_xlabel("share of window")
    ax.legend(fontsize=8)
    return fig


def _details(details: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in details.items())


def _context(report: DriftReport) -> dict[str, Any]:
    """Return the variables of ``drift.html``: the verdict, the rows of each table and the figures."""
    return {
        "drifted": report.drifted,
        "failing": ", ".join(k for k, v in report.verdicts.items() if v) or "none",
        "n_reference": report.n_reference,
        "n_current": report.n_current,
        "config": report.config,
        "tests": [(t, _details(t.details)) for t in report.tests],
        "max_psi": max(o["psi"] for o in report.output.values()),
        "psi_drifted": report.verdicts["output_psi"],
        "output": sorted(report.output.items(), key=lambda kv: -kv[1]["psi"]),
        "lights": list(LIGHT_COLOURS),
        "shares": report.light_shares,
        "clusters": report.clusters,
        "histograms_figure": _png(_histograms_figure(report.histograms)),
        "lights_figure": _png(_lights_figure(report.light_shares)),
        "clusters_figure": _png(_clusters_figure(report.clusters)),
    }


def render_drift_html(report: DriftReport, path: str | Path) -> Path:
    """Write one self-contained HTML page rendering the report (plots embedded as PNG) and return its path.

    Parameters
    ----------
    report:
        The drift report, from ``ava_evaluation.drift``.
    path:
        Where to write the page; parent folders are created.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_template("drift.html", **_context(report)), encoding="utf-8")
    return path
