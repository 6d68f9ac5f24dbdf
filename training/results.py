"""What a training run returns: the model, its held-out predictions and metrics, and where it was written.

Its own module so that the model card, tracking and the gate read a result without importing the trainer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ava_model.core.model import AvaModel
from ava_training.data import TrainingData
from ava_training.dataset import LabelMatrix


@dataclass
class HeldOut:
    """Held-out labels and every predictor's probabilities, per mode."""

    labels: dict[str, np.ndarray] = field(default_factory=dict)
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    predictions: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    outcomes: pd.DataFrame | None = None  # held-out outcome labels with AVA's predicted risk


@dataclass
class TrainResult:
    """What a training run produced."""

    model: AvaModel
    metrics: pd.DataFrame
    manifest: dict[str, Any]
    card: str
    data: TrainingData
    matrix: LabelMatrix
    test_mask: np.ndarray
    heldout: HeldOut
    features: np.ndarray | None = None
    artifact_dir: Path | None = None
    run_id: str | None = None
    model_version: str | None = None
    promoted: bool = False

    def summary(self) -> pd.DataFrame:
        """Return mean metrics across modes per predictor."""
        return self.metrics.groupby("predictor")[["roc_auc", "pr_auc", "brier", "log_loss", "ece"]].mean()
