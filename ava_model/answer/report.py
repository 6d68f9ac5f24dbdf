"""RiskReport: what predict() returns for one prompt on one platform."""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from typing import Any

_SHOWN_FROM = 0.05  # terminal summary lists modes from this risk up
def _tie_tolerance() -> float:
    from ava_model.rules.taxonomy import load_rules

    return load_rules().thresholds.tie_tolerance


_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}


def _quoted(text: str) -> str:
    return text if text[:1] in "'\"“‘" else f"'{text}'"


@dataclass(frozen=True)
class Driver:
    """A span of the prompt and how much removing it lowers one mode's risk."""

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
                spans = ", ".join(f"{_quoted(d.text)} (-{d.delta:.2f})" for d in drivers)
                lines.append(f"  why {mode}: {spans}")
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
        colour = _COLOURS.get(self.light, "#555")
        rows = "".join(
            f"<tr><td>{html.escape(m)}</td><td>{r:.2f}</td>"
            f"<td><div style='background:{colour};height:10px;width:{round(r * 200)}px'></div></td></tr>"
            for m, r in sorted(self.risks.items(), key=lambda kv: -kv[1])
            if r >= _SHOWN_FROM or m == self.top_mode
        )
        parts = [
            f"<div><b style='color:{colour}'>{self.light.upper()}</b> on <code>{html.escape(self.platform)}</code>"
            f" — top risk <b>{html.escape(self.top_mode)}</b> {self.top_risk:.2f}"
            f"<br><i>{html.escape(self.prompt)}</i><table>{rows}</table>"
        ]
        for mode, drivers in self.drivers.items():
            if drivers:
                items = ", ".join(f"<mark>{html.escape(d.text)}</mark> −{d.delta:.2f}" for d in drivers)
                parts.append(f"<p>Why {html.escape(mode)}: {items}</p>")
        if self.rewrite is not None:
            r = self.rewrite
            body = (f"<b>Safer rewrite</b> ({html.escape(r.message)})<br><code>{html.escape(r.prompt or '')}</code>"
                    if r.helped else f"<b>Rewrite</b>: {html.escape(r.message)}")
            parts.append(f"<p>{body}</p>")
        safer = [a for a in self.alternatives if not a.flagged and a.max_risk < self.top_risk - _tie_tolerance()][:3]
        if safer:
            parts.append("<p><b>Safer platforms</b>: " + "; ".join(html.escape(a.reason) for a in safer) + "</p>")
        if self.escalation is not None:
            k = self.escalation
            parts.append(f"<p><b>If it fails anyway</b>: {html.escape(k.technical_term)} — documentation strength "
                         f"{html.escape(k.documentation_strength)}; support: {html.escape(k.support_channel)}</p>")
        return "".join(parts) + "</div>"
