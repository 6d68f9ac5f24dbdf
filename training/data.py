"""Gather every labelled source a training run uses, with counts for the run record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ava_model.platform_factors import Evidence
from ava_model.rules import ANY_PLATFORM, Rules
from training.importers import (
    import_authored,
    import_outcomes,
    import_published_rates,
    import_t2v_compbench,
    import_vbench,
    import_vbench2,
)

_IMPORTERS = {"vbench2": import_vbench2, "vbench": import_vbench, "t2v_compbench": import_t2v_compbench}


@dataclass(frozen=True)
class TrainingData:
    """All label rows of a run, the platform-factor evidence, and where they came from."""

    rows: pd.DataFrame
    evidence: tuple[Evidence, ...]
    source_counts: dict[str, int]
    licences: dict[str, str]


def outcome_evidence(rows: pd.DataFrame) -> list[Evidence]:
    """Return one Evidence per (platform, mode) from outcome labels: weighted failure rate and weight."""
    outcomes = rows[rows["platform"] != ANY_PLATFORM]
    evidence = []
    for (platform, mode, source), group in outcomes.groupby(["platform", "mode", "source"]):
        weight = float(group["weight"].sum())
        rate = float((group["label"] * group["weight"]).sum() / weight)
        evidence.append(Evidence(platform, mode, rate, weight, f"{source} outcome labels (n={len(group)})"))
    return evidence


def load_training_data(
    data_dir: Path,
    authored: Path,
    sources: tuple[str, ...],
    rules: Rules,
    extra_labels: tuple[Path, ...] = (),
    published_rates: bool = True,
) -> TrainingData:
    """Return the label rows of every source plus published-rate and outcome evidence."""
    frames, counts, licences = [], {}, {}
    for name in sources:
        imported = _IMPORTERS[name](data_dir, rules)
        frames.append(imported.labels)
        counts[name] = imported.n_prompts
        licences[name] = imported.licence
    authored_rows, _ = import_authored(authored, rules)
    frames.append(authored_rows)
    counts["authored"] = int(authored_rows["prompt"].nunique())
    licences["authored"] = "this repository (data/authored, see LABELLING.md)"
    for path in extra_labels:
        extra = import_outcomes(path, rules=rules)
        frames.append(extra)
        counts[f"labels:{Path(path).name}"] = len(extra)
    rows = pd.concat(frames, ignore_index=True)
    evidence = outcome_evidence(rows)
    if published_rates:
        rates = import_published_rates(data_dir, rules)
        counts["published_rates"] = len(rates.table)
        licences["published_rates"] = rates.licence
        evidence = list(rates.evidence) + evidence
    return TrainingData(rows, tuple(evidence), counts, licences)
