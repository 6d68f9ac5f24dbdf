"""Gather every labelled source a training run uses, with counts for the run record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ava_model.core.platform_factors import Evidence
from ava_model.rules.taxonomy import ANY_PLATFORM, Rules
from ava_training.importers import (
    import_authored,
    import_ladders,
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
    published: tuple[Evidence, ...]
    source_counts: dict[str, int]
    licences: dict[str, str]
    label_store: dict[str, object] | None = None


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
    label_store: Path | None = None,
    ladders: Path | None = None,
) -> TrainingData:
    """Return the label rows of every source (benchmarks, authored, ladders, files, label store) and published evidence."""
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
    if ladders is not None:
        from ava_model.rules.curves import load_curves

        curves = load_curves(rules.mode_ids)
        ladder_rows = import_ladders(ladders, {m: c.exercised_from for m, c in curves.items()}, rules, split="train")
        frames.append(ladder_rows)
        counts["ladders"] = int(ladder_rows["prompt"].nunique())
        licences["ladders"] = "this repository (data/ladders, train split; labels from data/rules/curves)"
    for path in extra_labels:
        extra = import_outcomes(path, rules=rules)
        frames.append(extra)
        counts[f"labels:{Path(path).name}"] = len(extra)
    store_info = None
    if label_store is not None and Path(label_store).is_file():
        from ava_model.labels.store import LabelStore

        store = LabelStore(label_store, readonly=True)
        stored = store.training_rows()
        frames.append(stored)
        count, digest = store.digest()
        counts["label_store"] = len(stored)
        licences["label_store"] = "user reports (data stays on this machine)"
        store_info = {"path": str(label_store), "rows": count, "current_rows": len(stored), "digest": digest}
    rows = pd.concat(frames, ignore_index=True)
    published: list[Evidence] = []
    if published_rates:
        rates = import_published_rates(data_dir, rules)
        counts["published_rates"] = len(rates.table)
        licences["published_rates"] = rates.licence
        published = list(rates.evidence)
    return TrainingData(rows, tuple(published), counts, licences, store_info)
