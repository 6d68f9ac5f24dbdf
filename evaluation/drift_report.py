"""A DriftReport as one self-contained HTML page: verdicts, output drift, lights, clusters, histograms."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evaluation.drift import DriftReport

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.yes{color:#b00020;font-weight:600}.no{color:#2e7d32}.banner{padding:.6em 1em;border-radius:6px}
.drift{background:#fde7e9}.stable{background:#e8f5e9}img{max-width:100%}small{color:#666}
"""
LIGHT_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}


def _png(fig: Any) -> str:
    """Return an <img> tag holding the figure as a base64 PNG, and close the figure."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode("ascii")}" alt="">'


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


def _yes_no(flag: bool) -> str:
    return '<span class="yes">drift</span>' if flag else '<span class="no">stable</span>'


def _details(details: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in details.items())


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _sections(report: DriftReport) -> list[str]:
    """Return the HTML sections of the page body."""
    tests = _table(
        ["test", "statistic", "p-value", "verdict", "details"],
        [[html.escape(t.name), f"{t.statistic:.4g}", f"{t.p_value:.3g}", _yes_no(t.drifted),
          f"<small>{html.escape(_details(t.details))}</small>"]
         for t in report.tests]
        + [["output_psi", f"{max(o['psi'] for o in report.output.values()):.3g}", "",
            _yes_no(report.verdicts["output_psi"]),
            f"<small>max PSI over modes; threshold {report.config.get('psi_threshold')}</small>"]],
    )
    output = _table(
        ["mode", "PSI", "KS", "KS p (Bonferroni)", "mean risk ref", "mean risk cur", "verdict"],
        [[html.escape(m), f"{o['psi']:.3f}", f"{o['ks_statistic']:.3f}", f"{o['ks_p_adjusted']:.3g}",
          f"{o['mean_reference']:.3f}", f"{o['mean_current']:.3f}", _yes_no(o["drifted"])]
         for m, o in sorted(report.output.items(), key=lambda kv: -kv[1]["psi"])],
    )
    change = report.light_shares["change"]
    lights = _table(["light", "reference", "current", "change"],
                    [[k, f"{report.light_shares['reference'][k]:.1%}", f"{report.light_shares['current'][k]:.1%}",
                      f"{change[k]:+.1%}"] for k in LIGHT_COLOURS])
    clusters = _table(
        ["cluster", "share ref", "share cur", "shift", "current prompts nearest the centre"],
        [[str(c.cluster), f"{c.share_reference:.1%}", f"{c.share_current:.1%}", f"{c.shift:+.1%}",
          "<br>".join(html.escape(e) for e in c.examples) or "<small>no current prompts</small>"]
         for c in report.clusters],
    )
    return [
        "<h2>Tests</h2>", tests,
        "<h2>Predicted risk per mode</h2>", output, _png(_histograms_figure(report.histograms)),
        "<h2>Traffic lights</h2>", lights, _png(_lights_figure(report.light_shares)),
        "<h2>What moved: clusters of prompts</h2>",
        "<p><small>k-means on the pooled embeddings; sorted by growth in the current window's share.</small></p>",
        clusters, _png(_clusters_figure(report.clusters)),
    ]


def render_drift_html(report: DriftReport, path: str | Path) -> Path:
    """Return the path of one self-contained HTML page rendering the report (plots embedded as PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    verdict = "Drift detected" if report.drifted else "No drift detected"
    failing = ", ".join(k for k, v in report.verdicts.items() if v) or "none"
    page = "\n".join([
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8"><title>AVA drift report</title>',
        f"<style>{STYLE}</style></head><body>", "<h1>AVA drift report</h1>",
        f'<p class="banner {"drift" if report.drifted else "stable"}"><b>{verdict}</b> '
        f"({report.n_reference} reference vs {report.n_current} current prompts; "
        f"drifted tests: {html.escape(failing)}; "
        f"alpha {report.config.get('alpha')})</p>",
        *_sections(report), "</body></html>",
    ])
    path.write_text(page, encoding="utf-8")
    return path
