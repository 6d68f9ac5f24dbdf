"""Figures of a drift analysis, each returned as a matplotlib Figure (not registered with pyplot).

A notebook shows a returned Figure once; a test reads its axes; nothing is left open.
The figures: risk histograms per mode, drift over time, the embedding map with the
drift-driver clusters, the platform mix, and performance per window once outcome labels exist.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

from ava_model.errors import DriftInputError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from ava_evaluation.drift import ClusterShift
    from ava_evaluation.drift_map import EmbeddingMap

REFERENCE, CURRENT, ALARM, WARN = "#5b7fa6", "#e8743b", "#c62828", "#ef6c00"
LIGHT_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _dates(windows: Any) -> list[str]:
    import pandas as pd

    return [f"{pd.Timestamp(w):%b %d}" for w in windows]


def risk_histograms_figure(risks_ref: pd.DataFrame, risks_cur: pd.DataFrame, output: dict[str, dict[str, Any]],
                           *, bins: int = 20, thresholds: tuple[float, float] | None = None,
                           psi_threshold: float = 0.25, alpha: float = 0.05) -> Figure:
    """Return one panel per mode: the share of prompts per risk bin, reference (filled) vs current (line).

    Parameters
    ----------
    risks_ref, risks_cur:
        Risks of each window, one column per mode.
    output:
        Per mode psi and ks_p_adjusted (``DriftReport.output``); panels are sorted by PSI.
    bins:
        Equal-width bins over [0, 1].
    thresholds:
        (yellow, red) light thresholds, drawn as dotted lines when given.
    psi_threshold, alpha:
        The verdicts of ``DriftConfig``: a title is red when PSI exceeds ``psi_threshold`` (a major
        shift), orange when only the Bonferroni-corrected KS p-value is at most ``alpha``.
    """
    modes = sorted(output, key=lambda m: -output[m]["psi"])
    missing = [m for m in modes if m not in risks_ref.columns or m not in risks_cur.columns]
    if missing or not modes:
        raise DriftInputError(f"risk_histograms_figure needs risks for every mode of output; missing {missing}.")
    cols = min(4, len(modes))
    rows = int(np.ceil(len(modes) / cols))
    fig = _figure(3.3 * cols, 2.3 * rows + 0.4)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    edges = np.linspace(0, 1, bins + 1)
    floor = 0.5 / max(len(risks_ref), len(risks_cur))
    for ax, mode in zip(axes, modes):
        ref = np.histogram(risks_ref[mode], edges)[0] / len(risks_ref)
        cur = np.histogram(risks_cur[mode], edges)[0] / len(risks_cur)
        ax.stairs(ref, edges, fill=True, color=REFERENCE, alpha=0.45, label="reference")
        ax.stairs(cur, edges, color=CURRENT, linewidth=1.8, label="current")
        for t in thresholds or ():
            ax.axvline(t, color="#616161", linestyle=":", linewidth=0.8)
        o = output[mode]
        why = [name for name, hit in (("PSI", o["psi"] > psi_threshold), ("KS", o["ks_p_adjusted"] <= alpha)) if hit]
        colour = ALARM if "PSI" in why else WARN if why else "black"
        ax.set_title(f"{mode}{'  drift: ' + ' + '.join(why) if why else ''}\n"
                     f"PSI {o['psi']:.2f} · KS p {o['ks_p_adjusted']:.2g}", fontsize=9, color=colour)
        ax.set_xlim(0, 1)
        ax.set_yscale("log")  # most prompts sit near 0; the tails are where a mode drifts
        ax.set_ylim(floor, 1.5)
        ax.tick_params(labelsize=7)
    for ax in axes[len(modes):]:
        ax.axis("off")
    axes[0].legend(fontsize=7)
    for ax in axes[::cols]:
        ax.set_ylabel("share of prompts (log)", fontsize=8)
    fig.suptitle(f"Predicted risk per mode, reference vs current, worst PSI first (red: PSI > {psi_threshold:g}; "
                 f"orange: Bonferroni KS p ≤ {alpha:g} only; dotted: yellow and red light thresholds)", fontsize=10)
    return fig


def drift_timeline_figure(timeline: pd.DataFrame, reference_lights: dict[str, float] | None = None) -> Figure:
    """Return three panels over the windows: MMD² and classifier AUC against their thresholds, and light shares.

    Parameters
    ----------
    timeline:
        Rows of :func:`ava_evaluation.drift_timeline.drift_by_window`.
    reference_lights:
        Share of each light in the reference, drawn as dashed lines.
    """
    if timeline.empty:
        raise DriftInputError("drift_timeline_figure needs at least one window; the timeline is empty.")
    x = np.arange(len(timeline))
    fig = _figure(9, 7.2)
    axes = fig.subplots(3, 1, sharex=True)
    panels = (("mmd", "mmd_threshold", "MMD² (prompt embeddings)", "mmd_p"),
              ("auc", "auc_threshold", "domain-classifier AUC", "auc_p"))
    for ax, (stat, threshold, title, p) in zip(axes, panels):
        ax.plot(x, timeline[stat], marker="o", color=CURRENT, label=title)
        ax.step(x, timeline[threshold], where="mid", color=ALARM, linestyle="--", linewidth=1,
                label="threshold: 95% of the permutation null")
        over = (timeline[stat] > timeline[threshold]).to_numpy()
        ax.scatter(x[over], timeline[stat][over], s=90, facecolors="none", edgecolors=ALARM, linewidths=2, zorder=3)
        for xi, (value, pv) in enumerate(zip(timeline[stat], timeline[p])):
            if np.isfinite(value):
                ax.annotate(f"p={pv:.2g}", (xi, value), textcoords="offset points", xytext=(0, 7),
                            ha="center", fontsize=7)
        ax.set_ylabel(title.split(" (")[0], fontsize=9)
        ax.margins(y=0.2)
        ax.legend(fontsize=7, loc="upper left")
    axes[1].axhline(0.5, color="#9e9e9e", linewidth=0.8)
    for light, colour in LIGHT_COLOURS.items():
        axes[2].plot(x, timeline[light], marker="o", color=colour, label=f"{light} (current)")
        if reference_lights:
            axes[2].axhline(reference_lights[light], color=colour, linestyle="--", linewidth=1, alpha=0.8)
    axes[2].set_ylim(0, 1)
    axes[2].set_ylabel("share of prompts", fontsize=9)
    axes[2].legend(fontsize=7, loc="upper left", ncols=3,
                   title="dashed: reference share" if reference_lights else None, title_fontsize=7)
    axes[2].set_xticks(x, [f"{d}\nn={n}" for d, n in zip(_dates(timeline["window"]), timeline["n"])], fontsize=8)
    fig.suptitle("Drift over time: each window against the reference (circled: above threshold)", fontsize=10)
    return fig


def _wrap(text: str, width: int = 58, lines: int = 2) -> str:
    return "\n".join(textwrap.wrap(text, width, max_lines=lines, placeholder=" …"))


def embedding_map_figure(emap: EmbeddingMap, clusters: list[ClusterShift], *, examples: int = 2) -> Figure:
    """Return the 2-D map of the prompts with each cluster labelled, and beside it what each cluster holds.

    Parameters
    ----------
    emap:
        The projection (:func:`ava_evaluation.drift_map.embedding_map`) with the same config as ``clusters``.
    clusters:
        The drift drivers (``DriftReport.clusters``), largest growth first; growing clusters are red.
    examples:
        Current prompts listed per cluster (those nearest its centre).
    """
    shifts = {c.cluster: c for c in clusters}
    if set(shifts) != set(emap.centres["cluster"]):
        raise DriftInputError(f"the map's clusters {sorted(emap.centres['cluster'])} are not the drift drivers' "
                              f"{sorted(shifts)}; build both with the same DriftConfig.")
    terms = dict(zip(emap.centres["cluster"], emap.centres["terms"])) if "terms" in emap.centres else {}
    fig = _figure(13, 6.8)
    ax, text = fig.subplots(1, 2, width_ratios=(1.1, 1))
    for window, colour, size in (("reference", REFERENCE, 10), ("current", CURRENT, 14)):
        pts = emap.points[emap.points["window"] == window]
        ax.scatter(pts["x"], pts["y"], s=size, color=colour, alpha=0.5, linewidths=0, label=f"{window} ({len(pts)})")
    for _, centre in emap.centres.iterrows():
        c = shifts[int(centre["cluster"])]
        hot = c.shift > 0.05
        words = " · ".join(terms.get(c.cluster, [])[:3])
        label = f"C{c.cluster} {c.shift * 100:+.0f} pp" + (f"\n{words}" if words else "")
        edge = ALARM if hot else "#9e9e9e"
        ax.annotate(label, (centre["x"], centre["y"]), ha="center", va="center", fontsize=8,
                    fontweight="bold" if hot else "normal", color=ALARM if hot else "#424242",
                    bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": edge, "alpha": 0.85})
    ax.set_xlabel(f"PC1 ({emap.explained[0]:.0%} of variance)", fontsize=9)
    ax.set_ylabel(f"PC2 ({emap.explained[1]:.0%} of variance)", fontsize=9)
    ax.legend(fontsize=8, loc="best", markerscale=2)
    ax.set_title("Prompt embeddings (PCA); label: cluster, change in share, characteristic words", fontsize=10)
    text.axis("off")
    y = 1.0
    for c in clusters:
        hot = c.shift > 0.05
        words = ", ".join(terms.get(c.cluster, []))
        text.text(0, y, f"C{c.cluster}: {c.share_reference:.0%} → {c.share_current:.0%} ({c.shift * 100:+.0f} pp)"
                  + (f"   [{words}]" if words else ""), va="top", fontsize=9, fontweight="bold",
                  color=ALARM if hot else "#424242", transform=text.transAxes)
        shown = list(dict.fromkeys(c.examples))[:examples]  # a prompt sent twice is listed once
        body = "\n".join("• " + _wrap(e, 74, 2).replace("\n", "\n   ") for e in shown)
        text.text(0.02, y - 0.04, body, va="top", fontsize=8, color="#212121", transform=text.transAxes)
        y -= 0.04 + 0.03 * (body.count("\n") + 1) + 0.035
    text.set_title("Share of reference → current per cluster, largest growth first; current prompts nearest "
                   "each centre", fontsize=9, loc="left")
    return fig


def platform_mix_figure(mix: pd.DataFrame) -> Figure:
    """Return stacked horizontal bars: the share of each platform per row of ``platform_mix`` (reference on top)."""
    import matplotlib

    platforms = [c for c in mix.columns if c != "n"]
    if mix.empty or not platforms:
        raise DriftInputError("platform_mix_figure needs the table of platform_mix; it is empty.")
    colours = matplotlib.colormaps["tab10"].colors
    fig = _figure(9, 0.8 + 0.42 * len(mix))
    ax = fig.subplots()
    y = np.arange(len(mix))
    left = np.zeros(len(mix))
    for i, platform in enumerate(platforms):
        share = mix[platform].to_numpy(float)
        ax.barh(y, share, left=left, color="#bdbdbd" if platform == "other" else colours[i % 10], label=platform)
        for yi, (lo, s) in enumerate(zip(left, share)):
            if s >= 0.08:
                ax.text(lo + s / 2, yi, f"{s:.0%}", ha="center", va="center", fontsize=7, color="white")
        left += share
    ax.set_yticks(y, [f"{label} (n={n})" for label, n in zip(mix.index, mix["n"])], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of prompts", fontsize=9)
    ax.legend(fontsize=7, ncols=min(7, len(platforms)), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.set_title("Platform mix per window", fontsize=10, pad=22)
    return fig


def performance_figure(flagged: pd.DataFrame, modes: list[str] | None = None) -> Figure:
    """Return AUC and Brier per window and mode with 95% intervals, the reference range shaded, flagged windows red.

    Parameters
    ----------
    flagged:
        Rows of :func:`ava_evaluation.performance_drift.flag_windows`.
    modes:
        Columns of the grid, in order; None takes every mode of ``flagged`` (at most 4, most labelled first).
    """
    if flagged.empty:
        raise DriftInputError("performance_figure needs windows with outcome labels; there are none.")
    tally = flagged.groupby("mode").agg(flags=("flagged", "sum"), n=("n", "sum"))
    modes = list(modes or tally.sort_values(["flags", "n"], ascending=False).index[:4])
    unknown = sorted(set(modes) - set(flagged["mode"]))
    if unknown:
        raise DriftInputError(f"no outcome labels for modes {unknown}; labelled modes: {sorted(set(flagged['mode']))}.")
    windows = sorted(flagged["window"].unique())
    fig = _figure(3.4 * len(modes) + 0.6, 5.4)
    axes = fig.subplots(2, len(modes), squeeze=False, sharex=True)
    for j, mode in enumerate(modes):
        rows = flagged[flagged["mode"] == mode].set_index("window").reindex(windows)
        x = np.arange(len(windows))
        for i, (metric, outside) in enumerate((("auc", "auc_outside"), ("brier", "brier_outside"))):
            ax = axes[i, j]
            ax.fill_between(x, rows[f"ref_{metric}_lo"], rows[f"ref_{metric}_hi"], step="mid", color=REFERENCE,
                            alpha=0.2, label="reference range")
            err = np.vstack([rows[metric] - rows[f"{metric}_lo"], rows[f"{metric}_hi"] - rows[metric]])
            ax.errorbar(x, rows[metric], yerr=np.abs(np.nan_to_num(err)), fmt="o-", color=CURRENT, capsize=3,
                        markersize=4, linewidth=1, label="window (95% CI)")
            bad = rows[outside].fillna(False).to_numpy(bool)
            ax.scatter(x[bad], rows[metric][bad], s=80, color=ALARM, zorder=3, label="flagged")
            if "reference" in rows.columns and rows["reference"].fillna(False).any():
                last = int(np.flatnonzero(rows["reference"].fillna(False).to_numpy(bool))[-1])
                ax.axvspan(-0.5, last + 0.5, color="#9e9e9e", alpha=0.12, label="reference period")
            if metric == "auc":
                for xi, (v, k) in enumerate(zip(rows["auc"], rows["positives"])):
                    if np.isfinite(k):
                        ax.annotate(f"{int(k)}+", (xi, v if np.isfinite(v) else 0.5), textcoords="offset points",
                                    xytext=(0, -12), ha="center", fontsize=6.5, color="#616161")
            ax.tick_params(labelsize=7)
            if j == 0:
                ax.set_ylabel({"auc": "ROC AUC", "brier": "Brier score"}[metric], fontsize=9)
        axes[0, j].set_title(mode, fontsize=9)
        axes[1, j].set_xticks(x, _dates(windows), rotation=45, fontsize=7)
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.suptitle("Performance per window where outcome labels exist (red: outside the reference range; "
                 "k+: failures labelled in the window)", fontsize=10)
    return fig
