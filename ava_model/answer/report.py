"""RiskReport and its parts: what predict() returns for one prompt on one platform (dataclasses and to_dict only).

How a report prints (terminal text, notebook HTML) is :mod:`ava_model.answer.render`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Driver:
    """A span of the prompt and how much it adds to one mode's risk.

    Attributes
    ----------
    text, start, end:
        The span and its offsets in the prompt (Python string indices).
    delta:
        The risk the span adds: the mode's risk minus its risk with the span removed, rounded to
        ``DELTA_DECIMALS`` decimals. Positive (a driver raises the risk); printed with its sign,
        e.g. ``+0.386``, in the terminal, on the web page and in notebooks (:func:`format_delta`).
    """

    text: str
    start: int
    end: int
    delta: float


@dataclass(frozen=True)
class Rewrite:
    """The safest rewrite found, re-scored; ``helped`` is False when no candidate lowered the risk."""

    helped: bool
    mode: str
    message: str
    prompt: str | None = None
    strategies: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()
    similarity: float | None = None
    risks: dict[str, float] | None = None
    light: str | None = None
    top_mode: str | None = None
    risk_before: float | None = None
    risk_after: float | None = None
    candidates_scored: int = 0
    changes: tuple[str, ...] = ()  # what the rewrite cuts or replaces: "'thirty-second' -> 'three-second'", "drops '...'"
    trade_off: bool = False  # True: the only safer version drops content (similarity below the meaning threshold)


@dataclass(frozen=True)
class Alternative:
    """The same prompt on another platform."""

    platform: str
    name: str
    max_risk: float
    light: str
    top_mode: str
    risks: dict[str, float]
    reason: str
    flagged: bool = False
    flag_reason: str | None = None


@dataclass(frozen=True)
class EscalationKit:
    """What to do if the generation fails anyway, for the top mode on this platform."""

    mode: str
    technical_term: str
    evidence: tuple[str, ...]
    ticket: str
    support_channel: str
    support_contact: str
    documentation_strength: str
    strength_reason: str
    caveat: str
    refund_policy: str


@dataclass(frozen=True)
class RiskReport:
    """Calibrated failure risks of one prompt on one platform.

    Attributes
    ----------
    prompt, platform:
        The prompt as scored and the canonical platform id.
    risks:
        Mode id -> P(this failure shows up in the video), in [0, 1].
    light:
        'green', 'yellow' or 'red', from the highest risk and data/rules/thresholds.yaml.
    top_mode:
        The mode with the highest risk.
    exercise:
        Mode id -> P(the prompt exercises the mode), whatever the platform.
    model_version:
        Identifier of the model that produced the numbers.
    exposure:
        Mode id -> how much of the mode's hard part the prompt asks for, in the mode's unit
        (seconds of on-screen speech, characters of text, objects counted...): see ``ava_model.measure``.
    drivers:
        For each mode at yellow or above, the spans whose removal lowers its risk most.
    rewrite:
        For yellow and red results, the safest verified rewrite (or why none helped).
    alternatives:
        Every platform ranked by highest risk for this prompt; unsuitable ones flagged and last.
    escalation:
        For yellow and red results, the kit for the top mode on this platform if it fails anyway.
    """

    prompt: str
    platform: str
    risks: dict[str, float]
    light: str
    top_mode: str
    exercise: dict[str, float]
    model_version: str
    drivers: dict[str, tuple[Driver, ...]] = field(default_factory=dict)
    rewrite: Rewrite | None = None
    alternatives: tuple[Alternative, ...] = ()
    escalation: EscalationKit | None = None
    exposure: dict[str, float] = field(default_factory=dict)

    @property
    def top_risk(self) -> float:
        """Return the highest per-mode risk."""
        return self.risks[self.top_mode]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return asdict(self)

    def to_json(self, **kwargs: Any) -> str:
        """Return the report as a JSON string."""
        return json.dumps(self.to_dict(), **kwargs)

    def __str__(self) -> str:
        return self.render(escalate=False)

    def render(self, escalate: bool = True, alternatives: int = 3) -> str:
        """Return the report as terminal text: risks, drivers, rewrite, top alternatives, escalation kit."""
        from ava_model.answer.render import render_text

        return render_text(self, escalate=escalate, alternatives=alternatives)

    def _repr_html_(self) -> str:
        """Return the report as HTML for a notebook (template ``ava_model/answer/templates/report.html``)."""
        from ava_model.answer.render import render_notebook_html

        return render_notebook_html(self)
