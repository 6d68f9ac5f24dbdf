"""VBench-2.0 prompt suite: JSON keyed by prompt, each with the dimensions it tests."""

from __future__ import annotations

import json
from pathlib import Path

from ava_model.errors import DataSourceError
from ava_model.rules.taxonomy import Rules, load_rules
from ava_training.importers.common import ImportedSource, read_text, require_path, tagged_prompts_to_labels

SOURCE = "vbench2"
FILE = "vbench2/VBench2_full_text_info.json"
PUBLISHED = "2025-03-01"  # VBench-2.0 release month: the labels' date


def import_vbench2(data_dir: Path, rules: Rules | None = None) -> ImportedSource:
    """Return prompt-level labels from VBench2_full_text_info.json under data_dir."""
    rules = rules or load_rules()
    path = require_path(Path(data_dir) / FILE, SOURCE)
    try:
        data = json.loads(read_text(path, SOURCE))
    except json.JSONDecodeError as exc:
        raise DataSourceError(f"{SOURCE}: {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DataSourceError(f"{SOURCE}: {path} must be a JSON object keyed by prompt.")
    tagged = []
    for i, (key, entry) in enumerate(data.items(), start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("dimension"), list):
            raise DataSourceError(f"{SOURCE}: entry {i} ({key!r:.60}) needs a 'dimension' list.")
        prompt = entry.get("caption") or key
        if not isinstance(prompt, str) or not prompt.strip():
            raise DataSourceError(f"{SOURCE}: entry {i} has an empty caption.")
        tagged.append((prompt.strip(), set(entry["dimension"])))
    labels = tagged_prompts_to_labels(tagged, SOURCE, rules, PUBLISHED)
    return ImportedSource(SOURCE, labels, (FILE,), "Apache-2.0 (Vchitect/VBench)")
