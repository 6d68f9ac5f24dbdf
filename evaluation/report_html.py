"""Render an EvaluationReport (and a leave-one-source-out table) as one self-contained HTML page."""

from __future__ import annotations

import base64
import html
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.plots import reliability_diagram

_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;font-size:12px;margin:1em 0}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#f3f3f3}td:first-child,td:nth-child(2){text-align:left}.warn{background:#fff4e5;border-left:4px solid #e65100;
padding:.5em 1em}img{max-width:100%}"""
_ROC_PREDICTORS = ("ava", "tfidf_lr", "setfit_lr")


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figure.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return _img(path)


def _img(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(Path(path).stem)}">'


def _grid(n: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(4, max(n, 1))
    rows = int(np.ceil(max(n, 1) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
    return fig, axes


def roc_figure(report) -> str:
    """Return an <img> of ROC curves per mode: AVA against the TF-IDF and SetFit-style baselines."""
    from sklearn.metrics import roc_curve

    modes = list(report.labels)
    fig, axes = _grid(len(modes))
    for ax, mode in zip(axes.flat, modes):
        y, w = report.labels[mode], report.weights[mode]
        ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--")
        if len(np.unique(y)) == 2:
            for name in _ROC_PREDICTORS:
                fpr, tpr, _ = roc_curve(y, report.predictions[mode][name], sample_weight=w)
                ax.plot(fpr, tpr, lw=1.5 if name == "ava" else 1, label=name)
            ax.legend(fontsize=6, loc="lower right")
        ax.set_title(mode, fontsize=9)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[len(modes):]:
        ax.axis("off")
    fig.suptitle("ROC curves (held out)", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def factor_heatmap(factors: pd.DataFrame) -> str:
    """Return an <img> heatmap of mode x platform factors: risk when a prompt exercises the mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = factors.T.to_numpy(dtype=float)  # modes as rows
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * values.shape[1] + 2), max(3, 0.45 * values.shape[0] + 1.5)))
    image = ax.imshow(values, cmap="OrRd", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(values.shape[1]), factors.index, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(values.shape[0]), factors.columns, fontsize=7)
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=5, color="white" if v > 0.6 else "black")
    fig.colorbar(image, ax=ax, label="mean predicted risk")
    ax.set_title("Mean predicted risk on held-out prompts that exercise each mode", fontsize=9)
    fig.tight_layout()
    return _png(fig)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:.3f}", na_rep="–", border=0)


def _shortfall_section(report) -> str:
    worse = report.shortfalls()
    if worse.empty:
        return '<p>AVA has the highest held-out ROC AUC of every predictor on every mode.</p>'
    items = []
    for r in worse.itertuples():
        strength = ("its 95% CI lies wholly above AVA's AUC" if r.ci_above_ava
                    else "within AVA's noise: its CI includes AVA's AUC")
        items.append(f"<li><b>{html.escape(r.mode)}</b>: baseline <b>{html.escape(r.predictor)}</b> AUC "
                     f"{r.roc_auc:.3f} [{r.auc_lo:.3f}, {r.auc_hi:.3f}] vs AVA {r.ava_roc_auc:.3f} - {strength}.</li>")
    return ('<div class="warn"><p><b>Where AVA does NOT beat a baseline</b> (baseline ROC AUC above AVA\'s '
            f'on the same held-out prompts; {len(worse)} mode/baseline pairs):</p><ul>{"".join(items)}</ul></div>')


def _loso_section(loso: pd.DataFrame | None) -> str:
    if loso is None or loso.empty:
        return "<p>No leave-one-source-out results were supplied.</p>"
    wide = loso.pivot_table(index=["source", "mode"], columns="predictor", values=["roc_auc", "brier"]).reset_index()
    wide.columns = ["_".join(c for c in col if c) for col in wide.columns]
    means = loso.groupby(["source", "predictor"])["roc_auc"].mean().unstack().rename_axis(columns=None).reset_index()
    both = {"roc_auc_ava", "roc_auc_tfidf_lr"} <= set(wide.columns)
    lost = wide[wide["roc_auc_tfidf_lr"] > wide["roc_auc_ava"]] if both else wide.iloc[:0]
    losses = ("<p>AVA beats the TF-IDF baseline on every held-out source and mode.</p>" if lost.empty else
              '<div class="warn"><p><b>Where AVA does NOT beat the TF-IDF baseline out of source</b>: '
              + "; ".join(f"{html.escape(r.source)} / {html.escape(r.mode)} (TF-IDF {r.roc_auc_tfidf_lr:.3f} vs "
                          f"AVA {r.roc_auc_ava:.3f})" for r in lost.itertuples()) + ".</p></div>")
    return ("<p>Each row: AVA and the TF-IDF baseline trained without any prompt of that source "
            "(nor near-duplicates of one), scored on that source.</p>" + losses
            + "<h3>Mean ROC AUC per held-out source</h3>" + _table(means) + "<h3>Per mode</h3>" + _table(wide))


def render_evaluation_html(report, loso_table: pd.DataFrame | None, path: str | Path) -> Path:
    """Write the evaluation page (metrics with CIs, reliability, ROC, LOSO, platform factors) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = ["mode", "predictor", "n", "positives", "roc_auc", "auc_lo", "auc_hi", "pr_auc", "brier",
               "brier_lo", "brier_hi", "log_loss", "ece"]
    curves = {m: (report.labels[m], report.predictions[m]["ava"], report.weights[m]) for m in report.labels}
    with tempfile.TemporaryDirectory() as tmp:
        reliability = _img(reliability_diagram(curves, Path(tmp) / "reliability.png", "AVA reliability (held out)"))
    summary = report.summary().reset_index()
    platform = ("<p>No held-out outcome labels: per-platform numbers are unavailable.</p>" if report.platform.empty
                else _table(report.platform))
    body = [
        "<h1>AVA evaluation (held-out split)</h1>",
        f"<p>{report.config.n_bootstrap} bootstrap resamples of the held-out prompts give the 95% CIs. "
        "Every baseline (base rate, TF-IDF + LR, keyword rule, SetFit-style LR on AVA's features) "
        "trains on exactly AVA's training split.</p>",
        _shortfall_section(report),
        "<h2>Summary (mean over modes)</h2>", _table(summary),
        "<h2>Metrics per mode with 95% bootstrap CIs</h2>", _table(report.table[columns]),
        "<h2>Reliability diagrams (AVA; labels are bin weights)</h2>", reliability,
        "<h2>ROC curves</h2>", roc_figure(report),
        "<h2>Leave one source out</h2>", _loso_section(loso_table),
        "<h2>Per-platform outcome labels (held out)</h2>", platform,
        "<h2>Risk by platform</h2><p>Mean predicted risk per platform and mode over the held-out prompts that "
        "exercise the mode, next to the published (VideoPhy) or user-observed failure rates where they exist.</p>",
        factor_heatmap(report.factors),
        "<h3>Published and observed failure rates</h3>",
        _table(report.published) if len(report.published) else "<p>No published or observed rates.</p>",
    ]
    page = (f'<!doctype html><html><head><meta charset="utf-8"><title>AVA evaluation</title><style>{_CSS}</style>'
            f"</head><body>{''.join(body)}</body></html>")
    path.write_text(page, encoding="utf-8")
    return path
