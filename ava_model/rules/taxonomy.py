"""Load and validate the rule files in data/rules: taxonomy, platforms, thresholds, priors.

Every rule AVA applies lives in a versioned YAML file; this module is the only
place that reads them, and it refuses a file with a missing or malformed field.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ava_model.errors import RulesError, UnknownMode, UnknownPlatform, suggest
from ava_model.locations import data_dir

ANY_PLATFORM = "any"
"""Platform value of a prompt-level label: 'this prompt exercises the mode'."""



def rules_dir() -> Path:
    """Return the folder holding the rule files.

    ``AVA_RULES_DIR`` wins; an installed wheel carries them in ``ava_model/_data/rules``;
    a source checkout reads ``data/rules`` at the repository root.
    """
    if env := os.environ.get("AVA_RULES_DIR"):
        return Path(env)
    return data_dir("rules")


@dataclass(frozen=True)
class FailureMode:
    """One failure mode of the taxonomy."""

    id: str
    name: str
    short_name: str
    technical_term: str
    symptoms: tuple[str, ...]
    risk_factors: tuple[str, ...]
    prevention: tuple[str, ...]
    evidence: tuple[str, ...]
    needs_audio: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Platform:
    """One video-generation platform (a product family or a research model)."""

    id: str
    name: str
    vendor: str
    aliases: tuple[str, ...]
    access: str
    released: str
    generation: str
    audio: bool
    audio_note: str
    support_channel: str
    support_contact: str
    refund_policy: str
    successor_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Thresholds:
    """Traffic-light cut-offs on the highest per-mode risk, and the prompt length limit."""

    yellow: float
    red: float
    max_prompt_chars: int
    default_platform: str = "sora-2"
    tie_tolerance: float = 0.005

    def light(self, max_risk: float) -> str:
        """Return 'green', 'yellow' or 'red' for the highest per-mode risk."""
        if max_risk >= self.red:
            return "red"
        return "yellow" if max_risk >= self.yellow else "green"


@dataclass(frozen=True)
class Rules:
    """Everything in data/rules, validated."""

    modes: tuple[FailureMode, ...]
    platforms: tuple[Platform, ...]
    thresholds: Thresholds
    priors: dict[str, Any]
    benchmark_mappings: dict[str, Any]
    versions: dict[str, int] = field(default_factory=dict)
    generations: dict[str, str] = field(default_factory=dict)  # id -> label, newest first (platforms.yaml)

    @property
    def mode_ids(self) -> tuple[str, ...]:
        """Return the failure-mode ids in taxonomy order."""
        return tuple(m.id for m in self.modes)

    @property
    def platform_ids(self) -> tuple[str, ...]:
        """Return the canonical platform ids in file order."""
        return tuple(p.id for p in self.platforms)

    @property
    def version(self) -> str:
        """Return one string naming every rule file's version."""
        return ",".join(f"{k}:{v}" for k, v in sorted(self.versions.items()))

    def cannot_generate(self, platform_id: str, mode_ids: list[str] | tuple[str, ...]) -> str | None:
        """Return why a platform cannot serve these modes at all (speech without native audio), or None.

        The one suitability rule, shared by the alternatives of a report and the reference pages.
        """
        platform = self.platform(platform_id)
        needs = [m for m in mode_ids if self.mode(m).needs_audio]
        if needs and not platform.audio:
            return f"no native audio generation: cannot produce the speech {', '.join(needs)} needs"
        return None

    def mode(self, mode_id: str) -> FailureMode:
        """Return the failure mode with this id, or raise UnknownMode naming the valid ids."""
        for m in self.modes:
            if m.id == mode_id:
                return m
        raise UnknownMode(
            f"Unknown failure mode {mode_id!r}.{suggest(str(mode_id), self.mode_ids)} "
            f"Valid modes: {', '.join(self.mode_ids)}."
        )

    def platform(self, name: str) -> Platform:
        """Resolve a platform id or alias ('Sora 2', 'Kling 1.6') to its Platform."""
        if not isinstance(name, str) or not name.strip():
            raise UnknownPlatform(
                f"Platform must be a non-empty string, got {name!r}. "
                f"Valid platforms: {', '.join(self.platform_ids)}."
            )
        index = self._aliases()
        key = normalise_name(name)
        if key in index:
            return index[key]
        close = difflib.get_close_matches(key, list(index), n=1, cutoff=0.6)
        hint = f" Did you mean {index[close[0]].id!r}?" if close else ""
        raise UnknownPlatform(
            f"Unknown platform {name!r}.{hint} Valid platforms: {', '.join(self.platform_ids)}."
        )

    def _aliases(self) -> dict[str, Platform]:
        index = self.__dict__.get("_alias_index")
        if index is None:
            index = {normalise_name(a): p for p in self.platforms for a in (p.id, p.name, *p.aliases)}
            object.__setattr__(self, "_alias_index", index)
        return index


def normalise_name(name: str) -> str:
    """Return a platform name folded for matching: lower case, no spaces, dashes or dots."""
    return re.sub(r"[\s_\-.()]+", "", name.strip().lower())


# --- loading and validation -------------------------------------------------


def read_yaml(path: Path) -> dict[str, Any]:
    """Return a rules file's mapping; RulesError names the file when it is missing, not YAML or has no version."""
    import yaml

    if not path.is_file():
        raise RulesError(f"Rules file {path} is missing.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RulesError(f"Rules file {path} is not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise RulesError(f"Rules file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
        raise RulesError(f"Rules file {path} must be a mapping with an integer 'version'.")
    return data


def require_field(entry: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Return ``entry[key]``, checked to be of ``kind`` and not a blank string; RulesError names ``where``."""
    if not isinstance(entry, dict):
        raise RulesError(f"{where} must be a mapping of fields, got {type(entry).__name__} {str(entry)[:60]!r}.")
    if key not in entry:
        raise RulesError(f"{where}: missing field {key!r}.")
    value = entry[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise RulesError(f"{where}: field {key!r} must be {names}, got {value!r}.")
    if isinstance(value, str) and not value.strip():
        raise RulesError(f"{where}: field {key!r} is empty.")
    return value


def str_list(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """Return ``entry[key]`` as a tuple, checked to be a non-empty list of non-blank strings."""
    items = require_field(entry, key, list, where)
    if not items or not all(isinstance(s, str) and s.strip() for s in items):
        raise RulesError(f"{where}: field {key!r} must be a non-empty list of strings.")
    return tuple(items)


def _parse_modes(data: dict[str, Any], path: Path) -> tuple[FailureMode, ...]:
    modes = []
    for i, entry in enumerate(require_field(data, "modes", list, str(path))):
        where = f"{path.name} mode #{i + 1}"
        mode_id = require_field(entry, "id", str, where)
        where = f"{path.name} mode {mode_id!r}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", mode_id):
            raise RulesError(f"{where}: id must be snake_case.")
        modes.append(
            FailureMode(
                id=mode_id,
                name=require_field(entry, "name", str, where),
                short_name=require_field(entry, "short_name", str, where),
                technical_term=require_field(entry, "technical_term", str, where),
                symptoms=str_list(entry, "symptoms", where),
                risk_factors=str_list(entry, "risk_factors", where),
                prevention=str_list(entry, "prevention", where),
                evidence=str_list(entry, "evidence", where),
                needs_audio=bool(entry.get("needs_audio", False)),
            )
        )
    _no_duplicates([m.id for m in modes], f"{path.name} mode ids")
    return tuple(modes)


def _parse_generations(data: dict[str, Any], path: Path) -> dict[str, str]:
    table = require_field(data, "generations", dict, path.name)
    if not table:
        raise RulesError(f"{path.name}: generations is empty; name at least one (id: label).")
    return {str(g): require_field(table, g, str, f"{path.name} generations") for g in table}


def _parse_platforms(data: dict[str, Any], path: Path, generations: dict[str, str]) -> tuple[Platform, ...]:
    platforms = []
    for i, entry in enumerate(require_field(data, "platforms", list, str(path))):
        where = f"{path.name} platform #{i + 1}"
        pid = require_field(entry, "id", str, where)
        where = f"{path.name} platform {pid!r}"
        if pid == ANY_PLATFORM or not re.fullmatch(r"[a-z0-9][a-z0-9.\-]*", pid):
            raise RulesError(f"{where}: id must be lower-case letters, digits, '-' or '.', not {ANY_PLATFORM!r}.")
        generation = require_field(entry, "generation", str, where)
        if generation not in generations:
            raise RulesError(f"{where}: generation {generation!r} is not one of {', '.join(generations)}.")
        access = require_field(entry, "access", str, where)
        if access not in ("open", "closed"):
            raise RulesError(f"{where}: access {access!r} is not one of open, closed.")
        support = require_field(entry, "support", dict, where)
        platforms.append(
            Platform(
                id=pid,
                name=require_field(entry, "name", str, where),
                vendor=require_field(entry, "vendor", str, where),
                aliases=tuple(entry.get("aliases") or ()),
                access=access,
                released=str(require_field(entry, "released", (str, int), where)),
                generation=generation,
                audio=require_field(entry, "audio", bool, where),
                audio_note=str(entry.get("audio_note", "")),
                support_channel=require_field(support, "channel", str, f"{where} support"),
                support_contact=require_field(support, "contact", str, f"{where} support"),
                refund_policy=require_field(entry, "refund_policy", str, where),
                successor_of=entry.get("successor_of"),
            )
        )
    ids = [p.id for p in platforms]
    _no_duplicates(ids, f"{path.name} platform ids")
    owners: dict[str, str] = {}
    for p in platforms:
        for a in {normalise_name(x) for x in (p.id, p.name, *p.aliases)}:
            if a in owners and owners[a] != p.id:
                raise RulesError(f"{path.name}: alias {a!r} names both {owners[a]!r} and {p.id!r}.")
            owners[a] = p.id
    for p in platforms:
        if p.successor_of is not None and p.successor_of not in ids:
            raise RulesError(f"{path.name} platform {p.id!r}: successor_of {p.successor_of!r} is not a platform id.")
    return tuple(platforms)


def _no_duplicates(values: list[str], what: str) -> None:
    seen = {v for v in values if values.count(v) > 1}
    if seen:
        raise RulesError(f"Duplicate {what}: {', '.join(sorted(seen))}.")


def _check_priors(priors: dict[str, Any], mode_ids: tuple[str, ...], generations: dict[str, str], path: Path) -> None:
    by_gen = require_field(priors, "by_generation", dict, path.name)
    for gen in generations:
        table = require_field(by_gen, gen, dict, f"{path.name} by_generation")
        missing = [m for m in mode_ids if m not in table]
        if missing:
            raise RulesError(f"{path.name} by_generation.{gen}: no prior for modes {', '.join(missing)}.")
        for m, v in table.items():
            if m not in mode_ids:
                raise RulesError(f"{path.name} by_generation.{gen}: unknown mode {m!r}; valid: {', '.join(mode_ids)}.")
            if not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise RulesError(f"{path.name} by_generation.{gen}.{m}: {v!r} is not a probability.")
    strength = require_field(priors, "prior_strength", (int, float), path.name)
    if strength <= 0:
        raise RulesError(f"{path.name}: prior_strength must be positive, got {strength}.")
    evidence = priors.get("published_evidence") or []
    if not isinstance(evidence, list) or not all(isinstance(ev, dict) for ev in evidence):
        raise RulesError(f"{path.name}: published_evidence must be a list of mappings.")
    for ev in evidence:
        if ev.get("mode") not in mode_ids:
            raise RulesError(f"{path.name} published_evidence: unknown mode {ev.get('mode')!r}.")


def _check_mappings(mappings: dict[str, Any], mode_ids: tuple[str, ...], path: Path) -> None:
    for source, dims in require_field(mappings, "sources", dict, path.name).items():
        if not isinstance(dims, dict):
            raise RulesError(f"{path.name} {source}: must map the source's dimensions to modes, got {dims!r:.60}.")
        for dim, modes in dims.items():
            if modes is not None and not isinstance(modes, list):
                raise RulesError(f"{path.name} {source}.{dim}: must be a list of modes, got {modes!r:.60}.")
            bad = [m for m in modes or [] if m not in mode_ids]
            if bad:
                raise RulesError(
                    f"{path.name} {source}.{dim}: unknown modes {', '.join(bad)}; valid: {', '.join(mode_ids)}."
                )


def _parse_thresholds(data: dict[str, Any], path: Path) -> Thresholds:
    yellow = float(require_field(data, "yellow", (int, float), path.name))
    red = float(require_field(data, "red", (int, float), path.name))
    if not 0 < yellow < red <= 1:
        raise RulesError(f"{path.name}: need 0 < yellow < red <= 1, got yellow={yellow}, red={red}.")
    max_chars = require_field(data, "max_prompt_chars", int, path.name)
    default_platform = require_field(data, "default_platform", str, path.name)
    tie = float(require_field(data, "tie_tolerance", (int, float), path.name))
    if not 0 <= tie < yellow:
        raise RulesError(f"{path.name}: tie_tolerance must be in [0, yellow), got {tie}.")
    return Thresholds(yellow=yellow, red=red, max_prompt_chars=max_chars, default_platform=default_platform,
                      tie_tolerance=tie)


def read_rules_file(name: str, directory: str | Path | None = None) -> dict[str, Any]:
    """Return the parsed mapping of one rules file (``<name>.yaml``), checked to carry an integer version.

    Raises RulesError naming the file when it is missing, is not YAML or has no version.
    """
    return read_yaml(Path(directory or rules_dir()) / f"{name}.yaml")


def load_rules(directory: str | Path | None = None) -> Rules:
    """Return the validated rules from ``directory`` (default: :func:`rules_dir`)."""
    return _load_rules_cached(str(Path(directory) if directory else rules_dir()))


@functools.lru_cache(maxsize=4)
def _load_rules_cached(directory: str) -> Rules:
    root = Path(directory)
    files = {
        name: root / f"{name}.yaml"
        for name in ("failure_modes", "platforms", "thresholds", "platform_priors", "benchmark_mappings")
    }
    raw = {name: read_yaml(path) for name, path in files.items()}
    modes = _parse_modes(raw["failure_modes"], files["failure_modes"])
    mode_ids = tuple(m.id for m in modes)
    generations = _parse_generations(raw["platforms"], files["platforms"])
    _check_priors(raw["platform_priors"], mode_ids, generations, files["platform_priors"])
    _check_mappings(raw["benchmark_mappings"], mode_ids, files["benchmark_mappings"])
    rules = Rules(
        modes=modes,
        platforms=_parse_platforms(raw["platforms"], files["platforms"], generations),
        thresholds=_parse_thresholds(raw["thresholds"], files["thresholds"]),
        priors=raw["platform_priors"],
        benchmark_mappings=raw["benchmark_mappings"],
        versions={name: data["version"] for name, data in raw.items()},
        generations=generations,
    )
    if rules.thresholds.default_platform not in rules.platform_ids:
        raise RulesError(f"{files['thresholds'].name}: default_platform {rules.thresholds.default_platform!r} is not a "
                         f"platform id; valid: {', '.join(rules.platform_ids)}.")
    return rules
