"""VBench (1.0) prompt suite: one text file of prompts per tested dimension."""

from __future__ import annotations

from pathlib import Path

from ava_model.errors import DataSourceError
from ava_model.rules.taxonomy import Rules, load_rules
from ava_training.importers.common import ImportedSource, merge_tags, read_text, require_path, tagged_prompts_to_labels

SOURCE = "vbench"
FOLDER = "vbench/prompts_per_dimension"
PUBLISHED = "2023-11-01"


def import_vbench(data_dir: Path, rules: Rules | None = None) -> ImportedSource:
    """Return prompt-level labels from prompts_per_dimension/*.txt under data_dir."""
    rules = rules or load_rules()
    folder = require_path(Path(data_dir) / FOLDER, SOURCE)
    files = sorted(p for p in folder.glob("*.txt") if p.stem != "all_dimension")
    if not files:
        raise DataSourceError(f"{SOURCE}: no dimension .txt files in {folder}.")
    pairs = [(line, f.stem) for f in files for line in read_text(f, SOURCE).splitlines()]
    labels = tagged_prompts_to_labels(merge_tags(pairs), SOURCE, rules, PUBLISHED)
    return ImportedSource(SOURCE, labels, tuple(f"{FOLDER}/{f.name}" for f in files), "Apache-2.0 (Vchitect/VBench)")
