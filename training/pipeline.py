"""A training job as ``ava train`` runs it: train -> save the artifact -> log the run (register and gate it).

Each step is its own function (:func:`ava_training.trainer.train`, :func:`save_result`,
:func:`ava_training.tracking.log_training_run`); :func:`ava_training.retrain.retrain` puts the
champion/challenger gate between training and saving.
"""

from __future__ import annotations

from pathlib import Path

from ava_model.rules.taxonomy import Rules
from ava_training.config import TrainConfig
from ava_training.results import TrainResult
from ava_training.trainer import train


def save_result(result: TrainResult, out_dir: Path) -> Path:
    """Write the result's artifact, manifest and model card to ``out_dir``; return the folder.

    ``result.artifact_dir`` and ``result.manifest`` (now with the artifact's sha256) are updated.
    """
    from ava_model.persistence.artifact import read_manifest, save_artifact

    result.artifact_dir = save_artifact(result.model, Path(out_dir), result.manifest, result.card)
    result.manifest = read_manifest(result.artifact_dir)
    return result.artifact_dir


def run_training(config: TrainConfig | None = None, rules: Rules | None = None) -> TrainResult:
    """Train, write the artifact to ``config.out_dir`` (if set) and log the run to MLflow (if ``config.track``)."""
    config = config or TrainConfig()
    result = train(config, rules)
    if config.out_dir is not None:
        save_result(result, config.out_dir)
    if config.track:
        from ava_training.tracking import log_training_run

        log_training_run(result, config)
    return result
