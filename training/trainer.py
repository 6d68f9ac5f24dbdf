"""Fit AVA on a prepared split: calibrated topic heads, platform factors, exposure heads; then score the held-out side."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ava_model.core.features import STRUCTURE_FEATURES, feature_names
from ava_model.core.model import AvaModel
from ava_model.core.platform_factors import fit_platform_factors
from ava_model.rules.curves import load_curves
from ava_model.rules.taxonomy import Rules, load_rules
from ava_training.config import TrainConfig
from ava_training.data import outcome_evidence
from ava_training.dataset import LabelMatrix, data_digest
from ava_training.fit import fit_exposure_heads, fit_heads, ladder_pairs
from ava_training.importers import read_ladders
from ava_training.prepare import Prepared, prepare
from ava_training.results import TrainResult
from ava_training.scoring import heldout_metrics, heldout_outcomes, predict_heldout


def co_occurrence(matrix: LabelMatrix) -> dict[str, dict[str, float]]:
    """Return P(prompt exercises B | it exercises A) from the labels, for every pair of modes."""
    labels = (matrix.labels >= 0.5).astype(float)
    known = matrix.weights > 0
    table = {}
    for a, mode_a in enumerate(matrix.modes):
        rows = labels[:, a] == 1
        table[mode_a] = {
            mode_b: round(float(labels[rows & known[:, b], b].mean()), 4) if (rows & known[:, b]).any() else 0.0
            for b, mode_b in enumerate(matrix.modes)
            if b != a
        }
    return table


def fit_model(prepared: Prepared, config: TrainConfig, rules: Rules) -> tuple[AvaModel, dict[str, dict]]:
    """Fit the topic heads, the platform factors and the exposure heads on the training side; return (model, heads chosen)."""
    matrix, train_idx = prepared.matrix, prepared.train_index
    topic_X, exposures = prepared.topic_features, prepared.exposures
    fitted = fit_heads(
        topic_X[train_idx], matrix.labels[train_idx], matrix.weights[train_idx], prepared.groups[train_idx],
        matrix.modes, candidates=config.head_candidates, folds=config.cv_folds, calibration=config.calibration,
        seed=config.seed, fixed=config.fixed_heads, svm_max_rows=config.svm_max_rows,
    )
    heads, chosen = fitted.heads, fitted.chosen
    outcomes, held = heldout_outcomes(prepared)
    # Platform factors learn from training-side outcomes only: held-out outcomes judge them.
    factors = fit_platform_factors(rules, list(prepared.data.published) + outcome_evidence(outcomes[~held]))
    # The ordering term compares risks at a typical platform's factor for the mode.
    typical_factor = {m: float(np.median([f[m].rate for f in factors.values() if m in f])) for m in matrix.modes}
    pairs = None
    if config.ladders_dir is not None and config.exposure_ranking_weight > 0:
        ladders = read_ladders(config.ladders_dir, rules)
        pairs = ladder_pairs(ladders[ladders["split"] == "train"], [matrix.prompts[i] for i in train_idx],
                             exposures[train_idx], matrix.modes)
    exposure_heads = fit_exposure_heads(
        exposures[train_idx], matrix.labels[train_idx], matrix.weights[train_idx], matrix.modes,
        fitted.out_of_fold_topic, load_curves(rules.mode_ids), pairs=pairs,
        ranking_weight=config.exposure_ranking_weight, typical_factor=typical_factor,
    )
    n_embedding = prepared.features.shape[1] - len(STRUCTURE_FEATURES) - 2 * len(matrix.modes)  # exposure, negation
    model = AvaModel(matrix.modes, heads, factors, prepared.embedder, {}, exposure_heads,
                     feature_names(n_embedding, matrix.modes))
    return model, chosen


def train(config: TrainConfig | None = None, rules: Rules | None = None, prepared: Prepared | None = None) -> TrainResult:
    """Fit a model on the training side of the split and score it on the held-out side; return the TrainResult.

    Nothing is written and nothing is logged: :func:`ava_training.pipeline.run_training` saves the artifact
    and logs the run, :func:`ava_training.retrain.retrain` gates it against the champion first.

    Parameters
    ----------
    config : TrainConfig, optional
        The run's knobs (default: ``TrainConfig()``).
    rules : Rules, optional
        Taxonomy and label rules (default: the packaged rules).
    prepared : Prepared, optional
        Data already prepared with this config (default: ``prepare(config, rules)``).
    """
    from ava_training.model_card import render_model_card

    config = config or TrainConfig()
    rules = rules or load_rules()
    prepared = prepared or prepare(config, rules)
    matrix = prepared.matrix
    model, chosen = fit_model(prepared, config, rules)
    heldout = predict_heldout(model, prepared)
    metrics = heldout_metrics(heldout)
    manifest = {
        "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "embedder": prepared.embedder,
        "rules_version": rules.version,
        "data_digest": data_digest(prepared.data.rows),
        "modes": list(matrix.modes),
        "structure_features": list(STRUCTURE_FEATURES),
        "sources": prepared.data.source_counts,
        "label_store": prepared.data.label_store,
        "n_train": int(len(prepared.train_index)),
        "n_test": int(len(prepared.test_index)),
        "heads": chosen,
        "config": config.to_params(),
        "metrics": {
            f"{r.mode}.{r.predictor}.{k}": float(getattr(r, k))
            for r in metrics.itertuples()
            for k in ("roc_auc", "pr_auc", "brier", "log_loss", "ece")
        },
    }
    model.metadata = {k: manifest[k] for k in ("trained_at", "rules_version", "data_digest", "embedder")}
    model.metadata["co_occurrence"] = co_occurrence(matrix)
    result = TrainResult(model, metrics, manifest, "", prepared.data, matrix, prepared.test_mask, heldout,
                         prepared.features)
    result.card = render_model_card(result, rules)
    return result
