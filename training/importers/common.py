"""Shared by the benchmark importers: tags -> prompt-level label rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ava_model.errors import DataSourceError
from ava_model.labels.schema import validate_labels
from ava_model.rules.taxonomy import ANY_PLATFORM, Rules


@dataclass(frozen=True)
class ImportedSource:
    """Rows imported from one source, with what is needed to cite it."""

    name: str
    labels: pd.DataFrame
    files: tuple[str, ...]
    licence: str
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def n_prompts(self) -> int:
        """Return the number of distinct prompts."""
        return int(self.labels["prompt"].nunique()) if len(self.labels) else 0


def read_text(path: Path, source: str) -> str:
    """Return a file's text as UTF-8, or raise DataSourceError naming the file and the first bad byte."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataSourceError(f"{source}: {path} is not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
                              "save it as UTF-8.") from exc


def csv_records(path: Path, columns: tuple[str, ...], source: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) of a CSV file after checking it has every column; DataSourceError names what lacks."""
    import csv
    import io

    reader = csv.DictReader(io.StringIO(read_text(path, source), newline=""))
    try:
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise DataSourceError(f"{source}: {path} lacks columns {', '.join(missing)}; needs {', '.join(columns)}.")
        yield from enumerate(reader, start=2)
    except csv.Error as exc:
        raise DataSourceError(f"{source}: {path} is not valid CSV (line {reader.line_num}: {exc}).") from exc


def require_path(path: Path, source: str) -> Path:
    """Return path if it exists, else raise DataSourceError saying how to point AVA at the data."""
    if not path.exists():
        raise DataSourceError(
            f"{source}: {path} does not exist. Set AVA_DATA_DIR to the folder holding the shared "
            f"benchmark datasets (default ../shared/datasets beside the repository)."
        )
    return path


def tagged_prompts_to_labels(
    tagged: Iterable[tuple[str, set[str]]],
    source: str,
    rules: Rules,
    labelled_at: str,
) -> pd.DataFrame:
    """Return label rows from (prompt, capability tags) pairs using data/rules/benchmark_mappings.yaml.

    A tag's modes are positives. A mode the suite covers (some tag maps to it) is a
    negative for untagged prompts (weight 1); other modes are implicit negatives
    (weight ``implicit_negative_weight``).
    """
    mapping = rules.benchmark_mappings["sources"].get(source)
    if mapping is None:
        raise DataSourceError(f"No mapping for source {source!r} in benchmark_mappings.yaml.")
    implicit = float(rules.benchmark_mappings.get("implicit_negative_weight", 0.3))
    covered = {m for modes in mapping.values() for m in modes or []}
    rows = []
    for prompt, tags in tagged:
        unknown = sorted(t for t in tags if t not in mapping)
        if unknown:
            raise DataSourceError(
                f"{source}: tag(s) {', '.join(unknown)} of prompt {prompt!r:.60} have no entry in "
                f"benchmark_mappings.yaml; known tags: {', '.join(mapping)}."
            )
        positives = {m for t in tags for m in mapping[t] or []}
        for mode in rules.mode_ids:
            label = 1.0 if mode in positives else 0.0
            weight = 1.0 if label or mode in covered else implicit
            rows.append((prompt, ANY_PLATFORM, mode, label, source, weight, labelled_at, ",".join(sorted(tags))))
    frame = pd.DataFrame(
        rows, columns=["prompt", "platform", "mode", "label", "source", "weight", "labelled_at", "note"]
    )
    return validate_labels(frame, rules, origin=source)


def merge_tags(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, set[str]]]:
    """Return (prompt, tags) with every tag of a prompt that appears under several tags."""
    merged: dict[str, set[str]] = {}
    for prompt, tag in pairs:
        text = prompt.strip()
        if text:
            merged.setdefault(text, set()).add(tag)
    return list(merged.items())
