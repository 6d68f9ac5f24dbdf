"""The exposure rules (data/rules/exposure.yaml) as validated dataclasses: cues, measures, amounts, negations.

Loaded and checked here, applied in :mod:`ava_model.core.exposure`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from ava_model.errors import RulesError
from ava_model.text.numbers import NUMBER_TEXT

_AMOUNT_NUMBER = rf"(?P<n>{NUMBER_TEXT}|an?|a single|single)"
MEASURE_KINDS = ("spoken_quotes", "written_quotes", "counts", "clip_seconds", "actions", "numbered_steps")
_PER = (None, "duration", "count", "clip")
LIST_KINDS = (None, "further", "items")
"""How a cue reads a list after it: not at all, each further determiner item (``list: true``), every item (``list: items``)."""


@dataclass(frozen=True)
class Cue:
    """A phrase that asks for a mode's hard part, worth ``value`` units (or a number read next to it)."""

    name: str
    group: str
    value: float
    pattern: re.Pattern[str]
    per: str | None = None
    per_unit: float = 1.0
    repeat: bool = False
    unless: str | None = None  # a measure kind: the cue is skipped when that measure found something
    listed: str | None = None  # "further": each further item after the cue ("behind the sofa, the chair and the door")
    # adds one value; "items": the cue introduces a list ("in order: push off, ollie, grind") worth one value per item


@dataclass(frozen=True)
class Factor:
    """A phrase and the factor it applies.

    A multiplier (>= 1) makes every unit of a mode harder; a scale, a word just before a cue, scales
    that cue's default value ("a short speech", "a long conversation").
    """

    name: str
    factor: float
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Amount:
    """A stated amount ("one word", "three sentences") read like a duration by per: duration cues, in the mode's unit."""

    name: str
    value: float
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Measure:
    """A structural reading of the prompt (quotes, counts, clip length) feeding one group."""

    kind: str
    group: str
    per_unit: float = 1.0
    pattern: re.Pattern[str] | None = None  # actions: how a clause that opens with an action verb looks
    not_verbs: frozenset[str] = frozenset()  # actions: words that end like a verb but are not one


@dataclass(frozen=True)
class ModeExposureRules:
    """How one mode's exposure is read."""

    mode: str
    unit: str
    measures: tuple[Measure, ...]
    cues: tuple[Cue, ...]
    multipliers: tuple[Factor, ...]
    negations: tuple[re.Pattern[str], ...]
    amounts: tuple[Amount, ...] = ()
    scales: tuple[Factor, ...] = ()
    combine: str = "sum"  # how groups add up: "sum" or "max"
    requires: re.Pattern[str] | None = None  # the mode's subject; a prompt without it has no exposure


@dataclass(frozen=True)
class ExposureRules:
    """Everything in data/rules/exposure.yaml, validated."""

    version: int
    speaking_rate_wps: float
    default_clip_seconds: float
    cue_window_chars: int
    modes: dict[str, ModeExposureRules]
    embedded_count: str = "5"

    @functools.cached_property
    def negation_pattern(self) -> re.Pattern[str] | None:
        """Return one pattern matching any mode's negation phrase."""
        parts = [p.pattern for rule in self.modes.values() for p in rule.negations]
        return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE) if parts else None

    @functools.cached_property
    def memo(self) -> dict[str, Any]:
        """Return the prompt -> measured exposures memo of these rules (filled by :func:`ava_model.core.exposure.measure`)."""
        return {}


def _compile(pattern: Any, where: str) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern.strip():
        raise RulesError(f"{where}: pattern must be a non-empty string, got {pattern!r}.")
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise RulesError(f"{where}: pattern {pattern!r} is not a valid regular expression: {exc}.") from exc


def _number(entry: dict[str, Any], key: str, where: str, default: float | None = None, minimum: float = 0.0) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise RulesError(f"{where}: {key} must be a number >= {minimum}, got {value!r}.")
    return float(value)


def _parse_mode(mode: str, entry: Any, where: str) -> ModeExposureRules:
    if not isinstance(entry, dict):
        raise RulesError(f"{where}: must be a mapping with unit, measures, cues, multipliers, negations.")
    measures = []
    for i, m in enumerate(entry.get("measures") or []):
        at = f"{where} measure #{i + 1}"
        if not isinstance(m, dict) or m.get("kind") not in MEASURE_KINDS:
            raise RulesError(f"{at}: kind must be one of {', '.join(MEASURE_KINDS)}, got {m!r}.")
        pattern = None
        if m["kind"] == "actions":
            pattern = _compile(m.get("pattern"), at)
            if "verb" not in pattern.groupindex:
                raise RulesError(f"{at}: an actions pattern needs a named group (?P<verb>...), got {m.get('pattern')!r}.")
        not_verbs = m.get("not_verbs") or ""
        if not isinstance(not_verbs, str):
            raise RulesError(f"{at}: not_verbs must be one string of space-separated words, got {not_verbs!r}.")
        measures.append(Measure(m["kind"], str(m.get("group", m["kind"])), _number(m, "per_unit", at, 1.0), pattern,
                                frozenset(not_verbs.lower().split())))
    cues = []
    for i, c in enumerate(entry.get("cues") or []):
        at = f"{where} cue #{i + 1}"
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not isinstance(c.get("group"), str):
            raise RulesError(f"{at}: needs a name, a group, a value and a pattern, got {c!r}.")
        if c.get("per") not in _PER:
            raise RulesError(f"{at} ({c['name']}): per must be one of duration, count, clip, got {c.get('per')!r}.")
        if c.get("unless") not in (None, *MEASURE_KINDS):
            raise RulesError(f"{at} ({c['name']}): unless must be one of {', '.join(MEASURE_KINDS)}, got {c.get('unless')!r}.")
        listed = c.get("list", False)
        listed = "further" if listed is True else None if listed is False else listed
        if not isinstance(listed, (str, type(None))) or listed not in LIST_KINDS:
            raise RulesError(f"{at} ({c['name']}): list must be true, false or items, got {c.get('list')!r}.")
        cues.append(Cue(c["name"], c["group"], _number(c, "value", at), _compile(c.get("pattern"), at),
                        c.get("per"), _number(c, "per_unit", at, 1.0), bool(c.get("repeat", False)), c.get("unless"),
                        listed))
    multipliers = []
    for i, m in enumerate(entry.get("multipliers") or []):
        at = f"{where} multiplier #{i + 1}"
        if not isinstance(m, dict) or not isinstance(m.get("name"), str):
            raise RulesError(f"{at}: needs a name, a factor >= 1 and a pattern, got {m!r}.")
        multipliers.append(Factor(m["name"], _number(m, "factor", at, minimum=1.0), _compile(m.get("pattern"), at)))
    negations = tuple(_compile(p, f"{where} negation #{i + 1}") for i, p in enumerate(entry.get("negations") or []))
    amounts = []
    for i, a in enumerate(entry.get("amounts") or []):
        at = f"{where} amount #{i + 1}"
        if not isinstance(a, dict) or not isinstance(a.get("name"), str) or not isinstance(a.get("pattern"), str):
            raise RulesError(f"{at}: needs a name, a value and a pattern (with {{number}} where a count is read), got {a!r}.")
        amounts.append(Amount(a["name"], _number(a, "value", at), _compile(a["pattern"].replace("{number}", _AMOUNT_NUMBER), at)))
    scales = []
    for i, c in enumerate(entry.get("scales") or []):
        at = f"{where} scale #{i + 1}"
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise RulesError(f"{at}: needs a name, a factor > 0 and a pattern, got {c!r}.")
        scales.append(Factor(c["name"], _number(c, "factor", at, minimum=0.01), _compile(c.get("pattern"), at)))
    unit = entry.get("unit")
    if not isinstance(unit, str) or not unit.strip():
        raise RulesError(f"{where}: unit must name what one unit of exposure is.")
    if not measures and not cues:
        raise RulesError(f"{where}: declares no measures and no cues, so its exposure could never rise.")
    combine = entry.get("combine", "sum")
    if combine not in ("sum", "max"):
        raise RulesError(f"{where}: combine must be 'sum' or 'max', got {combine!r}.")
    requires = _compile(entry["requires"], f"{where} requires") if "requires" in entry else None
    return ModeExposureRules(mode, unit, tuple(measures), tuple(cues), tuple(multipliers), negations, tuple(amounts),
                             tuple(scales), combine, requires)


def parse_exposure_rules(data: dict[str, Any], mode_ids: tuple[str, ...], where: str = "exposure.yaml") -> ExposureRules:
    """Return validated ExposureRules from the parsed YAML mapping; every mode of the taxonomy must be declared."""
    modes = data.get("modes")
    if not isinstance(modes, dict):
        raise RulesError(f"{where}: 'modes' must map mode ids to their exposure rules.")
    unknown = [m for m in modes if m not in mode_ids]
    missing = [m for m in mode_ids if m not in modes]
    if unknown or missing:
        raise RulesError(
            f"{where}: modes must match the taxonomy; unknown: {', '.join(unknown) or 'none'}; "
            f"missing: {', '.join(missing) or 'none'}. Valid: {', '.join(mode_ids)}."
        )
    return ExposureRules(
        version=int(data["version"]),
        speaking_rate_wps=_number(data, "speaking_rate_wps", where, minimum=0.1),
        default_clip_seconds=_number(data, "default_clip_seconds", where, minimum=1.0),
        cue_window_chars=int(_number(data, "cue_window_chars", where, 40)),
        modes={m: _parse_mode(m, modes[m], f"{where} mode {m!r}") for m in mode_ids},
        embedded_count=_embedded_count(data, where),
    )


def _embedded_count(data: dict, where: str) -> str:
    value = str(data.get("embedded_count", "5")).strip()
    if not value or any(ch in value for ch in "'\"\n"):
        raise RulesError(f"{where}: embedded_count must be a short number such as 5, got {value!r}.")
    return value


@functools.lru_cache(maxsize=4)
def load_exposure_rules(directory: str | None = None) -> ExposureRules:
    """Return the validated exposure rules of the rules folder (default: the one :func:`load_rules` reads)."""
    from ava_model.rules.taxonomy import load_rules, read_rules_file

    rules = load_rules(directory)
    return parse_exposure_rules(read_rules_file("exposure", directory), rules.mode_ids)
