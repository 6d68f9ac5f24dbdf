"""T2V-CompBench: 7 compositional categories, one prompt file each."""

from __future__ import annotations

from pathlib import Path

from ava_model.errors import DataSourceError
from ava_model.rules.taxonomy import Rules, load_rules
from ava_training.importers.common import ImportedSource, merge_tags, read_text, require_path, tagged_prompts_to_labels

SOURCE = "t2v_compbench"
FOLDER = "t2v_compbench/prompts"
PUBLISHED = "2024-07-01"


def import_t2v_compbench(data_dir: Path, rules: Rules | None = None) -> ImportedSource:
    """Return prompt-level labels from prompts/N_CATEGORY.txt under data_dir."""
    rules = rules or load_rules()
    folder = require_path(Path(data_dir) / FOLDER, SOURCE)
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise DataSourceError(f"{SOURCE}: no category .txt files in {folder}.")
    pairs = [(line, f.stem) for f in files for line in read_text(f, SOURCE).splitlines()]
    labels = tagged_prompts_to_labels(merge_tags(pairs), SOURCE, rules, PUBLISHED)
    return ImportedSource(
        SOURCE,
        labels,
        tuple(f"{FOLDER}/{f.name}" for f in files),
        "none stated in the repository (KaiyueSun98/T2V-CompBench); research/evaluation use",
    )
