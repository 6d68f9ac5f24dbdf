"""Authored labels in data/authored/<mode>.csv (prompt,label,rule,other_modes) -> label rows.

Each file labels whether its prompts exercise that file's mode (see LABELLING.md);
``other_modes`` names further modes a prompt clearly exercises. Every other mode is
a reviewed negative, at ``authored_negative_weight`` (benchmark_mappings.yaml).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ava_model.errors import DataSourceError
from ava_model.labels.schema import validate_labels
from ava_model.rules.taxonomy import ANY_PLATFORM, Rules, load_rules
from ava_training.importers.common import csv_records

SOURCE = "authored"
LABELLED_AT = "2026-11-25"
COLUMNS = ("prompt", "label", "rule", "other_modes")


def _read_mode_file(path: Path, rules: Rules) -> list[tuple[str, float, str, set[str]]]:
    mode = path.stem
    if mode not in rules.mode_ids:
        raise DataSourceError(f"{SOURCE}: file {path.name} names no mode; valid stems: {', '.join(rules.mode_ids)}.")
    rows = []
    for line, rec in csv_records(path, COLUMNS, SOURCE):
        label = (rec.get("label") or "").strip()
        if label not in ("0", "1"):
            raise DataSourceError(f"{SOURCE}: {path.name} line {line}: label must be 0 or 1, got {label!r}.")
        others = {m.strip() for m in (rec.get("other_modes") or "").split(";") if m.strip()}
        unknown = sorted(others - set(rules.mode_ids))
        if unknown:
            raise DataSourceError(
                f"{SOURCE}: {path.name} line {line}: unknown other_modes {', '.join(unknown)}; "
                f"valid: {', '.join(rules.mode_ids)}."
            )
        rows.append(((rec.get("prompt") or "").strip(), float(label), (rec.get("rule") or "").strip(), others - {mode}))
    return rows


def import_authored(folder: Path, rules: Rules | None = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """Return (label rows, rows per mode file) from every <mode>.csv in folder."""
    rules = rules or load_rules()
    folder = Path(folder)
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise DataSourceError(f"{SOURCE}: no <mode>.csv files in {folder}.")
    reviewed = float(rules.benchmark_mappings.get("authored_negative_weight", 1.0))
    explicit: dict[tuple[str, str], tuple[float, str]] = {}
    counts = {}
    for path in files:
        mode = path.stem
        rows = _read_mode_file(path, rules)
        counts[mode] = len(rows)
        for prompt, label, rule, others in rows:
            # The file's own mode is labelled explicitly; a positive wins over a negative.
            key = (prompt, mode)
            if key not in explicit or label > explicit[key][0]:
                explicit[key] = (label, rule)
            for other in others:
                if explicit.get((prompt, other), (0.0, ""))[0] < 1:
                    explicit[(prompt, other)] = (1.0, f"{rule} (other_modes)")
    prompts = list(dict.fromkeys(p for p, _ in explicit))
    records = []
    for prompt in prompts:
        for mode in rules.mode_ids:
            if (prompt, mode) in explicit:
                label, rule = explicit[(prompt, mode)]
                records.append((prompt, ANY_PLATFORM, mode, label, SOURCE, 1.0, LABELLED_AT, rule))
            else:
                records.append((prompt, ANY_PLATFORM, mode, 0.0, SOURCE, reviewed, LABELLED_AT, "not in other_modes"))
    frame = pd.DataFrame(
        records, columns=["prompt", "platform", "mode", "label", "source", "weight", "labelled_at", "note"]
    )
    return validate_labels(frame, rules, origin=f"{SOURCE} ({folder})"), counts
