"""The public verbs: load a model, predict one prompt, predict_proba a batch.

The path of a prompt: validation -> embedding -> features -> model (heads x platform
factors) -> RiskReport. The default model is loaded once, lazily, under a lock.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ava_model.answer.compose import explain_report, report_of
from ava_model.answer.report import RiskReport
from ava_model.core.scorer import Scorer
from ava_model.core.validation import check_prompt
from ava_model.rules.playbook import Playbook, load_playbook
from ava_model.rules.taxonomy import FailureMode, Platform, load_rules

if TYPE_CHECKING:
    import pandas as pd

    from ava_model.core.exposure import Exposure


class Predictor(Scorer):
    """A :class:`~ava_model.core.scorer.Scorer` that also composes the product answer; thread-safe."""

    @property
    def playbook(self) -> Playbook:
        """Return the rewrite strategies, escalation rules and explain limits (data/rules)."""
        return load_playbook()

    @classmethod
    def from_pretrained(cls, uri: str | os.PathLike[str] | None = None, *,
                        expected_sha256: str | None = None) -> Predictor:
        """Return the Predictor saved at ``uri`` (a folder, an ``ava.joblib`` path or a ``models:/`` URI); see :func:`load`."""
        return load(uri, expected_sha256)

    def save_pretrained(self, directory: str | os.PathLike[str]) -> Path:
        """Write this model as an artifact folder (``ava.joblib``, ``manifest.json``) that :meth:`from_pretrained` reads.

        The manifest keeps what the model was trained with and records the new file's sha256;
        the writes are atomic. Returns the folder.
        """
        from ava_model.persistence.artifact import save_artifact

        kept = {k: v for k, v in self.manifest.items() if k not in ("artifact", "sha256", "libraries", "model_version")}
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        return save_artifact(self.model, target, kept)

    def predict(self, prompt: str, platform: str, *, explain: bool = True) -> RiskReport:
        """Return the RiskReport of one prompt on one platform.

        With ``explain`` (the default) the report also holds drivers, a verified rewrite, ranked
        alternatives and, for yellow and red results, the escalation kit
        (:func:`ava_model.answer.compose.explain_report`). Nothing is logged here: the cli, the
        server and :func:`ava_model.predict` write the opt-in score log.
        """
        scored = self.score(prompt, platform)
        return explain_report(self, scored, self.playbook) if explain else report_of(self, scored)


_default: Predictor | None = None
_default_lock = threading.Lock()


def load(uri: str | os.PathLike[str] | None = None, expected_sha256: str | None = None) -> Predictor:
    """Return a Predictor for an artifact folder, an ``ava.joblib`` path or an MLflow ``models:/`` URI.

    With no argument: ``AVA_MODEL_URI`` if set, else the model shipped in the package.
    ``expected_sha256`` pins the artifact file's checksum from outside the artifact; a registry model is
    also checked against the checksum its training run recorded. Loading refuses any pickle that names
    a global outside AVA's allow-list (:class:`~ava_model.errors.UnsafeArtifact`).
    """
    from ava_model.persistence.loading import load_scorer

    return load_scorer(uri, expected_sha256, Predictor)


def default_predictor() -> Predictor:
    """Return the process-wide default Predictor, loading it on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = load()
    return _default


def predict(prompt: str, platform: str, *, user: str | None = None) -> RiskReport:
    """Return the calibrated failure risks of one prompt on one platform, with the product answer.

    With ``AVA_SCORE_LOG`` set, the prediction is appended to that log (with ``user``).
    Raises InvalidPrompt for an empty, non-string or over-long prompt and
    UnknownPlatform (listing the valid ids) for an unknown platform.
    """
    from ava_model.labels import score_log

    report = default_predictor().predict(prompt, platform)
    score_log.append(report, user)
    return report


def predict_proba(prompts: Any, platforms: Any) -> pd.DataFrame:
    """Return one row per prompt and one column per mode id of failure probabilities.

    ``platforms`` is one platform for all prompts or one per prompt. Prompts are embedded in one batch.
    """
    return default_predictor().predict_proba(prompts, platforms)


def measure(prompt: str) -> dict[str, Exposure]:
    """Return, per mode, how much of its hard part the prompt asks for, with the spans that carry it.

    No model is needed: the rules in data/rules/exposure.yaml are applied to the prompt.
    Raises InvalidPrompt for an empty, non-string or over-long prompt.
    """
    from ava_model.core.exposure import measure as measure_exposure

    rules = load_rules()
    return measure_exposure(check_prompt(prompt, rules.thresholds.max_prompt_chars))


def failure_modes() -> list[FailureMode]:
    """Return the failure modes of the taxonomy."""
    return list(load_rules().modes)


def platforms() -> list[Platform]:
    """Return the known platforms."""
    return list(load_rules().platforms)
