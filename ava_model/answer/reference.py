"""Failure reference pages: one per failure mode and platform, computed from rules, model and labels.

Like an error-code reference: the technical term, how to identify it, real labelled
examples, prevention with the rewrite strategies, the escalation kit, related failures
across platforms and modes, and the platforms least likely to show it. Nothing here is
written per mode or per platform: a new mode or platform needs no new code.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ava_model.answer.escalation import escalation_kit
from ava_model.answer.report import EscalationKit

if TYPE_CHECKING:
    from ava_model.api import Predictor

EXAMPLE_PROMPT = "<your prompt>"


@dataclass(frozen=True)
class PlatformRisk:
    """The mode on one platform: the risk when a prompt exercises it, and the observed rate behind it."""

    platform: str
    name: str
    risk_if_exercised: float
    observed_rate: float | None
    sources: tuple[str, ...]
    suitable: bool
    note: str | None = None


@dataclass(frozen=True)
class DegreeStep:
    """The risk on this platform of a prompt that exercises the mode at one exposure."""

    exposure: float
    risk_if_exercised: float
    light: str


@dataclass(frozen=True)
class UsableOutput:
    """How much of the mode's hard part this platform takes before the risk leaves green, from the degree curve."""

    unit: str
    safe_exposure: float | None  # the largest exposure on the grid still green; None: not even the smallest is
    steps: tuple[DegreeStep, ...]
    advice: str


@dataclass(frozen=True)
class Example:
    """A labelled generation that showed the failure, with when it first appeared."""

    prompt: str
    platform: str
    at_second: float | None
    note: str | None
    generation_id: str | None
    labelled_at: str


@dataclass(frozen=True)
class ModeReference:
    """Everything on the reference page of one failure mode on one platform."""

    mode: str
    name: str
    technical_term: str
    platform: str
    platform_name: str
    symptoms: tuple[str, ...]
    risk_factors: tuple[str, ...]
    prevention: tuple[str, ...]
    rewrite_strategies: tuple[tuple[str, str], ...]
    escalation: EscalationKit
    examples: tuple[Example, ...]
    this_platform: PlatformRisk
    across_platforms: tuple[PlatformRisk, ...]
    related_modes: tuple[tuple[str, float], ...]
    safer_tools: tuple[PlatformRisk, ...]
    usable_output: UsableOutput | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return asdict(self)

    def render(self) -> str:
        """Return the page as terminal text."""
        lines = [
            f"{self.name} ({self.mode}) on {self.platform_name}",
            f"Technical term: {self.technical_term}",
            f"Risk when a prompt exercises it here: {self.this_platform.risk_if_exercised:.2f}"
            + (f" (observed {self.this_platform.observed_rate:.2f})" if self.this_platform.observed_rate is not None else ""),
            "How to identify it:", *[f"  - {s}" for s in self.symptoms],
            "What raises it:", *[f"  - {s}" for s in self.risk_factors],
            "Prevention:", *[f"  - {s}" for s in self.prevention],
            *(["How to get usable output here:", f"  - {self.usable_output.advice}",
               "  - risk by exposure: " + ", ".join(f"{d.exposure:g}: {d.risk_if_exercised:.2f}" for d in self.usable_output.steps)]
              if self.usable_output else []),
            "Rewrite strategies AVA tries:", *[f"  - {sid}: {d}" for sid, d in self.rewrite_strategies],
            "Real examples:",
            *([f"  - {e.platform} at {e.at_second}s: {e.prompt} ({e.note or 'no note'})" for e in self.examples]
              or ["  - no labelled generation with a timestamp yet for this mode and platform"]),
            "Pick a different tool:",
            *([f"  - {p.name}: {p.risk_if_exercised:.2f}" for p in self.safer_tools]
              or ["  - no suitable platform scores lower for this mode"]),
            "Often comes with:",
            *([f"  - {m}: {v:.0%} of prompts that exercise {self.mode}" for m, v in self.related_modes if v > 0]
              or ["  - no other mode co-occurs in the labels"]),
            f"If it fails anyway: documentation strength {self.escalation.documentation_strength}. "
            f"{self.escalation.strength_reason}",
            f"  Support: {self.escalation.support_channel} ({self.escalation.support_contact})",
            f"  {self.escalation.caveat}",
        ]
        return "\n".join(lines)


def labelled_examples(mode: str, platform: str, limit: int = 5) -> tuple[Example, ...]:
    """Return failed generations of this mode and platform that carry a timestamp.

    From the label store (``AVA_LABEL_STORE`` or data/labels.db, when it exists) and from
    the files ``AVA_LABELS`` lists (CSV/JSONL, separated by the OS path separator).
    """
    from ava_model.labels.store import LabelStore, default_store_path
    from ava_model.labels.schema import read_outcome_file

    frames = [read_outcome_file(Path(p)) for p in os.environ.get("AVA_LABELS", "").split(os.pathsep) if p]
    if default_store_path().is_file():
        frames.append(LabelStore(default_store_path(), readonly=True).training_rows())
    examples = []
    for rows in frames:
        if rows.empty:
            continue
        rows = rows[(rows["mode"] == mode) & (rows["platform"] == platform) & (rows["label"] >= 0.5)]
        for r in rows[rows["at_second"].notna()].itertuples():
            examples.append(Example(r.prompt, r.platform, float(r.at_second), r.note, r.generation_id, str(r.labelled_at)))
    return tuple(sorted(examples, key=lambda e: e.labelled_at, reverse=True)[:limit])


def usable_output(predictor: Predictor, mode: str, platform: str) -> UsableOutput:
    """Return how far the mode's exposure can go on a platform before its risk leaves green.

    It follows from the same rules as every score: the degree curve and its fitted head, the
    platform factor and the traffic-light thresholds, for a prompt that surely exercises the mode.
    """
    import numpy as np

    from ava_model.core.exposure import load_exposure_rules

    head, thresholds = predictor.model.exposure_heads[mode], predictor.rules.thresholds
    factor = predictor.model.factors[platform][mode].rate
    unit = load_exposure_rules().modes[mode].unit
    reference = head.reference_exposure_
    grid = sorted({float(v) for v in np.round(reference * np.array([0.25, 0.5, 1, 1.5, 2, 3, 5, 10]), 2) if v > 0})
    risks = -np.expm1(head.degree(np.array(grid)) * np.log1p(-min(factor, 1 - 1e-6)))
    steps = tuple(DegreeStep(e, round(float(r), 4), thresholds.light(float(r))) for e, r in zip(grid, risks))
    green = [d.exposure for d in steps if d.light == "green"]
    if factor == 0:
        advice = f"This platform does not generate what {mode} needs; the risk is 0 at any exposure."
    elif green:
        advice = (f"Keep it to {max(green):g} ({unit}) or less: up to there the risk stays green "
                  f"(below {thresholds.yellow}); every unit beyond adds risk, without a ceiling.")
    else:
        advice = (f"Even {grid[0]:g} ({unit}) is above green on this platform; keep the exposure as low as "
                  f"the shot allows, or pick a different tool.")
    return UsableOutput(unit, max(green) if green else None, steps, advice)


def mode_reference(predictor: Predictor, mode: str, platform: str) -> ModeReference:
    """Return the reference page of a mode on a platform (both validated, aliases accepted)."""
    rules, model, playbook = predictor.rules, predictor.model, predictor.playbook
    failure = rules.mode(mode)
    here = rules.platform(platform)
    rows = []
    for p in rules.platforms:
        factor = model.factors[p.id][failure.id]
        note = rules.cannot_generate(p.id, [failure.id])
        suitable = note is None
        rows.append(PlatformRisk(p.id, p.name, round(factor.rate, 4),
                                 None if factor.observed_rate is None else round(factor.observed_rate, 4),
                                 factor.sources, suitable, note))
    by_risk = sorted(rows, key=lambda r: (r.risk_if_exercised, r.platform))
    this = next(r for r in rows if r.platform == here.id)
    related = model.metadata.get("co_occurrence", {}).get(failure.id, {})
    return ModeReference(
        mode=failure.id,
        name=failure.name,
        technical_term=failure.technical_term,
        platform=here.id,
        platform_name=here.name,
        symptoms=failure.symptoms,
        risk_factors=failure.risk_factors,
        prevention=failure.prevention,
        rewrite_strategies=tuple((s.id, s.description) for s in playbook.strategies[failure.id]),
        escalation=escalation_kit(EXAMPLE_PROMPT, here.id, failure.id, rules, playbook),
        examples=labelled_examples(failure.id, here.id),
        this_platform=this,
        across_platforms=tuple(by_risk),
        related_modes=tuple(sorted(related.items(), key=lambda kv: -kv[1])[:3]),
        safer_tools=tuple(r for r in by_risk if r.suitable and r.risk_if_exercised < this.risk_if_exercised)[:3],
        usable_output=usable_output(predictor, failure.id, here.id),
    )
