"""VideoPhy / VideoPhy-2 published per-model rates -> platform-factor evidence.

These are rates, not per-prompt labels: each becomes an :class:`Evidence` for one
platform and mode, as data/rules/platform_priors.yaml (``published_evidence``) says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ava_model.errors import DataSourceError, UnknownPlatform
from ava_model.core.platform_factors import Evidence
from ava_model.rules.taxonomy import Rules, load_rules
from ava_training.importers.common import require_path

SOURCE = "published_rates"
FILE = "published_rates/rates.csv"
COLUMNS = ("benchmark", "evaluation", "model", "metric", "value_percent")


@dataclass(frozen=True)
class ImportedRates:
    """Published rates and the evidence derived from them."""

    name: str
    table: pd.DataFrame
    evidence: tuple[Evidence, ...]
    files: tuple[str, ...]
    licence: str


def import_published_rates(data_dir: Path, rules: Rules | None = None) -> ImportedRates:
    """Return the rates table of rates.csv and one Evidence per rule in published_evidence."""
    rules = rules or load_rules()
    path = require_path(Path(data_dir) / FILE, SOURCE)
    try:
        table = pd.read_csv(path)
    except (ValueError, pd.errors.ParserError) as exc:  # includes UnicodeDecodeError and EmptyDataError
        raise DataSourceError(f"{SOURCE}: cannot parse {path}: {exc}") from exc
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise DataSourceError(f"{SOURCE}: {path} lacks columns {', '.join(missing)}; needs {', '.join(COLUMNS)}.")
    values = pd.to_numeric(table["value_percent"], errors="coerce")
    bad = [i + 1 for i, v in enumerate(values) if pd.isna(v) or not 0 <= v <= 100]
    if bad:
        raise DataSourceError(f"{SOURCE}: rows {bad[:10]} of {path} have value_percent outside 0..100.")
    table = table.assign(value_percent=values)
    platform_ids = []
    for i, model in enumerate(table["model"], start=1):
        try:
            platform_ids.append(rules.platform(str(model)).id)
        except UnknownPlatform as exc:
            raise DataSourceError(f"{SOURCE}: row {i} of {path}: model {model!r} is no platform alias. {exc}") from exc
    table = table.assign(platform=platform_ids)
    evidence = []
    for rule in rules.priors.get("published_evidence", []):
        chosen = table[
            (table["benchmark"] == rule["benchmark"])
            & (table["evaluation"] == rule["evaluation"])
            & (table["metric"] == rule["metric"])
        ]
        for row in chosen.itertuples():
            evidence.append(
                Evidence(
                    platform=row.platform,
                    mode=rule["mode"],
                    rate=1.0 - float(row.value_percent) / 100.0,
                    weight=float(rule["weight"]),
                    source=f"{rule['benchmark']} {rule['evaluation']} {rule['metric']} ({row.model})",
                )
            )
    return ImportedRates(SOURCE, table, tuple(evidence), (FILE,), "MIT (Hritikbansal/videophy)")
