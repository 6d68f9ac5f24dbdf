"""Per-video human labels (prompt, model, pass/fail) from CSV or JSONL -> outcome label rows.

The reader lives in :mod:`ava_model.labels.schema` because the runtime reads label files too
(reference pages, feedback); this importer is its name on the training side.
"""

from __future__ import annotations

from ava_model.labels.schema import read_outcome_file as import_outcomes

__all__ = ["import_outcomes"]
