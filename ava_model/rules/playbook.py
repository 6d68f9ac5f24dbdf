"""Load and validate the product rules: rewrite strategies and escalation kits (data/rules).

Same contract as :mod:`ava_model.rules.taxonomy`: versioned YAML, every field checked on load,
errors that name the file, the entry and the bad value.
"""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ava_model.errors import RulesError
from ava_model.rules.taxonomy import Rules, read_yaml, require_field, str_list, load_rules, rules_dir

STRENGTHS = ("HIGH", "MEDIUM", "LOW")
TICKET_FIELDS = (
    "platform_name", "generation_id", "timestamp", "prompt", "technical_term", "mode_name", "symptoms", "evidence_list",
)


@dataclass(frozen=True)
class Strategy:
    """One rewrite strategy of a mode: what the creator is told, and the operations that make the edit."""

    mode: str
    id: str
    description: str
    ops: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class EscalationRule:
    """What to capture and how strong a case is, for one mode (with platform overrides applied)."""

    documentation_strength: str
    strength_reason: str
    evidence: tuple[str, ...]
    ticket_template: str


# The rewrite operations a strategy may use (ava_model.answer.rewrite_ops implements each one).
OPERATION_NAMES = ("shorten_spoken", "shorten_written", "drop_written", "keep_first_spoken", "cap_counts",
                   "cap_durations", "regex", "keep_first_sentence_matching", "append", "prepend")


@dataclass(frozen=True)
class ExplainLimits:
    """How much explaining one ``predict()`` does (``explain`` in rewrite_strategies.yaml).

    Attributes
    ----------
    max_candidates:
        Rewrite candidates built from a mode's strategies.
    max_spans, max_exposure_spans:
        Spans masked to find drivers, and how many of them are kept for the words that carry exposure.
    max_drivers, min_driver_delta:
        Drivers shown per mode, and the least risk drop a driver must cause.
    min_gain:
        The least risk drop for a rewrite to count as lowering the risk.
    rescored_rewrites, rescored_driver_spans:
        Candidates and masked spans embedded and re-scored in full (the rest are estimated).
    """

    max_candidates: int = 8
    max_spans: int = 10
    max_exposure_spans: int = 6
    max_drivers: int = 3
    min_driver_delta: float = 0.005
    min_gain: float = 0.01
    rescored_rewrites: int = 5
    rescored_driver_spans: int = 2


DEFAULT_LIMITS = ExplainLimits()


@dataclass(frozen=True)
class Playbook:
    """Rewrite strategies per mode, the similarity threshold, and escalation rules."""

    similarity_threshold: float
    strategies: dict[str, tuple[Strategy, ...]]
    caveat: str
    strength_levels: dict[str, str]
    escalation: dict[str, EscalationRule]
    overrides: dict[str, dict[str, dict[str, str]]]
    versions: dict[str, int]
    limits: ExplainLimits = DEFAULT_LIMITS

    def escalation_for(self, mode: str, platform: str) -> EscalationRule:
        """Return the escalation rule of a mode, with the platform's override if it has one."""
        base = self.escalation[mode]
        override = self.overrides.get(platform, {}).get(mode)
        if not override:
            return base
        return EscalationRule(
            override.get("documentation_strength", base.documentation_strength),
            override.get("strength_reason", base.strength_reason),
            base.evidence,
            base.ticket_template,
        )


def _parse_strategies(data: dict[str, Any], path: Path, rules: Rules) -> dict[str, tuple[Strategy, ...]]:
    table = require_field(data, "strategies", dict, path.name)
    missing = [m for m in rules.mode_ids if m not in table]
    if missing:
        raise RulesError(f"{path.name}: no strategies for modes {', '.join(missing)}.")
    parsed = {}
    for mode, entries in table.items():
        rules.mode(mode)  # unknown mode -> UnknownMode naming the valid ones
        items = []
        for i, entry in enumerate(entries or []):
            where = f"{path.name} {mode} strategy #{i + 1}"
            sid = require_field(entry, "id", str, where)
            where = f"{path.name} {mode}.{sid}"
            ops = require_field(entry, "ops", list, where)
            for op in ops:
                name = op.get("op") if isinstance(op, dict) else None
                if name not in OPERATION_NAMES:
                    raise RulesError(f"{where}: unknown operation {name!r}; valid: {', '.join(OPERATION_NAMES)}.")
            items.append(Strategy(mode, sid, require_field(entry, "description", str, where), tuple(ops)))
        if not items:
            raise RulesError(f"{path.name}: mode {mode!r} has an empty strategy list.")
        ids = [s.id for s in items]
        if len(set(ids)) != len(ids):
            raise RulesError(f"{path.name}: duplicate strategy ids in mode {mode!r}.")
        parsed[mode] = tuple(items)
    return parsed


def _strength(entry: dict[str, Any], where: str) -> str:
    value = require_field(entry, "documentation_strength", str, where)
    if value not in STRENGTHS:
        raise RulesError(f"{where}: documentation_strength {value!r} is not one of {', '.join(STRENGTHS)}.")
    return value


def _parse_escalation(data: dict[str, Any], path: Path, rules: Rules) -> dict[str, EscalationRule]:
    modes = require_field(data, "modes", dict, path.name)
    missing = [m for m in rules.mode_ids if m not in modes]
    if missing:
        raise RulesError(f"{path.name}: no escalation entry for modes {', '.join(missing)}.")
    parsed = {}
    for mode, entry in modes.items():
        rules.mode(mode)
        where = f"{path.name} mode {mode!r}"
        template = require_field(entry, "ticket_template", str, where)
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        unknown = sorted(fields - set(TICKET_FIELDS))
        if unknown:
            raise RulesError(f"{where}: ticket_template uses unknown fields {unknown}; valid: {', '.join(TICKET_FIELDS)}.")
        parsed[mode] = EscalationRule(
            _strength(entry, where), require_field(entry, "strength_reason", str, where), str_list(entry, "evidence", where), template
        )
    return parsed


def _parse_limits(entry: dict[str, Any], where: str) -> ExplainLimits:
    """Return the ExplainLimits of the ``explain`` block; every field is required and checked."""
    values: dict[str, Any] = {}
    for f in fields(ExplainLimits):
        if f.type in ("int", int):
            value = require_field(entry, f.name, int, where)
            if isinstance(value, bool) or value < 1:
                raise RulesError(f"{where}: {f.name} must be a whole number >= 1, got {value!r}.")
        else:
            value = float(require_field(entry, f.name, (int, float), where))
            if not 0 <= value < 1:
                raise RulesError(f"{where}: {f.name} must be in [0, 1), got {value!r}.")
        values[f.name] = value
    unknown = sorted(set(entry) - set(values))
    if unknown:
        raise RulesError(f"{where}: unknown fields {', '.join(unknown)}; valid: {', '.join(values)}.")
    limits = ExplainLimits(**values)
    if limits.max_exposure_spans > limits.max_spans:
        raise RulesError(f"{where}: max_exposure_spans ({limits.max_exposure_spans}) exceeds max_spans ({limits.max_spans}).")
    return limits


def load_playbook(directory: str | Path | None = None) -> Playbook:
    """Return the validated rewrite strategies and escalation rules."""
    return _load_cached(str(Path(directory) if directory else rules_dir()))


@functools.lru_cache(maxsize=4)
def _load_cached(directory: str) -> Playbook:
    root = Path(directory)
    rules = load_rules(root)
    rewrite_path, escalation_path = root / "rewrite_strategies.yaml", root / "escalation.yaml"
    rewrite, escalation = read_yaml(rewrite_path), read_yaml(escalation_path)
    threshold = float(require_field(rewrite, "similarity_threshold", (int, float), rewrite_path.name))
    if not 0 < threshold < 1:
        raise RulesError(f"{rewrite_path.name}: similarity_threshold must be in (0, 1), got {threshold}.")
    limits = _parse_limits(require_field(rewrite, "explain", dict, rewrite_path.name), f"{rewrite_path.name} explain")
    levels = require_field(escalation, "strength_levels", dict, escalation_path.name)
    if set(levels) != set(STRENGTHS):
        raise RulesError(f"{escalation_path.name}: strength_levels must define exactly {', '.join(STRENGTHS)}.")
    overrides = escalation.get("platform_overrides") or {}
    for pid, modes in overrides.items():
        rules.platform(pid)
        for mode, entry in modes.items():
            rules.mode(mode)
            _strength(entry, f"{escalation_path.name} platform_overrides {pid}.{mode}")
    return Playbook(
        similarity_threshold=threshold,
        strategies=_parse_strategies(rewrite, rewrite_path, rules),
        limits=limits,
        caveat=require_field(escalation, "caveat", str, escalation_path.name),
        strength_levels=dict(levels),
        escalation=_parse_escalation(escalation, escalation_path, rules),
        overrides=overrides,
        versions={"rewrite_strategies": rewrite["version"], "escalation": escalation["version"]},
    )
