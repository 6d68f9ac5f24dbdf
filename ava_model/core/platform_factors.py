"""Per-platform factor P(platform fails mode | prompt exercises mode), with its provenance.

A prior by model generation (data/rules/platform_priors.yaml) is shrunk towards
published per-model rates and real outcome labels:
``(strength * prior + sum(w_i * r_i)) / (strength + sum(w_i))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ava_model.rules.taxonomy import Platform, Rules


@dataclass(frozen=True)
class Evidence:
    """One observed failure rate for a platform and mode, worth ``weight`` pseudo-prompts."""

    platform: str
    mode: str
    rate: float
    weight: float
    source: str


@dataclass(frozen=True)
class PlatformFactor:
    """The factor for one platform and mode, and where it came from."""

    rate: float
    prior: float
    evidence_weight: float
    sources: tuple[str, ...] = field(default_factory=tuple)
    observed_rate: float | None = None  # weighted mean of the evidence alone, None without evidence

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serialisable dict."""
        return {
            "rate": self.rate,
            "prior": self.prior,
            "evidence_weight": self.evidence_weight,
            "observed_rate": self.observed_rate,
            "sources": list(self.sources),
        }


def prior_rate(platform: Platform, mode: str, rules: Rules) -> float:
    """Return the prior failure rate of a platform for a mode, before any evidence."""
    if rules.mode(mode).needs_audio and not platform.audio:
        return float(rules.priors.get("rate_without_audio", 0.0))
    return float(rules.priors["by_generation"][platform.generation][mode])


def fit_platform_factors(rules: Rules, evidence: list[Evidence]) -> dict[str, dict[str, PlatformFactor]]:
    """Return {platform id: {mode id: PlatformFactor}} for every platform and mode in the rules."""
    strength = float(rules.priors["prior_strength"])
    grouped: dict[tuple[str, str], list[Evidence]] = {}
    for ev in evidence:
        grouped.setdefault((ev.platform, ev.mode), []).append(ev)
    factors: dict[str, dict[str, PlatformFactor]] = {}
    for platform in rules.platforms:
        factors[platform.id] = {}
        for mode in rules.mode_ids:
            prior = prior_rate(platform, mode, rules)
            items = grouped.get((platform.id, mode), [])
            cannot = rules.cannot_generate(platform.id, (mode,))
            if cannot:
                # No audio track, nothing to fall out of sync: evidence cannot move this.
                factors[platform.id][mode] = PlatformFactor(prior, prior, 0.0, (cannot,))
                continue
            weight = sum(e.weight for e in items)
            evidence_sum = sum(e.weight * e.rate for e in items)
            rate = (strength * prior + evidence_sum) / (strength + weight)
            sources = (f"prior ({platform.generation} generation)",) + tuple(sorted({e.source for e in items}))
            observed = float(evidence_sum / weight) if weight else None
            factors[platform.id][mode] = PlatformFactor(float(rate), prior, float(weight), sources, observed)
    return factors
