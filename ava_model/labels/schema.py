"""The label schema: one row per (prompt, platform, failure mode), validated with row numbers.

``platform == "any"`` marks a prompt-level label (the prompt exercises the mode, from
a benchmark tag or an authored rule). A real platform id marks an outcome label: a
generated video on that platform did (1) or did not (0) show the failure.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from ava_model.errors import DataSourceError, InvalidPrompt, LabelValidationError, UnknownPlatform
from ava_model.rules.taxonomy import ANY_PLATFORM, Rules, load_rules
from ava_model.core.validation import check_prompt, has_surrogate

if TYPE_CHECKING:
    import pandas as pd

REQUIRED_COLUMNS = ("prompt", "platform", "mode", "label", "source", "weight", "labelled_at")
OPTIONAL_COLUMNS = ("generation_id", "duration_s", "at_second", "note", "group")
LABEL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
_MAX_ERRORS = 10


def validate_labels(frame: pd.DataFrame, rules: Rules | None = None, *, origin: str = "labels") -> pd.DataFrame:
    """Return a clean copy of labelled rows, or raise LabelValidationError listing bad rows.

    Platforms are canonicalised (aliases accepted); row numbers in errors count data
    rows from 1, as a spreadsheet would show them below the header.
    """
    import pandas as pd

    rules = rules or load_rules()
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise LabelValidationError(
            f"{origin}: missing columns {', '.join(missing)}; required: {', '.join(REQUIRED_COLUMNS)}."
        )
    df = frame.copy().reset_index(drop=True)
    for col in OPTIONAL_COLUMNS:
        if col not in df.columns:
            df[col] = None
    errors: list[str] = []

    def bad(i: int, field: str, message: str) -> None:
        errors.append(f"row {i + 1}, field {field!r}: {message}")

    prompts = []
    for i, p in enumerate(df["prompt"]):
        try:
            prompts.append(check_prompt(p, rules.thresholds.max_prompt_chars))
        except InvalidPrompt as exc:
            prompts.append(p)
            bad(i, "prompt", str(exc).removeprefix("Prompt "))
    df["prompt"] = pd.Series(prompts, dtype=object, index=df.index)
    platforms = []
    for i, p in enumerate(df["platform"]):
        if isinstance(p, str) and p.strip().lower() == ANY_PLATFORM:
            platforms.append(ANY_PLATFORM)
            continue
        try:
            platforms.append(rules.platform(p).id)
        except UnknownPlatform as exc:
            platforms.append(p)
            bad(i, "platform", f"{exc} (or {ANY_PLATFORM!r} for a prompt-level label)")
    df["platform"] = platforms
    for i, m in enumerate(df["mode"]):
        if m not in rules.mode_ids:
            bad(i, "mode", f"unknown mode {m!r}; valid: {', '.join(rules.mode_ids)}")
    labels = _numbers(df["label"])
    for i, (raw, v) in enumerate(zip(df["label"], labels)):
        if pd.isna(v) or not 0 <= v <= 1:
            bad(i, "label", f"must be 0, 1 or a probability in [0, 1], got {raw!r}")
    df["label"] = labels.astype(float)
    weights = _numbers(df["weight"])
    for i, (raw, v) in enumerate(zip(df["weight"], weights)):
        if pd.isna(v) or v <= 0:
            bad(i, "weight", f"must be a positive number, got {raw!r}")
    df["weight"] = weights.astype(float)
    for i, s in enumerate(df["source"]):
        if not isinstance(s, str) or not s.strip():
            bad(i, "source", f"must name where the label came from, got {s!r}")
    stamps = pd.to_datetime(df["labelled_at"].map(lambda v: None if isinstance(v, (list, tuple, dict, set, bytes, bool))
                                                  else v),
                            errors="coerce", utc=True, format="mixed")
    for i, (raw, v) in enumerate(zip(df["labelled_at"], stamps)):
        if pd.isna(v):
            bad(i, "labelled_at", f"must be an ISO date or timestamp, got {raw!r}")
    df["labelled_at"] = stamps
    for col in ("duration_s", "at_second"):
        values = _numbers(df[col])
        for i, (raw, v) in enumerate(zip(df[col], values)):
            if not is_blank(raw) and (pd.isna(v) or v < 0):
                bad(i, col, f"must be a non-negative number of seconds, got {raw!r}")
        df[col] = values
    for col in df.columns:
        if col != "prompt" and df[col].dtype == object:
            for i, v in enumerate(df[col]):
                if isinstance(v, str) and has_surrogate(v):
                    bad(i, col, "is not valid Unicode (a lone surrogate: invalid UTF-8 bytes in the input?)")
    if errors:
        more = f" (and {len(errors) - _MAX_ERRORS} more)" if len(errors) > _MAX_ERRORS else ""
        raise LabelValidationError(f"{origin}: {len(errors)} invalid rows{more}:\n  " + "\n  ".join(errors[:_MAX_ERRORS]))
    return df[list(LABEL_COLUMNS)]


def is_blank(value: object) -> bool:
    """Return True for a missing cell: None, NaN or a blank string (a spreadsheet's empty cell)."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


def _numbers(column: pd.Series) -> pd.Series:
    """Return the column as floats: numbers and numeric strings kept, anything else (lists, bytes, text) NaN."""
    import pandas as pd

    def one(value: object) -> float:
        if isinstance(value, bool) or is_blank(value):
            return math.nan
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                return math.nan
        return math.nan

    return pd.Series([one(v) for v in column], index=column.index, dtype=float)


_FAILED = {"fail": 1.0, "failed": 1.0, "yes": 1.0, "true": 1.0, "1": 1.0, "1.0": 1.0,
           "pass": 0.0, "passed": 0.0, "no": 0.0, "false": 0.0, "0": 0.0, "0.0": 0.0}


def _read(path: Path) -> pd.DataFrame:
    import pandas as pd

    try:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True, dtype=False)
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataSourceError(f"Cannot parse {path}: {exc}") from exc
    raise DataSourceError(f"{path}: unsupported file type {path.suffix!r}; use .csv or .jsonl.")


def read_outcome_file(
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
    file; optional ``weight``, ``labelled_at``, ``generation_id``, ``duration_s``, ``at_second``, ``note``
    and ``user`` (kept as ``user_id``). Blank optional cells are empty, not errors.
    """
    import pandas as pd

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
    clean = validate_labels(frame, rules, origin=str(path))
    user_column = next((c for c in ("user_id", "user") if c in frame.columns), None)
    if user_column is not None:  # whose outcome it is: kept, so `ava history --user` finds it
        clean["user_id"] = [None if is_blank(v) else str(v).strip() for v in frame[user_column].reset_index(drop=True)]
    return clean
