"""Render an EvaluationReport (and a leave-one-source-out table) as one self-contained HTML page.

The markup lives in Jinja2 templates in ``evaluation/templates``. :func:`render_template` fills
them through one environment that escapes every value it prints (autoescaping) and refuses a
variable the caller did not pass (``StrictUndefined``); ``ava_evaluation.drift_report`` uses it too.
"""

from __future__ import annotations

import base64
import io
import math
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from ava_model.templating import template_environment
from ava_training.plots import reliability_diagram

TEMPLATES_DIR = Path(__file__).with_name("templates")
_ROC_PREDICTORS = ("ava", "tfidf_lr", "setfit_lr")
_NA = "–"  # a missing number in a table
_METRIC_COLUMNS = ["mode", "predictor", "n", "positives", "roc_auc", "auc_lo", "auc_hi", "pr_auc", "brier",
                   "brier_lo", "brier_hi", "log_loss", "ece"]


# --- the template environment -------------------------------------------------


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Return the Jinja2 environment of the evaluation reports (built once).

    Returns
    -------
    jinja2.Environment
        Loads ``evaluation/templates``, autoescapes every printed value and raises
        ``jinja2.UndefinedError`` on a missing variable. Filter ``fmt``: Python's ``format(value, spec)``.
    """
    return template_environment(TEMPLATES_DIR)


def render_template(template: str, **context: Any) -> str:
    """Return a template of ``evaluation/templates`` rendered with ``context``.

    Parameters
    ----------
    template:
        The file name, e.g. ``"evaluation.html"``.
    **context:
        The variables the template uses; every one it prints is escaped.

    Returns
    -------
    str
        The HTML.

    Raises
    ------
    jinja2.UndefinedError
        When the template uses a variable that is not in ``context``.
    """
    return environment().get_template(template).render(**context)


def image_tag(png: bytes, alt: str = "") -> Markup:
    """Return an ``<img>`` holding a PNG as a base64 data URL, from the ``image`` macro of ``_macros.html``.

    Parameters
    ----------
    png:
        The PNG bytes.
    alt:
        The alternative text (escaped).

    Returns
    -------
    markupsafe.Markup
        The tag, safe to print in a template: its only inputs are base64 digits and the escaped ``alt``.
    """
    data = base64.b64encode(png).decode("ascii")
    return environment().get_template("_macros.html").module.image(data, alt)


def figure_png(fig: Any, **savefig: Any) -> bytes:
    """Return a matplotlib figure as PNG bytes and close it.

    Parameters
    ----------
    fig:
        The figure.
    **savefig:
        Options for ``fig.savefig`` (dpi, bbox_inches...).

    Returns
    -------
    bytes
        The PNG.
    """
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", **savefig)
    plt.close(fig)
    return buffer.getvalue()


def _png(fig: Any) -> Markup:
    return image_tag(figure_png(fig, dpi=100), "figure")


def _img(path: Path) -> Markup:
    return image_tag(Path(path).read_bytes(), Path(path).stem)


def _grid(n: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(4, max(n, 1))
    rows = int(np.ceil(max(n, 1) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
    return fig, axes


def roc_figure(report) -> Markup:
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


def factor_heatmap(factors: pd.DataFrame) -> Markup:
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


COUNT_COLUMNS = frozenset({"n", "positives", "reports", "n_boot_auc", "count", "counts"})  # counts, never scores


def _cell(value: Any, count: bool = False) -> str:
    """Return a table cell as text: floats with three decimals, counts as integers, missing numbers as a dash.

    A count (``count=True``) that is a whole number prints as one (``15``, not ``15.000``); a weighted
    count with a fraction keeps one decimal (``14.5``).
    """
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return _NA
        if count:
            return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
        return f"{value:.3f}"
    if value is not None and pd.api.types.is_scalar(value) and pd.isna(value):
        return _NA
    return str(value)


def frame_table(frame: pd.DataFrame) -> dict[str, list]:
    """Return a data frame as the ``columns`` and ``rows`` (of cell text) of the ``table`` macro; no index.

    Columns named in ``COUNT_COLUMNS`` (n, positives, ...) print as integers; other floats with three decimals.

    Parameters
    ----------
    frame:
        The table, one header row of column names.

    Returns
    -------
    dict
        ``columns``: the column names; ``rows``: one list of cell strings per row.
    """
    counts = [str(c) in COUNT_COLUMNS for c in frame.columns]
    return {"columns": [str(c) for c in frame.columns],
            "rows": [[_cell(v, c) for v, c in zip(row, counts)] for row in frame.itertuples(index=False, name=None)]}


def _loso(loso: pd.DataFrame | None) -> dict[str, Any] | None:
    """Return what the leave-one-source-out section shows, or None without results."""
    if loso is None or loso.empty:
        return None
    wide = loso.pivot_table(index=["source", "mode"], columns="predictor", values=["roc_auc", "brier"]).reset_index()
    wide.columns = ["_".join(c for c in col if c) for col in wide.columns]
    means = loso.groupby(["source", "predictor"])["roc_auc"].mean().unstack().rename_axis(columns=None).reset_index()
    both = {"roc_auc_ava", "roc_auc_tfidf_lr"} <= set(wide.columns)
    lost = wide[wide["roc_auc_tfidf_lr"] > wide["roc_auc_ava"]] if both else wide.iloc[:0]
    return {"losses": list(lost.itertuples()), "means": frame_table(means), "wide": frame_table(wide)}


def render_evaluation_html(report, loso_table: pd.DataFrame | None, path: str | Path) -> Path:
    """Write the evaluation page (metrics with CIs, reliability, ROC, LOSO, platform factors) and return its path.

    Parameters
    ----------
    report:
        The ``ava_evaluation.evaluate.EvaluationReport``.
    loso_table:
        Leave-one-source-out results (source, mode, predictor, roc_auc, brier...), or None.
    path:
        Where to write the page; parent folders are created.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    curves = {m: (report.labels[m], report.predictions[m]["ava"], report.weights[m]) for m in report.labels}
    with tempfile.TemporaryDirectory() as tmp:
        reliability = _img(reliability_diagram(curves, Path(tmp) / "reliability.png", "AVA reliability (held out)"))
    page = render_template(
        "evaluation.html",
        n_bootstrap=report.config.n_bootstrap,
        n_bins=report.config.n_bins,
        shortfalls=list(report.shortfalls().itertuples()),
        summary=frame_table(report.summary().reset_index()),
        metrics=frame_table(report.table[_METRIC_COLUMNS]),
        reliability=reliability,
        roc=roc_figure(report),
        loso=_loso(loso_table),
        platform=None if report.platform.empty else frame_table(report.platform),
        heatmap=factor_heatmap(report.factors),
        published=frame_table(report.published) if len(report.published) else None,
    )
    path.write_text(page, encoding="utf-8")
    return path
