"""Held-out evaluation of AVA next to four baselines, with bootstrap CIs, per-platform checks and LOSO.

``evaluate_split`` judges a finished training run on the split that run defined;
``leave_one_source_out`` asks how AVA transfers to a benchmark suite it never saw.
"""

from __future__ import annotations

import logging

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ava_evaluation.baselines import BASELINES, baseline_predictions
from ava_training.metrics import METRIC_NAMES, binary_metrics, calibration_bins, expected_calibration_error

if TYPE_CHECKING:
    from ava_model.core.model import AvaModel
    from ava_training.config import TrainConfig
    from ava_training.results import TrainResult

_log = logging.getLogger(__name__)

PREDICTORS = ("ava",) + BASELINES
LOSO_SOURCES = ("vbench2", "t2v_compbench", "vbench", "authored")


@dataclass
class EvalConfig:
    """Knobs of an evaluation: bootstrap resamples, their seed, and calibration bins."""

    n_bootstrap: int = 200
    seed: int = 0
    n_bins: int = 10


@dataclass(frozen=True)
class EvaluationReport:
    """Held-out metrics of AVA and the baselines.

    Attributes
    ----------
    table: one row per (mode, predictor): metrics, n, positives and 95% bootstrap CIs
        (auc_lo, auc_hi, brier_lo, brier_hi).
    bins: per mode, AVA's calibration bins (edges, counts, mean predicted, observed rate).
    platform: per (platform, mode) outcome labels: n, observed vs predicted failure rate, Brier.
    factors: platform x mode mean predicted risk over the held-out prompts that exercise the mode.
    published: per platform and mode with evidence, the published / user-observed failure rate next to AVA's factor.
    labels, weights, predictions: held-out arrays per mode (predictions per predictor), for plots.
    """

    table: pd.DataFrame
    bins: dict[str, dict[str, list[float]]]
    platform: pd.DataFrame
    factors: pd.DataFrame
    config: EvalConfig
    labels: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    weights: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    predictions: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    published: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> pd.DataFrame:
        """Return the mean of every metric over modes, one row per predictor (NaN AUCs skipped)."""
        columns = list(METRIC_NAMES) + ["auc_lo", "auc_hi", "brier_lo", "brier_hi"]
        return self.table.groupby("predictor", sort=False)[columns].mean()

    def shortfalls(self) -> pd.DataFrame:
        """Return the (mode, baseline) rows where a baseline's ROC AUC is above AVA's on that mode."""
        ava = self.table[self.table["predictor"] == "ava"].set_index("mode")["roc_auc"]
        others = self.table[self.table["predictor"] != "ava"].copy()
        others["ava_roc_auc"] = others["mode"].map(ava)
        worse = others[others["roc_auc"] > others["ava_roc_auc"]].copy()
        worse["ci_above_ava"] = worse["auc_lo"] > worse["ava_roc_auc"]
        return worse[["mode", "predictor", "roc_auc", "auc_lo", "auc_hi", "ava_roc_auc", "ci_above_ava"]]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (the held-out arrays are left out)."""
        return {
            "config": {"n_bootstrap": self.config.n_bootstrap, "seed": self.config.seed, "n_bins": self.config.n_bins},
            "table": _records(self.table),
            "summary": _records(self.summary().reset_index()),
            "bins": self.bins,
            "platform": _records(self.platform),
            "factors": _records(self.factors.reset_index()),
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def bootstrap_auc_brier(
    y: np.ndarray, p: np.ndarray, w: np.ndarray, n_bootstrap: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return (ROC AUC, Brier) of n_bootstrap resamples of the rows; AUC is NaN where a resample has one class.

    Resampling is vectorised: each resample is a vector of multinomial row counts, which multiply
    the sample weights. The weighted AUC is computed on the rows sorted once by p, with ties
    counted half (the same value sklearn's roc_auc_score gives).
    """
    y, p, w = (np.asarray(a, dtype=float) for a in (y, p, w))
    n = len(y)
    if n == 0 or n_bootstrap <= 0:
        return np.full(max(n_bootstrap, 0), np.nan), np.full(max(n_bootstrap, 0), np.nan)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_bootstrap).astype(float)
    wb = counts * w  # (B, n)
    total = wb.sum(axis=1)
    brier = (wb * (y - p) ** 2).sum(axis=1) / np.where(total > 0, total, np.nan)
    order = np.argsort(p, kind="mergesort")
    ps, ys, ws = p[order], y[order] >= 0.5, wb[:, order]
    starts = np.concatenate([[0], np.nonzero(np.diff(ps))[0] + 1])  # first row of each tied value
    pos = np.add.reduceat(ws * ys, starts, axis=1)
    neg = np.add.reduceat(ws * ~ys, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg  # negative weight strictly below each value
    denom = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos * (below + 0.5 * neg)).sum(axis=1) / denom
    auc[denom <= 0] = np.nan
    return auc, brier


def _interval(values: np.ndarray) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


def heldout_arrays(result: TrainResult) -> tuple[dict, dict, dict]:
    """Return per-mode held-out (labels, weights, {predictor: probabilities}) for AVA and every baseline.

    AVA's predictions are the ones the run scored (``result.heldout``); the baselines learn on the same split.
    """
    baselines = baseline_predictions(result)
    held = result.heldout
    predictions = {mode: {"ava": held.predictions[mode]["ava"], **baselines[mode]} for mode in result.matrix.modes}
    return dict(held.labels), dict(held.weights), predictions


def platform_table(outcomes: pd.DataFrame | None) -> pd.DataFrame:
    """Return per (platform, mode): n, weighted observed failure rate, mean predicted risk and Brier."""
    columns = ["platform", "mode", "n", "observed_rate", "predicted_rate", "brier"]
    if outcomes is None or outcomes.empty:
        return pd.DataFrame(columns=columns)
    records = []
    for (platform, mode), g in outcomes.groupby(["platform", "mode"]):
        w, r = g["weight"].to_numpy(float), g["risk"].to_numpy(float)
        y = (g["label"].to_numpy(float) >= 0.5).astype(float)
        if w.sum() <= 0:
            continue
        records.append({
            "platform": platform, "mode": mode, "n": len(g),
            "observed_rate": float(np.average(y, weights=w)), "predicted_rate": float(np.average(r, weights=w)),
            "brier": float(np.average((y - r) ** 2, weights=w)),
        })
    return pd.DataFrame(records, columns=columns)


def factor_table(model: AvaModel) -> pd.DataFrame:
    """Return the platform x mode table of platform factors: P(platform fails mode | prompt exercises it)."""
    return pd.DataFrame(
        {mode: [model.factors[p][mode].rate for p in model.factors] for mode in model.modes},
        index=pd.Index(list(model.factors), name="platform"),
    )


def published_table(model: AvaModel) -> pd.DataFrame:
    """Return, per platform and mode with published or user evidence, that observed rate next to AVA's factor."""
    rows = [
        {"platform": platform, "mode": mode, "observed_rate": round(f.observed_rate, 4), "ava_factor": round(f.rate, 4),
         "evidence_weight": f.evidence_weight, "sources": "; ".join(f.sources[1:])}
        for platform, modes in model.factors.items() for mode, f in modes.items() if f.observed_rate is not None
    ]
    return pd.DataFrame(rows, columns=["platform", "mode", "observed_rate", "ava_factor", "evidence_weight", "sources"])


def mean_risk_table(model: AvaModel, labels: dict, predictions: dict) -> pd.DataFrame:
    """Return platform x mode mean predicted risk over the held-out prompts that exercise the mode."""
    mean_exercise = {m: float(np.mean(predictions[m]["ava"][labels[m] == 1])) if (labels[m] == 1).any() else np.nan
                     for m in model.modes}
    return factor_table(model) * pd.Series(mean_exercise)


def evaluate_split(result: TrainResult, config: EvalConfig | None = None) -> EvaluationReport:
    """Return the EvaluationReport of a TrainResult on its own held-out split."""
    config = config or EvalConfig()
    labels, weights, predictions = heldout_arrays(result)
    records, bins = [], {}
    for k, mode in enumerate(labels):
        y, w = labels[mode], weights[mode]
        for name in PREDICTORS:
            p = predictions[mode][name]
            metrics = binary_metrics(y, p, w).to_dict()
            metrics["ece"] = expected_calibration_error(y, np.asarray(p, dtype=float), w, config.n_bins)
            # One seed per mode: every predictor sees the same resamples, so their CIs are paired.
            auc, brier = bootstrap_auc_brier(y, np.clip(p, 1e-6, 1 - 1e-6), w, config.n_bootstrap, config.seed + k)
            (auc_lo, auc_hi), (brier_lo, brier_hi) = _interval(auc), _interval(brier)
            records.append({"mode": mode, "predictor": name, **metrics, "auc_lo": auc_lo, "auc_hi": auc_hi,
                            "brier_lo": brier_lo, "brier_hi": brier_hi,
                            "n_boot_auc": int(np.isfinite(auc).sum())})
        b = calibration_bins(y, predictions[mode]["ava"], w, config.n_bins)
        bins[mode] = {"edges": list(b.edges), "counts": list(b.counts), "mean_predicted": list(b.mean_predicted),
                      "observed_rate": list(b.observed_rate)}
    return EvaluationReport(
        pd.DataFrame(records), bins, platform_table(result.heldout.outcomes),
        mean_risk_table(result.model, labels, predictions), config, labels, weights, predictions,
        published=published_table(result.model),
    )


def leave_one_source_out(config: TrainConfig | None = None, sources: tuple[str, ...] = LOSO_SOURCES) -> pd.DataFrame:
    """Return per (held-out source, mode, predictor) ROC AUC and Brier when that source is never trained on.

    The data, embeddings and near-duplicate groups are built once. For each source, AVA's heads
    (one SVM candidate, 3 group folds, for speed) and TF-IDF + LR train on the prompts of every
    other source, minus any prompt sharing a near-duplicate group with the held-out source, and
    are scored on the held-out source's prompts. Modes with one class on either side are skipped.
    """
    from ava_training.baselines import tfidf_predictions
    from ava_training.config import TrainConfig
    from ava_training.fit import fit_heads
    from ava_training.prepare import prepare

    config = replace(config or TrainConfig(), head_candidates=(("svm", 4.0),), cv_folds=3)
    # LOSO asks about benchmark transfer: no ladders and no published rates.
    prepared = prepare(replace(config, published_rates=False, ladders_dir=None))
    matrix, prompts, groups = prepared.matrix, prepared.prompts, prepared.groups
    X = prepared.topic_features  # LOSO scores the topic heads alone
    source = np.array(matrix.sources)
    records = []
    present = [held for held in sources if (source == held).any()]
    for held in sources:
        if held not in present:
            _log.info("LOSO: no prompts from %r; skipped.", held)
    # One progress line for the whole stage (a head per held-out source and mode), not a bar per fit.
    from tqdm.auto import tqdm

    sizes = []
    with tqdm(total=len(present) * len(matrix.modes), desc="leave one source out", unit="head") as bar:
        for held in present:
            test = source == held
            train = ~test & ~np.isin(groups, groups[test])
            sizes.append(f"{held} {int(test.sum())} test / {int(train.sum())} training")
            bar.set_postfix_str(f"holding out {held}")
            for j, mode in enumerate(matrix.modes):
                bar.update(1)
                tr = np.nonzero(train & (matrix.weights[:, j] > 0))[0]
                te = np.nonzero(test & (matrix.weights[:, j] > 0))[0]
                y_tr, y_te = (matrix.labels[tr, j] >= 0.5).astype(int), (matrix.labels[te, j] >= 0.5).astype(int)
                if len(np.unique(y_te)) < 2 or len(np.unique(y_tr)) < 2:
                    continue
                heads = fit_heads(X[tr], matrix.labels[tr][:, [j]], matrix.weights[tr][:, [j]], groups[tr], (mode,),
                                     candidates=config.head_candidates, folds=config.cv_folds,
                                     calibration=config.calibration, seed=config.seed, progress=False,
                                     svm_max_rows=config.svm_max_rows).heads
                w_tr, w_te = matrix.weights[tr, j], matrix.weights[te, j]
                scored = {
                    "ava": heads[mode].predict_proba(X[te])[:, 1],
                    "tfidf_lr": tfidf_predictions([prompts[i] for i in tr], y_tr, w_tr, [prompts[i] for i in te]),
                }
                for name, p in scored.items():
                    m = binary_metrics(y_te, p, w_te)
                    records.append({"source": held, "mode": mode, "predictor": name, "n": m.n,
                                    "positives": m.positives, "roc_auc": m.roc_auc, "brier": m.brier})
    if sizes:  # after the bar, so that the line does not break it
        _log.info("LOSO: held out %s prompts.", "; ".join(sizes))
    return pd.DataFrame(records, columns=["source", "mode", "predictor", "n", "positives", "roc_auc", "brier"])
