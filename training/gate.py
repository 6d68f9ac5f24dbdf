"""Champion / challenger gate: compare two models on the same held-out data, decide by data/rules/quality_gate.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ava_training.metrics import binary_metrics
from ava_training.scoring import outcome_predictions
from ava_model.errors import TrainingError

if TYPE_CHECKING:
    from ava_model.core.model import AvaModel
    from ava_training.results import TrainResult


@dataclass(frozen=True)
class GateDecision:
    """Whether the challenger may take the champion alias, why, and the numbers behind it."""

    promote: bool
    reasons: tuple[str, ...]
    table: pd.DataFrame
    champion_mean_brier: float
    challenger_mean_brier: float

    def summary(self) -> str:
        """Return a one-paragraph account of the decision."""
        verdict = "PROMOTE" if self.promote else "KEEP CHAMPION"
        return (f"{verdict}: mean Brier {self.champion_mean_brier:.4f} (champion) vs {self.challenger_mean_brier:.4f} "
                f"(challenger). " + ("; ".join(self.reasons) or "no mode worse beyond tolerance."))


def _mode_scores(model: AvaModel, result: TrainResult) -> pd.DataFrame:
    test = np.nonzero(result.test_mask)[0]
    exercise = model.exercise_proba(result.features[test])
    records = []
    outcomes = result.heldout.outcomes
    if outcomes is not None and len(outcomes):
        outcomes = outcome_predictions(model, outcomes, result.features, result.matrix)
    for j, mode in enumerate(result.matrix.modes):
        keep = result.matrix.weights[test, j] > 0
        y = (result.matrix.labels[test, j][keep] >= 0.5).astype(int)
        m = binary_metrics(y, exercise[keep, model.modes.index(mode)], result.matrix.weights[test, j][keep])
        row = {"mode": mode, "roc_auc": m.roc_auc, "brier": m.brier, "outcome_brier": np.nan, "outcome_n": 0}
        if outcomes is not None and len(outcomes):
            mine = outcomes[outcomes["mode"] == mode]
            if len(mine):
                row["outcome_brier"] = float(np.average((mine["risk"] - mine["label"]) ** 2, weights=mine["weight"]))
                row["outcome_n"] = len(mine)
        records.append(row)
    return pd.DataFrame(records).set_index("mode")


def compare(champion: AvaModel, result: TrainResult, rules: dict[str, Any]) -> GateDecision:
    """Return the gate decision of a challenger (a TrainResult) against a champion model."""
    if champion.embedder != result.model.embedder:
        raise TrainingError(f"Champion embeds with {champion.embedder!r}, the challenger with {result.model.embedder!r}: "
                         "compare them with `ava evaluate --compare` instead.")
    old, new = _mode_scores(champion, result), _mode_scores(result.model, result)
    for scores in (old, new):  # a handful of outcome labels is noise, not evidence
        scores.loc[scores["outcome_n"] < rules["min_outcome_rows"], "outcome_brier"] = np.nan
    table = pd.merge(old, new, left_index=True, right_index=True, suffixes=("_champion", "_challenger"))
    reasons = []
    for mode in table.index:
        drop = old.loc[mode, "roc_auc"] - new.loc[mode, "roc_auc"]
        if drop > rules["max_auc_drop"]:
            reasons.append(f"{mode}: ROC AUC down {drop:.3f}")
        for col in ("brier", "outcome_brier"):
            rise = new.loc[mode, col] - old.loc[mode, col]
            if rise == rise and rise > rules["max_brier_rise"]:
                reasons.append(f"{mode}: {col} up {rise:.4f}")

    def mean_brier(scores: pd.DataFrame) -> float:
        return float(np.nanmean(np.r_[scores["brier"].to_numpy(), scores["outcome_brier"].to_numpy()]))

    champion_mean, challenger_mean = mean_brier(old), mean_brier(new)
    better = champion_mean - challenger_mean > rules["min_mean_brier_gain"]
    if not better:
        reasons.append(f"mean Brier not better ({challenger_mean:.4f} vs {champion_mean:.4f})")
    return GateDecision(not reasons, tuple(reasons), table.reset_index(), champion_mean, challenger_mean)
