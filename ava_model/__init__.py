"""AVA: calibrated pre-flight failure risks for AI video generation prompts.

>>> import ava_model
>>> report = ava_model.predict("Two people argue in a kitchen, ...", "sora-2")
>>> report.light, report.top_mode, report.risks["lip_sync"]
"""

from __future__ import annotations

from ava_model.api import Predictor, failure_modes, load, measure, platforms, predict, predict_proba
from ava_model.errors import (
    ArtifactError,
    ArtifactMismatch,
    AvaError,
    DataSourceError,
    InvalidPrompt,
    LabelStoreError,
    LabelValidationError,
    RulesError,
    UnknownMode,
    UnknownPlatform,
    UnsafeArtifact,
)
from ava_model.answer.report import RiskReport
from ava_model.rules.taxonomy import ANY_PLATFORM, FailureMode, Platform

__version__ = "0.1.0"

__all__ = [
    "ANY_PLATFORM",
    "ArtifactError",
    "ArtifactMismatch",
    "AvaError",
    "DataSourceError",
    "FailureMode",
    "InvalidPrompt",
    "LabelStoreError",
    "LabelValidationError",
    "Platform",
    "Predictor",
    "RiskReport",
    "RulesError",
    "UnknownMode",
    "UnknownPlatform",
    "UnsafeArtifact",
    "failure_modes",
    "load",
    "measure",
    "platforms",
    "predict",
    "predict_proba",
]
