"""Score a model on the held-out side of a Prepared split: the one held-out scoring of training and evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ava_model.core.model import AvaModel
from ava_model.rules.taxonomy import ANY_PLATFORM
from ava_training.baselines import base_rate_predictions, tfidf_predictions
from ava_training.dataset import LabelMatrix
from ava_training.metrics import binary_metrics
from ava_training.prepare import Prepared
from ava_training.results import HeldOut

PREDICTORS = ("ava", "ava_topic", "tfidf_lr", "base_rate")


def heldout_metrics(heldout: HeldOut) -> pd.DataFrame:
    """Return one row per (mode, predictor) with every metric on the held-out split."""
    records = []
    for mode, by_predictor in heldout.predictions.items():
        for name, p in by_predictor.items():
            m = binary_metrics(heldout.labels[mode], p, heldout.weights[mode])
            records.append({"mode": mode, "predictor": name, **m.to_dict()})
    return pd.DataFrame(records)


def outcome_predictions(model: AvaModel, outcomes: pd.DataFrame, X: np.ndarray, matrix: LabelMatrix) -> pd.DataFrame:
    """Return outcome rows with the model's predicted risk for their prompt, platform and mode."""
    frame = outcomes[["prompt", "platform", "mode", "label", "weight"]].reset_index(drop=True)
    if frame.empty:
        return frame.assign(risk=np.zeros(0))
    index = {p: i for i, p in enumerate(matrix.prompts)}
    rows = np.array([index[p] for p in frame["prompt"]])
    risks = model.risk_proba(X[rows], frame["platform"].tolist())
    column = {m: j for j, m in enumerate(model.modes)}
    return frame.assign(risk=risks[np.arange(len(frame)), [column[m] for m in frame["mode"]]])


def heldout_outcomes(prepared: Prepared) -> tuple[pd.DataFrame, pd.Series]:
    """Return (the outcome rows on a platform, True where the outcome's prompt is held out)."""
    rows = prepared.data.rows
    outcomes = rows[rows["platform"] != ANY_PLATFORM]
    held = {p for p, t in zip(prepared.matrix.prompts, prepared.test_mask) if t}
    return outcomes, outcomes["prompt"].isin(held)


def predict_heldout(model: AvaModel, prepared: Prepared) -> HeldOut:
    """Return the held-out labels, weights and predictions of AVA, its topic heads and two baselines, per mode.

    The baselines learn from the training side's rows labelled for each mode, the rows AVA's heads saw.
    The held-out outcome labels get AVA's predicted risk on their platform.
    """
    matrix, X = prepared.matrix, prepared.features
    train, test = prepared.train_index, prepared.test_index
    heldout = HeldOut()
    exercise, topic = model.exercise_proba(X[test]), model.topic_proba(X[test])
    prompts = prepared.prompts
    for j, mode in enumerate(matrix.modes):
        tr = train[matrix.weights[train, j] > 0]
        te_mask = matrix.weights[test, j] > 0
        te = test[te_mask]
        y_tr = (matrix.labels[tr, j] >= 0.5).astype(int)
        column = model.modes.index(mode)
        heldout.labels[mode] = (matrix.labels[te, j] >= 0.5).astype(int)
        heldout.weights[mode] = matrix.weights[te, j]
        heldout.predictions[mode] = {
            "ava": exercise[te_mask, column],
            "ava_topic": topic[te_mask, column],
            "tfidf_lr": tfidf_predictions([prompts[i] for i in tr], y_tr, matrix.weights[tr, j], [prompts[i] for i in te]),
            "base_rate": base_rate_predictions(y_tr, matrix.weights[tr, j], len(te)),
        }
    outcomes, held = heldout_outcomes(prepared)
    heldout.outcomes = outcome_predictions(model, outcomes[held], X, matrix)
    return heldout
