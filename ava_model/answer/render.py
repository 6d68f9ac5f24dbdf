"""How a RiskReport prints: terminal text (``ava score``), notebook HTML, and the one format of a driver's delta."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

# The functions take an ava_model.answer.report.RiskReport; it is not imported (not even for type checking)
# because RiskReport.render() and ._repr_html_() import this module: dependencies run one way.
RiskReport = Any

TEMPLATES_DIR = Path(__file__).with_name("templates")

_SHOWN_FROM = 0.05  # terminal summary lists modes from this risk up


def _tie_tolerance() -> float:
    from ava_model.rules.taxonomy import load_rules

    return load_rules().thresholds.tie_tolerance


_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Return the Jinja2 environment of ``ava_model/answer/templates`` (:func:`ava_model.templating.template_environment`)."""
    from ava_model.templating import template_environment

    return template_environment(TEMPLATES_DIR)


def render_html(template: str, **context: Any) -> str:
    """Return ``ava_model/answer/templates/<template>`` rendered with ``context`` (escaped; a missing variable raises)."""
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




def render_text(report: RiskReport, escalate: bool = True, alternatives: int = 3) -> str:
    """Return the report as terminal text: risks, drivers, rewrite, top alternatives, escalation kit."""
    lines = [f"[{report.light.upper()}] {report.platform}: top risk {report.top_mode} {report.top_risk:.2f}",
             f"  {report.prompt}"]
    ranked = sorted(report.risks.items(), key=lambda kv: -kv[1])
    shown = [(m, r) for m, r in ranked if r >= _SHOWN_FROM] or ranked[:1]
    for mode, risk in shown:
        lines.append(f"  {mode:<18} {risk:5.2f} {'#' * round(risk * 20)}")
    if len(shown) < len(ranked):
        lines.append(f"  ({len(ranked) - len(shown)} other modes below {_SHOWN_FROM:.2f})")
    for mode, drivers in report.drivers.items():
        if drivers:
            spans = ", ".join(f"{_quoted(d.text)} adds {format_delta(d.delta)}" for d in drivers)
            lines.append(f"  why {mode} (risk each phrase adds): {spans}")
    if report.rewrite is not None:
        r = report.rewrite
        if r.helped:
            title = "trade-off rewrite" if r.trade_off else "safer rewrite"
            lines += [f"  {title} ({r.message})", f"    {r.prompt}"]
            lines += [f"    - {advice}" for advice in r.advice]
            lines += [f"    changes: {'; '.join(r.changes)}"] if r.changes else []
        else:
            lines.append(f"  rewrite: {r.message}")
    safer = [a for a in report.alternatives
             if not a.flagged and a.max_risk < report.top_risk - _tie_tolerance()][:alternatives]
    if report.alternatives:
        lines.append("  safer platforms: " + ("; ".join(a.reason for a in safer) or "none scores lower for this prompt"))
    if escalate and report.escalation is not None:
        k = report.escalation
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


def render_notebook_html(report: RiskReport) -> str:
    """Return the report as HTML for a notebook (template ``ava_model/answer/templates/report.html``)."""
    shown = [(m, r, round(r * 200)) for m, r in sorted(report.risks.items(), key=lambda kv: -kv[1])
             if r >= _SHOWN_FROM or m == report.top_mode]
    safer = [a for a in report.alternatives if not a.flagged and a.max_risk < report.top_risk - _tie_tolerance()][:3]
    return render_html("report.html", report=report, colour=_COLOURS.get(report.light, "#555"), rows=shown,
                       safer=safer, format_delta=format_delta)
