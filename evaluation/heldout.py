"""Rebuild the held-out split of a trained model and evaluate it there, as `ava evaluate` does."""

from __future__ import annotations

import logging

from pathlib import Path

import pandas as pd

_log = logging.getLogger(__name__)

def heldout_result(uri: str | None = None):
    """Return a TrainResult-shaped view of an existing model on the data and hash split training uses.

    The held-out prompts are the ones the model never saw: the split is decided by a stable
    hash of each near-duplicate group (:func:`ava_training.prepare.prepare`, the path training took).
    """
    from dataclasses import replace

    from ava_model.api import load
    from ava_model.labels.store import default_store_path
    from ava_training.config import TrainConfig
    from ava_training.prepare import prepare
    from ava_training.results import TrainResult
    from ava_training.scoring import heldout_metrics, predict_heldout

    predictor = load(uri)
    store = default_store_path()
    config = replace(TrainConfig(), published_rates=False, label_store=store if store.is_file() else None,
                     embedder=predictor.model.embedder)
    prepared = prepare(config, predictor.rules, modes=predictor.model.modes)
    heldout = predict_heldout(predictor.model, prepared)
    return TrainResult(predictor.model, heldout_metrics(heldout), predictor.manifest, "", prepared.data,
                       prepared.matrix, prepared.test_mask, heldout, prepared.features)


def evaluate_artifact(uri: str | None = None) -> pd.DataFrame:
    """Return per-mode held-out metrics of a model next to the base-rate and TF-IDF baselines."""
    return heldout_result(uri).metrics.sort_values(["mode", "predictor"])


def write_report(uri: str | None, path: Path, with_loso: bool = True, track: bool = True) -> Path:
    """Evaluate a model with bootstrap CIs and every baseline, run leave-one-source-out, write one HTML file.

    With ``track`` the report, its tables and the mean metrics are logged to an MLflow run
    (experiment ``ava``, run name ``evaluation``).
    """
    from ava_evaluation.evaluate import EvalConfig, evaluate_split, leave_one_source_out
    from ava_evaluation.report_html import render_evaluation_html
    from ava_training.config import TrainConfig

    report = evaluate_split(heldout_result(uri), EvalConfig())
    loso = leave_one_source_out(TrainConfig()) if with_loso else None
    out = render_evaluation_html(report, loso, path)
    summary = report.summary()
    _log.info(summary.round(3).to_string())
    if track:
        import mlflow

        from ava_model.persistence.registry import tracking_uri
        from ava_training.tracking import _experiment_id

        mlflow.set_tracking_uri(tracking_uri())
        with mlflow.start_run(experiment_id=_experiment_id(mlflow), run_name="evaluation"):
            mlflow.set_tag("model", uri or "packaged default")
            mlflow.log_metrics({f"mean.{p}.{m}": float(summary.loc[p, m]) for p in summary.index
                                for m in ("roc_auc", "brier", "ece") if m in summary.columns})
            mlflow.log_artifact(str(out))
            mlflow.log_text(report.table.to_csv(index=False), "evaluation_table.csv")
            if loso is not None:
                mlflow.log_text(loso.to_csv(index=False), "leave_one_source_out.csv")
    return out
