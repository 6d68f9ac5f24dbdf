"""RiskReport: what predict() returns for one prompt on one platform."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES_DIR = Path(__file__).with_name("templates")

_SHOWN_FROM = 0.05  # terminal summary lists modes from this risk up


def _tie_tolerance() -> float:
    from ava_model.rules.taxonomy import load_rules

    return load_rules().thresholds.tie_tolerance


_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Return the Jinja2 environment of the report's notebook HTML (built once).

    Returns
    -------
    jinja2.Environment
        Loads ``ava_model/answer/templates``, autoescapes every printed value and raises
        ``jinja2.UndefinedError`` on a missing variable. Filter ``fmt``: Python's ``format(value, spec)``.
    """
    from ava_model.templating import template_environment

    return template_environment(TEMPLATES_DIR)


def render_html(template: str, **context: Any) -> str:
    """Return a template of ``ava_model/answer/templates`` rendered with ``context``.

    Parameters
    ----------
    template:
        The file name, e.g. ``"report.html"``.
    **context:
        The variables the template uses; every one it prints is escaped.

    Returns
    -------
    str
        The HTML.

    Raises
    ------
    jinja2.UndefinedError
        When the template uses a variable that is not in ``context``.
    """
    return environment().get_template(template).render(**context)


def _quoted(text: str) -> str:
    return text if text[:1] in "'\"“‘" else f"'{text}'"


DELTA_DECIMALS = 3  # a driver's delta: rounded to this in the JSON, printed with it in the CLI, the web page and notebooks


def format_delta(delta: float) -> str:
    """Return a driver's delta as every output prints it: an explicit sign and ``DELTA_DECIMALS`` decimals.

    Parameters
    ----------
    delta:
        :attr:`Driver.delta`: how much the span adds to the mode's risk.

    Returns
    -------
    str
        E.g. ``"+0.386"`` (read: the span adds 0.386 to the risk; removing it lowers the risk by that much).
    """
    return f"{delta:+.{DELTA_DECIMALS}f}"


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
        lines = [f"[{self.light.upper()}] {self.platform}: top risk {self.top_mode} {self.top_risk:.2f}", f"  {self.prompt}"]
        ranked = sorted(self.risks.items(), key=lambda kv: -kv[1])
        shown = [(m, r) for m, r in ranked if r >= _SHOWN_FROM] or ranked[:1]
        for mode, risk in shown:
            lines.append(f"  {mode:<18} {risk:5.2f} {'#' * round(risk * 20)}")
        if len(shown) < len(ranked):
            lines.append(f"  ({len(ranked) - len(shown)} other modes below {_SHOWN_FROM:.2f})")
        for mode, drivers in self.drivers.items():
            if drivers:
                spans = ", ".join(f"{_quoted(d.text)} adds {format_delta(d.delta)}" for d in drivers)
                lines.append(f"  why {mode} (risk each phrase adds): {spans}")
        if self.rewrite is not None:
            r = self.rewrite
            if r.helped:
                title = "trade-off rewrite" if r.trade_off else "safer rewrite"
                lines += [f"  {title} ({r.message})", f"    {r.prompt}"]
                lines += [f"    - {advice}" for advice in r.advice]
                lines += [f"    changes: {'; '.join(r.changes)}"] if r.changes else []
            else:
                lines.append(f"  rewrite: {r.message}")
        safer = [a for a in self.alternatives if not a.flagged and a.max_risk < self.top_risk - _tie_tolerance()][:alternatives]
        if self.alternatives:
            lines.append("  safer platforms: " + ("; ".join(a.reason for a in safer) or "none scores lower for this prompt"))
        if escalate and self.escalation is not None:
            k = self.escalation
            lines += [
                f"  if it fails anyway: {k.technical_term} — documentation strength {k.documentation_strength}",
                f"    {k.strength_reason}",
                f"    support: {k.support_channel} ({k.support_contact})",
                "    capture: " + "; ".join(k.evidence),
                f"    {k.caveat}",
                "    ticket:",
                *[f"      {line}" for line in k.ticket.splitlines()],
            ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Return the report as HTML for a notebook (template ``ava_model/answer/templates/report.html``)."""
        shown = [(m, r, round(r * 200)) for m, r in sorted(self.risks.items(), key=lambda kv: -kv[1])
                 if r >= _SHOWN_FROM or m == self.top_mode]
        safer = [a for a in self.alternatives if not a.flagged and a.max_risk < self.top_risk - _tie_tolerance()][:3]
        return render_html("report.html", report=self, colour=_COLOURS.get(self.light, "#555"), rows=shown,
                           safer=safer, format_delta=format_delta)
