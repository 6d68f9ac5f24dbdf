"""Pydantic models of the HTTP API: what /v1/score accepts and what every endpoint returns.

Response models mirror the dataclasses of :mod:`ava_model.report` and :mod:`ava_model.rules`
field for field; they allow extra fields so a field added there reaches clients unchanged.
"""

from __future__ import annotations

import functools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_ITEMS = 50
"""Most prompts one /v1/score request may carry."""

MAX_BODY_BYTES = 256 * 1024
"""Largest request body accepted; larger ones get 413."""

Light = Literal["green", "yellow", "red"]


@functools.lru_cache(maxsize=1)
def max_prompt_chars() -> int:
    """Return the prompt length limit (max_prompt_chars in data/rules/thresholds.yaml)."""
    from ava_model.rules import load_rules

    return load_rules().thresholds.max_prompt_chars


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


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
            raise ValueError("Send either 'prompt' and 'platform', or 'items', not both.")
        if self.items is None and (self.prompt is None or self.platform is None):
            raise ValueError("Send 'prompt' and 'platform' (both strings), or 'items': a list of {prompt, platform}.")
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


class DriverOut(_Open):
    """A span of the prompt (character offsets, end exclusive) and how much removing it lowers a risk."""

    text: str
    start: int
    end: int
    delta: float


class RewriteOut(_Open):
    """The safest verified rewrite, or why none helped."""

    helped: bool
    mode: str
    message: str
    prompt: str | None = None
    strategies: list[str] = []
    advice: list[str] = []
    similarity: float | None = None
    risks: dict[str, float] | None = None
    light: Light | None = None
    top_mode: str | None = None
    risk_before: float | None = None
    risk_after: float | None = None
    candidates_scored: int = 0


class AlternativeOut(_Open):
    """The same prompt on another platform."""

    platform: str
    name: str
    max_risk: float
    light: Light
    top_mode: str
    risks: dict[str, float]
    reason: str
    flagged: bool = False
    flag_reason: str | None = None


class EscalationOut(_Open):
    """What to do if the generation fails anyway."""

    mode: str
    technical_term: str
    evidence: list[str]
    ticket: str
    support_channel: str
    support_contact: str
    documentation_strength: str
    strength_reason: str
    caveat: str
    refund_policy: str


class ReportOut(_Open):
    """One RiskReport: calibrated failure risks of one prompt on one platform."""

    prompt: str
    platform: str
    risks: dict[str, float]
    light: Light
    top_mode: str
    exercise: dict[str, float]
    model_version: str
    drivers: dict[str, list[DriverOut]] = {}
    rewrite: RewriteOut | None = None
    alternatives: list[AlternativeOut] = []
    escalation: EscalationOut | None = None


class Thresholds(BaseModel):
    """Traffic-light cut-offs on the highest per-mode risk."""

    yellow: float
    red: float


class ScoreResponse(BaseModel):
    """One report per prompt, in request order."""

    results: list[ReportOut]
    model_version: str
    thresholds: Thresholds


class FailureModeOut(_Open):
    """One failure mode of the taxonomy."""

    id: str
    name: str
    short_name: str
    technical_term: str
    symptoms: list[str]
    risk_factors: list[str]
    prevention: list[str]
    evidence: list[str]
    needs_audio: bool


class PlatformOut(_Open):
    """One video-generation platform."""

    id: str
    name: str
    vendor: str
    aliases: list[str]
    access: str
    released: str
    generation: str
    audio: bool
    audio_note: str
    support_channel: str
    support_contact: str
    refund_policy: str
    successor_of: str | None = None


class PlatformRiskOut(_Open):
    """A failure mode on one platform: the risk when a prompt exercises it, and the observed rate behind it."""

    platform: str
    name: str
    risk_if_exercised: float
    observed_rate: float | None = None
    sources: list[str]
    suitable: bool
    note: str | None = None


class ExampleOut(_Open):
    """A labelled generation that showed the failure, with when it first appeared."""

    prompt: str
    platform: str
    at_second: float | None = None
    note: str | None = None
    generation_id: str | None = None
    labelled_at: str


class ModeReferenceOut(_Open):
    """The reference page of one failure mode on one platform (``ModeReference.to_dict()``)."""

    mode: str
    name: str
    technical_term: str
    platform: str
    platform_name: str
    symptoms: list[str]
    risk_factors: list[str]
    prevention: list[str]
    rewrite_strategies: list[tuple[str, str]]
    escalation: EscalationOut
    examples: list[ExampleOut]
    this_platform: PlatformRiskOut
    across_platforms: list[PlatformRiskOut]
    related_modes: list[tuple[str, float]]
    safer_tools: list[PlatformRiskOut]


class NotFoundOut(BaseModel):
    """404: what was not found, and the valid choices."""

    detail: str


class Health(BaseModel):
    """Liveness and the model being served."""

    status: Literal["ok"]
    model_version: str


class ErrorItem(BaseModel):
    """One validation error, shaped like FastAPI's own."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """422: which fields are at fault and why."""

    detail: list[ErrorItem]
