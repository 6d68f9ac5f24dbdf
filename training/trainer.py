"""Train AVA end to end: data -> embeddings -> group split -> calibrated heads -> held-out metrics -> artifact."""

from __future__ import annotations

import datetime as dt
import numpy as np
import pandas as pd

from ava_model.persistence.artifact import read_manifest, save_artifact
from ava_model.rules.curves import load_curves
from ava_model.core.embedding import Embedder
from ava_model.core.features import STRUCTURE_FEATURES, build_features, embed, feature_names
from ava_model.core.model import AvaModel
from ava_model.core.platform_factors import fit_platform_factors
from ava_model.rules.taxonomy import ANY_PLATFORM, Rules, load_rules
from ava_training.metrics import binary_metrics
from ava_training.baselines import base_rate_predictions, tfidf_predictions
from ava_training.config import TrainConfig
from ava_training.data import load_training_data, outcome_evidence
from ava_training.dataset import LabelMatrix, build_label_matrix, data_digest
from ava_training.fit import fit_exposure_heads, fit_heads, ladder_pairs
from ava_training.importers import read_ladders
from ava_training.results import HeldOut, TrainResult
from ava_training.splits import group_keys, holdout_mask, near_duplicate_groups

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


def _predict_heldout(model: AvaModel, X: np.ndarray, matrix: LabelMatrix, train: np.ndarray, test: np.ndarray) -> HeldOut:
    heldout = HeldOut()
    exercise, topic = model.exercise_proba(X[test]), model.topic_proba(X[test])
    prompts = list(matrix.prompts)
    for j, mode in enumerate(matrix.modes):
        tr = train[matrix.weights[train, j] > 0]
        te_mask = matrix.weights[test, j] > 0
        te = test[te_mask]
        y_tr = (matrix.labels[tr, j] >= 0.5).astype(int)
        heldout.labels[mode] = (matrix.labels[te, j] >= 0.5).astype(int)
        heldout.weights[mode] = matrix.weights[te, j]
        heldout.predictions[mode] = {
            "ava": exercise[te_mask, j],
            "ava_topic": topic[te_mask, j],
            "tfidf_lr": tfidf_predictions([prompts[i] for i in tr], y_tr, matrix.weights[tr, j], [prompts[i] for i in te]),
            "base_rate": base_rate_predictions(y_tr, matrix.weights[tr, j], len(te)),
        }
    return heldout


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


def train(config: TrainConfig | None = None, rules: Rules | None = None) -> TrainResult:
    """Run a whole training job and return its TrainResult (artifact written if config.out_dir)."""
    config = config or TrainConfig()
    rules = rules or load_rules()
    data = load_training_data(
        config.data_dir, config.authored_dir, config.sources, rules, config.extra_labels, config.published_rates,
        config.label_store, config.ladders_dir,
    )
    matrix = build_label_matrix(data.rows, rules.mode_ids)
    embedder = Embedder(config.embedder, cache_dir=config.cache_dir)
    print(f"Embedding {len(matrix)} prompts with {embedder.name} (cached vectors are reused)...", flush=True)
    embeddings = embed(embedder, list(matrix.prompts), show_progress=True)
    X = build_features(embeddings, list(matrix.prompts))
    k = len(matrix.modes)
    topic_X, exposures = X[:, :-k], X[:, -k:].astype(np.float64)
    groups = near_duplicate_groups(list(matrix.prompts), embeddings, config.near_duplicate_threshold)
    test_mask = holdout_mask(group_keys(list(matrix.prompts), groups), config.test_fraction)
    train_idx, test_idx = np.nonzero(~test_mask)[0], np.nonzero(test_mask)[0]
    print(f"Split: {len(train_idx)} training prompts, {len(test_idx)} held out ({len(np.unique(groups))} groups).")
    heads, chosen = fit_heads(
        topic_X[train_idx], matrix.labels[train_idx], matrix.weights[train_idx], groups[train_idx], matrix.modes,
        candidates=config.head_candidates, folds=config.cv_folds, calibration=config.calibration, seed=config.seed,
        fixed=config.fixed_heads,
    )
    held_out_prompts = {p for p, t in zip(matrix.prompts, test_mask) if t}
    outcomes = data.rows[data.rows["platform"] != ANY_PLATFORM]
    outcome_test = outcomes["prompt"].isin(held_out_prompts)
    # Platform factors learn from training-side outcomes only: held-out outcomes judge them.
    factors = fit_platform_factors(rules, list(data.published) + outcome_evidence(outcomes[~outcome_test]))
    # The ordering term compares risks at a typical platform's factor for the mode.
    typical_factor = {m: float(np.median([f[m].rate for f in factors.values() if m in f])) for m in matrix.modes}
    pairs = None
    if config.ladders_dir is not None and config.exposure_ranking_weight > 0:
        ladders = read_ladders(config.ladders_dir, rules)
        pairs = ladder_pairs(ladders[ladders["split"] == "train"], [matrix.prompts[i] for i in train_idx],
                             exposures[train_idx], matrix.modes)
    exposure_heads = fit_exposure_heads(
        topic_X[train_idx], exposures[train_idx], matrix.labels[train_idx], matrix.weights[train_idx], groups[train_idx],
        matrix.modes, heads, chosen, load_curves(rules.mode_ids), folds=config.cv_folds, seed=config.seed,
        pairs=pairs, ranking_weight=config.exposure_ranking_weight, typical_factor=typical_factor,
    )
    digest = data_digest(data.rows)
    model = AvaModel(matrix.modes, heads, factors, embedder.name, {}, exposure_heads,
                     feature_names(X.shape[1] - len(STRUCTURE_FEATURES) - len(matrix.modes), matrix.modes))
    heldout = _predict_heldout(model, X, matrix, train_idx, test_idx)
    heldout.outcomes = outcome_predictions(model, outcomes[outcome_test], X, matrix)
    metrics = heldout_metrics(heldout)
    manifest = {
        "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "embedder": embedder.name,
        "rules_version": rules.version,
        "data_digest": digest,
        "modes": list(matrix.modes),
        "structure_features": list(STRUCTURE_FEATURES),
        "sources": data.source_counts,
        "label_store": data.label_store,
        "n_train": int(len(train_idx)),
        "n_test": int(len(test_idx)),
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
    from ava_training.model_card import render_model_card

    result = TrainResult(model, metrics, manifest, "", data, matrix, test_mask, heldout, X)
    result.card = render_model_card(result, rules)
    if config.out_dir is not None:
        result.artifact_dir = save_artifact(model, config.out_dir, manifest, result.card)
        result.manifest = read_manifest(result.artifact_dir)
    if config.track:
        from ava_training.tracking import log_training_run

        log_training_run(result, config)
    return result
