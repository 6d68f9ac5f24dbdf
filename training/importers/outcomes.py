"""Per-video human labels (prompt, model, pass/fail) from CSV or JSONL -> outcome label rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ava_model.errors import DataSourceError
from ava_model.labels import validate_labels
from ava_model.rules import Rules, load_rules

_FAILED = {"fail": 1.0, "failed": 1.0, "yes": 1.0, "true": 1.0, "1": 1.0, "1.0": 1.0,
           "pass": 0.0, "passed": 0.0, "no": 0.0, "false": 0.0, "0": 0.0, "0.0": 0.0}


def _read(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True, dtype=False)
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataSourceError(f"Cannot parse {path}: {exc}") from exc
    raise DataSourceError(f"{path}: unsupported file type {path.suffix!r}; use .csv or .jsonl.")


def import_outcomes(
    path: str | Path,
    *,
    source: str = "user",
    mode: str | None = None,
    labelled_at: str | None = None,
    rules: Rules | None = None,
) -> pd.DataFrame:
    """Return outcome label rows from a file of per-video judgements.

    Columns: ``prompt``; ``platform`` or ``model``; ``label`` (probability of failure) or
    ``result``/``failed`` (pass/fail, yes/no, 1/0); ``mode`` unless given for the whole
    file; optional ``weight``, ``labelled_at``, ``generation_id``, ``duration_s``, ``at_second``, ``note``.
    """
    rules = rules or load_rules()
    path = Path(path)
    if not path.is_file():
        raise DataSourceError(f"Outcome file {path} does not exist.")
    raw = _read(path)
    frame = raw.copy()
    if "platform" not in frame.columns and "model" in frame.columns:
        frame["platform"] = frame["model"]
    if "label" not in frame.columns:
        verdict = next((c for c in ("failed", "result", "fail") if c in frame.columns), None)
        if verdict is None:
            raise DataSourceError(f"{path}: needs a 'label' column or a 'failed'/'result' column (pass/fail).")
        mapped = frame[verdict].map(lambda v: _FAILED.get(str(v).strip().lower()))
        bad = [i + 1 for i, v in enumerate(mapped) if v is None or pd.isna(v)]
        if bad:
            raise DataSourceError(
                f"{path}: rows {bad[:10]}: column {verdict!r} must be pass/fail, yes/no or 1/0."
            )
        frame["label"] = mapped
    if "mode" not in frame.columns:
        if mode is None:
            raise DataSourceError(f"{path}: no 'mode' column; pass mode=... for a file about one failure mode.")
        frame["mode"] = mode
    frame["source"] = frame["source"] if "source" in frame.columns else source
    frame["weight"] = frame["weight"] if "weight" in frame.columns else 1.0
    if "labelled_at" not in frame.columns:
        frame["labelled_at"] = labelled_at or pd.Timestamp(path.stat().st_mtime, unit="s", tz="UTC").isoformat()
    return validate_labels(frame, rules, origin=str(path))
