"""Scorer: a loaded model with its embedder and rules; it scores prompts and nothing else.

The path of a prompt: :mod:`~ava_model.core.validation` -> :mod:`~ava_model.core.embedding` ->
:mod:`~ava_model.core.features` (embedding, structure, exposure) -> :class:`~ava_model.core.model.AvaModel`
(calibrated heads x platform factors) -> risks. The product answer around the risks is composed
in :mod:`ava_model.answer.compose`; :class:`ava_model.api.Predictor` puts the two together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ava_model.core.embedding import Embedder
from ava_model.core.features import build_features, embed, embedded_inputs, model_inputs
from ava_model.core.model import AvaModel
from ava_model.core.validation import check_platforms, check_prompt, check_prompts
from ava_model.rules.taxonomy import Rules

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Scored:
    """One prompt scored on one platform, with the arrays the answer is computed from.

    Attributes
    ----------
    prompt, platform:
        The checked prompt and the platform id.
    risks, exercise, exposure, factors:
        (k,) arrays in the model's mode order: P(fail), P(prompt exercises the mode), the measured
        exposure, and the platform factors.
    embedding:
        (d,) embedding of the prompt as the heads read it.
    features:
        (1, D) model input row.
    """

    prompt: str
    platform: str
    risks: np.ndarray
    exercise: np.ndarray
    exposure: np.ndarray
    factors: np.ndarray
    embedding: np.ndarray
    features: np.ndarray


@dataclass
class Scorer:
    """A loaded model with its embedder and rules; thread-safe for scoring."""

    model: AvaModel
    manifest: dict[str, Any]
    rules: Rules
    embedder: Embedder = field(repr=False)

    @property
    def version(self) -> str:
        """Return the model's identifier (its artifact sha256 prefix, or registry version)."""
        return str(self.manifest.get("model_version") or self.manifest.get("sha256", "unknown")[:12])

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return the embeddings of already-checked texts, as the topic heads read them."""
        return embed(self.embedder, texts)

    def features(self, prompts: list[str]) -> np.ndarray:
        """Return the model inputs of already-checked prompts, embedded in one batch."""
        return model_inputs(self.embedder, prompts)

    def risk_matrix(self, prompts: list[str], platform_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return (risks, exercise) arrays of shape (n, k) for checked prompts and platform ids."""
        return self.model.risk_and_exercise(self.features(prompts), self.model.factor_matrix(platform_ids))

    def risks_of(self, vectors: np.ndarray, texts: list[str], factors: np.ndarray) -> np.ndarray:
        """Return the (n, k) risks of texts with the given embeddings on one platform (a (k,) factor row)."""
        if not texts:
            return np.zeros((0, len(self.model.modes)))
        return self.model.risk_and_exercise(build_features(vectors, texts), np.tile(factors, (len(texts), 1)))[0]

    def score(self, prompt: str, platform: str) -> Scored:
        """Return one prompt scored on one platform.

        Raises InvalidPrompt for an empty, non-string or over-long prompt and UnknownPlatform
        (listing the valid ids) for an unknown platform.
        """
        text = check_prompt(prompt, self.rules.thresholds.max_prompt_chars)
        platform_id = self.rules.platform(platform).id
        embedding, features = embedded_inputs(self.embedder, [text])
        factors = self.model.factor_matrix([platform_id])
        risks, exercise = self.model.risk_and_exercise(features, factors)
        return Scored(text, platform_id, risks[0], exercise[0], self.model.split_inputs(features)[1][0], factors[0],
                      embedding[0], features)

    def predict_proba(self, prompts: Any, platforms: Any) -> pd.DataFrame:
        """Return a DataFrame: one row per prompt, one column per mode id, risks in [0, 1]."""
        import pandas as pd

        texts = check_prompts(prompts, self.rules.thresholds.max_prompt_chars)
        platform_ids = check_platforms(platforms, len(texts), self.rules)
        risks, _ = self.risk_matrix(texts, platform_ids)
        return pd.DataFrame(risks, columns=list(self.model.modes))
