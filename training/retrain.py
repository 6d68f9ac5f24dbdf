"""Retrain from everything labelled so far and let the challenger replace the champion only if it is better."""

from __future__ import annotations

import logging

from dataclasses import replace
from pathlib import Path

from ava_model.api import Predictor, load
from ava_model.errors import ArtifactError
from ava_training.config import TrainConfig
from ava_training.gate import GateDecision, compare
from ava_training.paths import cache_dir
from ava_training.pipeline import save_result
from ava_training.results import TrainResult
from ava_training.trainer import train
from ava_training.tracking import load_gate, log_training_run

_log = logging.getLogger(__name__)

def current_champion(model_name: str = "ava") -> Predictor:
    """Return the registry's champion, or the packaged default model when the registry has none."""
    try:
        return load(f"models:/{model_name}@champion")
    except ArtifactError:
        return load()


def retrain(config: TrainConfig, champion: Predictor | None = None) -> tuple[TrainResult, GateDecision]:
    """Train a challenger, compare it with the champion on the same held-out data, and record the decision.

    The challenger's artifact goes to ``config.out_dir`` only when it wins; otherwise to
    ``.cache/challenger`` so it can be inspected.
    """
    champion = champion or current_champion(config.model_name)
    heads = champion.manifest.get("heads") or {}
    fixed = config.fixed_heads or {m: (h["family"], h["C"]) for m, h in heads.items()} or None
    # Incremental: reuse the champion's head family and C per mode; selection reruns with `ava train`.
    result = train(replace(config, fixed_heads=fixed))
    decision = compare(champion.model, result, load_gate()["challenger"])
    _log.info(decision.summary())
    target = config.out_dir if decision.promote and config.out_dir is not None else cache_dir() / "challenger"
    save_result(result, Path(target))
    if config.track:
        log_training_run(result, config, decision)
    return result, decision
