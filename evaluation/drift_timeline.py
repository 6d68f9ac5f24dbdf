"""Drift over time: each window of the traffic (a week by default) tested against the reference.

``drift_by_window`` runs the MMD and domain-classifier tests of :mod:`ava_evaluation.drift` on
each window and records the statistic each must exceed (the 95% quantile of its permutation
null) and the share of each light; ``platform_mix`` gives the share of each platform per window
and ``platform_test`` a chi-square test of the mix; ``performance_over_time`` flags windows of
outcome labels against a reference period.
Every window is tested at level alpha: over many windows, expect an occasional false alarm
(5% of unchanged windows per test), and read a run of flagged windows as drift.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ava_evaluation.drift import LIGHTS, DriftConfig, TestResult, domain_classifier_test, mmd_test
from ava_model.errors import DriftInputError

if TYPE_CHECKING:
    import pandas as pd


def window_starts(timestamps: Any, freq: str = "W") -> pd.Series:
    """Return the start of the window of each timestamp: a pandas period alias ("W" weeks from Monday, "D", "M")."""
    import pandas as pd

    stamps = pd.to_datetime(pd.Series(timestamps).reset_index(drop=True), utc=True, format="mixed")
    try:
        return stamps.dt.tz_convert(None).dt.to_period(freq).dt.start_time
    except ValueError as exc:
        raise DriftInputError(f"freq must be a pandas period alias such as 'W', 'D' or 'M'; "
                              f"got {freq!r} ({exc}).") from exc


def drift_by_window(X_ref: Any, X_cur: Any, timestamps: Any, lights: list[str], *, freq: str = "W",
                    config: DriftConfig | None = None, min_prompts: int = 20) -> pd.DataFrame:
    """Return one row per window of the current traffic: its input-drift tests and light shares.

    Parameters
    ----------
    X_ref:
        Embeddings of the reference window.
    X_cur:
        Embeddings of the current traffic, one row per timestamp.
    timestamps:
        When each current prompt was scored.
    lights:
        The light of each current prompt.
    freq:
        Window length, a pandas period alias (see :func:`window_starts`).
    config:
        Settings of the tests (alpha, permutations, subsampling).
    min_prompts:
        Windows with fewer distinct prompts get light shares but no tests (NaN): too few to test.

    Returns
    -------
    pandas.DataFrame
        window (start), n, distinct, mmd, mmd_threshold, mmd_p, auc, auc_threshold, auc_p,
        drifted, and the share of each light.

    Notes
    -----
    Each window's distinct embeddings are tested: repeats of one prompt (a user iterating)
    are not exchangeable with the reference's distinct prompts, so the MMD would call them drift.
    """
    import pandas as pd

    config = config or DriftConfig()
    X_cur = np.asarray(X_cur)
    starts = window_starts(timestamps, freq)
    if not len(starts) == len(X_cur) == len(lights):
        raise DriftInputError(f"got {len(X_cur)} embeddings, {len(starts)} timestamps and {len(lights)} lights; "
                              "they must be one per current prompt.")
    rows = []
    for start in sorted(starts.unique()):
        members = np.flatnonzero((starts == start).to_numpy())
        shares = {light: float(np.mean([lights[i] == light for i in members])) for light in LIGHTS}
        distinct = np.unique(X_cur[members], axis=0)  # a prompt repeated in one window is tested once
        row: dict[str, Any] = {"window": start, "n": len(members), "distinct": len(distinct), **dict.fromkeys(
            ("mmd", "mmd_threshold", "mmd_p", "auc", "auc_threshold", "auc_p"), np.nan), "drifted": False}
        if len(distinct) >= min_prompts:
            mmd, auc = mmd_test(X_ref, distinct, config), domain_classifier_test(X_ref, distinct, config)
            row.update(mmd=mmd.statistic, mmd_threshold=mmd.details["null_q95"], mmd_p=mmd.p_value,
                       auc=auc.statistic, auc_threshold=auc.details["null_auc_q95"], auc_p=auc.p_value,
                       drifted=bool(mmd.drifted or auc.drifted))
        rows.append({**row, **shares})
    return pd.DataFrame(rows)


def platform_mix(reference: Any, current: Any, timestamps: Any = None, *, freq: str = "W",
                 top: int = 6) -> pd.DataFrame:
    """Return the share of each platform in the reference, the whole current traffic and each window.

    Parameters
    ----------
    reference:
        The platform of each reference prompt; None when the reference has none (training prompts).
    current:
        The platform of each current prompt.
    timestamps:
        When each current prompt was scored; None gives no per-window rows.
    freq:
        Window length, a pandas period alias.
    top:
        Platforms kept by name (the most used overall); the rest are summed as "other".

    Returns
    -------
    pandas.DataFrame
        One row per window ("reference" unless None, "current", then each window start as YYYY-MM-DD),
        one column per platform, rows summing to 1; the column ``n`` counts the prompts.
    """
    import pandas as pd

    cur = pd.Series(list(current), dtype=object)
    ref = None if reference is None else pd.Series(list(reference), dtype=object)
    if cur.empty or (ref is not None and ref.empty):
        raise DriftInputError(f"platform_mix needs platforms in each window; got {0 if ref is None else len(ref)} "
                              f"reference and {len(cur)} current.")
    named = list(pd.concat([cur] if ref is None else [ref, cur]).value_counts().index[:top])
    groups = {"current": cur} if ref is None else {"reference": ref, "current": cur}
    if timestamps is not None:
        starts = window_starts(timestamps, freq)
        if len(starts) != len(cur):
            raise DriftInputError(f"got {len(cur)} current platforms but {len(starts)} timestamps.")
        groups |= {f"{s:%Y-%m-%d}": cur[(starts == s).to_numpy()] for s in sorted(starts.unique())}
    rows = {}
    for label, values in groups.items():
        kept = values.where(values.isin(named), "other")
        shares = kept.value_counts(normalize=True)
        rows[label] = {**{p: float(shares.get(p, 0.0)) for p in [*named, "other"]}, "n": len(values)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    return table.loc[:, (table.drop(columns="n") > 0).any().reindex(table.columns, fill_value=True)]


def performance_over_time(outcomes: pd.DataFrame, *, reference_windows: int = 2, freq: str = "W",
                          config: DriftConfig | None = None) -> pd.DataFrame:
    """Return AUC and Brier per window and mode, flagged against the first ``reference_windows`` windows.

    Parameters
    ----------
    outcomes:
        Outcome labels with the risk the model gave (timestamp, mode, label, risk).
    reference_windows:
        The first windows with labels form the reference period; each window is flagged when its
        metric leaves the range of same-size resamples of that period
        (:func:`ava_evaluation.performance_drift.flag_windows`).
    freq:
        Window length, a pandas period alias; windows are labelled by their start, as in
        :func:`drift_by_window`.
    config:
        Bootstrap resamples and seed.

    Returns
    -------
    pandas.DataFrame
        The rows of ``flag_windows``: window, mode, n, positives, auc, brier, their intervals,
        ref_* bounds, auc_outside, brier_outside, flagged.
    """
    from ava_evaluation.performance_drift import flag_windows, performance_by_window

    if outcomes.empty or reference_windows < 1:
        raise DriftInputError(f"performance_over_time needs outcome labels and reference_windows >= 1; "
                              f"got {len(outcomes)} labels, reference_windows={reference_windows}.")
    starts = window_starts(outcomes["timestamp"], freq)
    data = outcomes.reset_index(drop=True).assign(timestamp=starts)  # one timestamp per window: daily groups = windows
    first = sorted(starts.unique())
    if len(first) <= reference_windows:
        raise DriftInputError(f"the labels span {len(first)} windows; a reference of {reference_windows} leaves "
                              "none to compare.")
    reference = data[(starts < first[reference_windows]).to_numpy()]
    per_window = performance_by_window(data, freq="D", config=config)
    flagged = flag_windows(per_window, reference, config)
    return flagged.assign(reference=flagged["window"] < first[reference_windows])


def platform_test(reference: Any, current: Any, alpha: float = 0.05) -> TestResult:
    """Return the chi-square test of "both windows send the same platform mix": statistic, p-value, verdict at alpha."""
    from scipy.stats import chi2_contingency

    ref, cur = list(reference), list(current)
    if not ref or not cur:
        raise DriftInputError(f"platform_test needs platforms in both windows; got {len(ref)} and {len(cur)}.")
    platforms = sorted(set(ref) | set(cur))
    if len(platforms) < 2:
        return TestResult("platform_chi2", 0.0, 1.0, False, {"platforms": 1, "dof": 0})
    result = chi2_contingency([[ref.count(p) for p in platforms], [cur.count(p) for p in platforms]])
    p = float(result.pvalue)
    return TestResult("platform_chi2", float(result.statistic), p, p <= alpha,
                      {"platforms": len(platforms), "dof": int(result.dof)})
