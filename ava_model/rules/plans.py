"""Plans as data (``data/rules/plans.yaml``): scoring quotas and features per plan, validated on load."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path

from ava_model.errors import AccountError, RulesError
from ava_model.rules.taxonomy import read_rules_file


@dataclass(frozen=True)
class Plan:
    """One plan: prompts per UTC minute and day (None: no limit), the history dashboard, the batch size."""

    name: str
    description: str
    per_minute: int | None
    per_day: int | None
    history: bool
    max_batch: int


@dataclass(frozen=True)
class Plans:
    """Every plan and the default of new accounts."""

    version: int
    default_plan: str
    plans: dict[str, Plan]

    def plan(self, name: str) -> Plan:
        """Return a plan by name, or raise AccountError naming the valid plans."""
        if name not in self.plans:
            raise AccountError(f"Unknown plan {name!r}; valid plans: {', '.join(self.plans)} (data/rules/plans.yaml).")
        return self.plans[name]


def _limit(entry: dict, key: str, where: str) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RulesError(f"{where}: {key} must be a positive whole number or null (no limit), got {value!r}.")
    return value


def parse_plans(data: dict, where: str = "plans.yaml") -> Plans:
    """Return validated Plans from the parsed YAML mapping; RulesError names the plan and field."""
    raw = data.get("plans")
    if not isinstance(raw, dict) or not raw:
        raise RulesError(f"{where}: 'plans' must map plan names to their limits.")
    plans = {}
    for name, entry in raw.items():
        at = f"{where}: plan {name!r}"
        if not isinstance(entry, dict):
            raise RulesError(f"{at} must be a mapping of limits.")
        history = entry.get("history", False)
        if not isinstance(history, bool):
            raise RulesError(f"{at}: history must be true or false, got {history!r}.")
        batch = _limit(entry, "max_batch", at)  # null: only the request body limit applies
        plans[str(name)] = Plan(str(name), str(entry.get("description", "")), _limit(entry, "per_minute", at),
                                _limit(entry, "per_day", at), history, batch if batch is not None else sys.maxsize)
    default = data.get("default_plan")
    if default not in plans:
        raise RulesError(f"{where}: default_plan must be one of {', '.join(plans)}, got {default!r}.")
    return Plans(int(data["version"]), default, plans)


def load_plans(directory: str | Path | None = None) -> Plans:
    """Return the plans of ``plans.yaml`` in the rules folder (default: :func:`ava_model.rules.taxonomy.rules_dir`)."""
    from ava_model.rules.taxonomy import rules_dir

    return _load_plans_cached(str(Path(directory) if directory else rules_dir()))


@functools.lru_cache(maxsize=4)
def _load_plans_cached(directory: str) -> Plans:
    return parse_plans(read_rules_file("plans", directory), str(Path(directory) / "plans.yaml"))
