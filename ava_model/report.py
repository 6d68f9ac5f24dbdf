"""RiskReport: what predict() returns for one prompt on one platform."""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from typing import Any

_SHOWN_FROM = 0.05  # terminal summary lists modes from this risk up
_COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828"}


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
    """

    prompt: str
    platform: str
    risks: dict[str, float]
    light: str
    top_mode: str
    exercise: dict[str, float]
    model_version: str

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
        lines = [f"[{self.light.upper()}] {self.platform}: top risk {self.top_mode} {self.top_risk:.2f}", f"  {self.prompt}"]
        ranked = sorted(self.risks.items(), key=lambda kv: -kv[1])
        shown = [(m, r) for m, r in ranked if r >= _SHOWN_FROM] or ranked[:1]
        for mode, risk in shown:
            lines.append(f"  {mode:<18} {risk:5.2f} {'#' * round(risk * 20)}")
        if len(shown) < len(ranked):
            lines.append(f"  ({len(ranked) - len(shown)} other modes below {_SHOWN_FROM:.2f})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = _COLOURS.get(self.light, "#555")
        rows = "".join(
            f"<tr><td>{html.escape(m)}</td><td>{r:.2f}</td>"
            f"<td><div style='background:{colour};height:10px;width:{round(r * 200)}px'></div></td></tr>"
            for m, r in sorted(self.risks.items(), key=lambda kv: -kv[1])
        )
        return (
            f"<div><b style='color:{colour}'>{self.light.upper()}</b> on <code>{html.escape(self.platform)}</code>"
            f" — top risk <b>{html.escape(self.top_mode)}</b> {self.top_risk:.2f}"
            f"<br><i>{html.escape(self.prompt)}</i><table>{rows}</table></div>"
        )
