"""Pydantic models of the HTTP API: what /v1/score accepts and what every endpoint returns.

Responses are the result dataclasses themselves (RiskReport, FailureMode, Platform,
ModeReference): pydantic reads their fields, so the API schema cannot drift from them.
"""

from __future__ import annotations

import functools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ava_model.answer.report import RiskReport
from ava_model.errors import ConfigError

MAX_ITEMS = 50
"""Most prompts one /v1/score request may carry."""

MAX_BODY_BYTES = 256 * 1024
"""Largest request body accepted; larger ones get 413."""

Light = Literal["green", "yellow", "red"]


@functools.lru_cache(maxsize=1)
def max_prompt_chars() -> int:
    """Return the prompt length limit (max_prompt_chars in data/rules/thresholds.yaml)."""
    from ava_model.rules.taxonomy import load_rules

    return load_rules().thresholds.max_prompt_chars


# --- requests -----------------------------------------------------------------


class ScoreItem(BaseModel):
    """One prompt to score on one platform."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=max_prompt_chars(), description="The video prompt as typed.")
    platform: str = Field(min_length=1, max_length=200, description="Platform id or alias, e.g. 'sora-2', 'Kling 1.6'.")


class ScoreRequest(BaseModel):
    """Either one ``prompt`` and ``platform``, or ``items``: a list of them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"prompt": "A woman says 'welcome home' to the camera, close-up", "platform": "sora-2"},
                {"items": [{"prompt": "A red ball rolls across a wooden floor", "platform": "veo-3"}], "explain": False},
            ]
        },
    )

    prompt: str | None = Field(default=None, min_length=1, max_length=max_prompt_chars())
    platform: str | None = Field(default=None, min_length=1, max_length=200)
    items: list[ScoreItem] | None = Field(default=None, min_length=1, max_length=MAX_ITEMS)
    explain: bool = Field(default=True, description="Add drivers, a verified rewrite, alternatives and the escalation kit.")
    user: str | None = Field(default=None, max_length=200,
                             description="Optional user id: the prediction joins that user's history (AVA_SCORE_LOG).")

    @model_validator(mode="after")
    def _one_form(self) -> ScoreRequest:
        single = self.prompt is not None or self.platform is not None
        if single and self.items is not None:
            raise ConfigError("Send either 'prompt' and 'platform', or 'items', not both.")
        if self.items is None and (self.prompt is None or self.platform is None):
            raise ConfigError("Send 'prompt' and 'platform' (both strings), or 'items': a list of {prompt, platform}.")
        return self

    @property
    def batch(self) -> bool:
        """Return True when the request used the ``items`` form."""
        return self.items is not None

    def resolved(self) -> list[ScoreItem]:
        """Return the items to score, one per prompt, whichever form the request used."""
        if self.items is not None:
            return list(self.items)
        return [ScoreItem(prompt=self.prompt or "", platform=self.platform or "")]


# --- responses ----------------------------------------------------------------


class Thresholds(BaseModel):
    """Traffic-light cut-offs on the highest per-mode risk."""

    yellow: float
    red: float


class ScoreResponse(BaseModel):
    """One report per prompt, in request order."""

    results: list[RiskReport]
    model_version: str
    thresholds: Thresholds


class NotFoundOut(BaseModel):
    """404: what was not found, and the valid choices."""

    detail: str


class Health(BaseModel):
    """Liveness and the model being served."""

    status: Literal["ok"]
    model_version: str
    embedder_backend: Literal["onnx", "torch"]


class ErrorItem(BaseModel):
    """One validation error, shaped like FastAPI's own."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """422: which fields are at fault and why."""

    detail: list[ErrorItem]
