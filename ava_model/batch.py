"""Score a file of prompts in batch: CSV or JSONL in, CSV or JSONL out, with a progress bar."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ava_model.errors import DataSourceError

if TYPE_CHECKING:
    from ava_model.api import Predictor

CHUNK = 64


def read_prompt_file(path: Path, default_platform: str | None):
    """Return a DataFrame with ``prompt`` and ``platform`` columns from a CSV or JSONL file."""
    import pandas as pd

    if not path.is_file():
        raise DataSourceError(f"Prompt file {path} does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    elif suffix in (".jsonl", ".ndjson"):
        frame = pd.read_json(path, lines=True, dtype=False)
    else:
        raise DataSourceError(f"{path}: unsupported file type {suffix!r}; use .csv or .jsonl.")
    if "prompt" not in frame.columns:
        raise DataSourceError(f"{path}: needs a 'prompt' column; found {', '.join(map(str, frame.columns))}.")
    if "platform" not in frame.columns:
        if default_platform is None:
            raise DataSourceError(f"{path}: no 'platform' column; pass --platform for the whole file.")
        frame["platform"] = default_platform
    return frame


def score_file(predictor: Predictor, source: Path, target: Path, default_platform: str | None = None,
               explain: bool = False) -> int:
    """Score every row of source and write target (.csv: one risk column per mode; .jsonl: whole reports).

    Prompts are embedded in chunks of CHUNK; the output appears atomically when all rows are scored.
    Returns the number of rows written.
    """
    from tqdm.auto import tqdm

    frame = read_prompt_file(source, default_platform)
    as_jsonl = target.suffix.lower() in (".jsonl", ".ndjson")
    if not as_jsonl and target.suffix.lower() != ".csv":
        raise DataSourceError(f"{target}: output must end in .csv or .jsonl.")
    prompts, platforms = frame["prompt"].tolist(), frame["platform"].tolist()
    _check_rows(predictor, prompts, platforms, source)
    records = []
    with tqdm(total=len(prompts), desc="scoring", unit="prompt") as bar:
        for start in range(0, len(prompts), CHUNK):
            chunk_p, chunk_pl = prompts[start : start + CHUNK], platforms[start : start + CHUNK]
            if as_jsonl:
                records += [predictor.predict(p, pl, explain=explain).to_dict() for p, pl in zip(chunk_p, chunk_pl)]
            else:
                risks = predictor.predict_proba(chunk_p, chunk_pl)
                for i, row in enumerate(risks.itertuples(index=False)):
                    values = dict(zip(risks.columns, row))
                    top = max(values, key=values.get)
                    records.append({"prompt": chunk_p[i], "platform": predictor.rules.platform(chunk_pl[i]).id,
                                    "light": predictor.rules.thresholds.light(values[top]), "top_mode": top,
                                    **{m: round(float(v), 4) for m, v in values.items()}})
            bar.update(len(chunk_p))
    _write(records, target, as_jsonl)
    return len(records)


def _check_rows(predictor: Predictor, prompts: list, platforms: list, source: Path) -> None:
    """Raise before any scoring if a row is bad, naming every bad row (numbered from 1 below the header)."""
    from ava_model.errors import AvaError
    from ava_model.validation import check_prompt

    errors = []
    for i, (prompt, platform) in enumerate(zip(prompts, platforms), start=1):
        try:
            check_prompt(prompt, predictor.rules.thresholds.max_prompt_chars)
            predictor.rules.platform(platform)
        except AvaError as exc:
            errors.append(f"row {i}: {exc}")
    if errors:
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        raise DataSourceError(f"{source}: {len(errors)} bad rows{more}, nothing scored:\n  " + "\n  ".join(errors[:10]))


def _write(records: list[dict], target: Path, as_jsonl: bool) -> None:
    import pandas as pd

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            if as_jsonl:
                fh.writelines(json.dumps(r) + "\n" for r in records)
            else:
                pd.DataFrame(records).to_csv(fh, index=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
