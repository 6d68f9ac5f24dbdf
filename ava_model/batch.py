"""Score a file of prompts in batch: CSV or JSONL in, CSV or JSONL out, with a progress bar."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ava_model.errors import DataSourceError
from ava_model.labels.schema import is_blank
from ava_model.labels import score_log

if TYPE_CHECKING:
    from ava_model.api import Predictor

CHUNK = 64


INPUT_COLUMNS = ("prompt", "platform", "user", "id")  # read; 'user' and 'id' are carried to the output
COLUMNS_HELP = ("columns: prompt (required), platform (blank cells take --platform), optional user and id "
                "(copied to the output); example: docs/examples/prompts.csv")


@dataclass(frozen=True)
class BatchResult:
    """What a batch run did: rows scored and written, rows rejected (and where their reasons went)."""

    scored: int
    rejected: int
    rejected_path: Path | None
    ignored_columns: tuple[str, ...]


def read_prompt_file(path: Path, default_platform: str | None):
    """Return a DataFrame with ``prompt`` and ``platform`` columns from a CSV or JSONL file.

    Blank platform cells (and a missing platform column) take ``default_platform``.
    """
    import pandas as pd

    if not path.is_file():
        raise DataSourceError(f"Prompt file {path} does not exist.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        elif suffix in (".jsonl", ".ndjson"):
            frame = pd.read_json(path, lines=True, dtype=False)
        else:
            raise DataSourceError(f"{path}: unsupported file type {suffix!r}; use .csv or .jsonl.")
    except ValueError as exc:  # includes UnicodeDecodeError and pandas' parser errors
        raise DataSourceError(f"Cannot parse {path}: {exc}") from exc
    if "prompt" not in frame.columns:
        raise DataSourceError(f"{path}: needs a 'prompt' column; found {', '.join(map(str, frame.columns))}. "
                              f"{COLUMNS_HELP}.")
    if "platform" not in frame.columns:
        if default_platform is None:
            raise DataSourceError(f"{path}: no 'platform' column; pass --platform for the whole file.")
        frame["platform"] = default_platform
    elif default_platform is not None:
        frame.loc[frame["platform"].map(is_blank), "platform"] = default_platform
    return frame


def score_file(predictor: Predictor, source: Path, target: Path, default_platform: str | None = None,
               explain: bool = False, strict: bool = False) -> BatchResult:
    """Score every good row of source and write target (.csv: one risk column per mode; .jsonl: whole reports).

    Bad rows (empty or invalid prompt, unknown platform) are written with their line and reason to
    ``<target>.rejected.csv`` while the good rows are scored; ``strict=True`` scores nothing if any row
    is bad. Prompts are embedded in chunks of CHUNK; the output appears atomically when all rows are scored.
    """
    from tqdm.auto import tqdm

    frame = read_prompt_file(source, default_platform)
    as_jsonl = target.suffix.lower() in (".jsonl", ".ndjson")
    if not as_jsonl and target.suffix.lower() != ".csv":
        raise DataSourceError(f"{target}: output must end in .csv or .jsonl.")
    ignored = tuple(str(c) for c in frame.columns if c not in INPUT_COLUMNS)
    bad = _bad_rows(predictor, frame["prompt"].tolist(), frame["platform"].tolist())
    line = 2 if source.suffix.lower() == ".csv" else 1  # file line of the first data row
    if bad and (strict or len(bad) == len(frame)):
        listed = "\n  ".join(f"line {i + line}: {why}" for i, why in list(bad.items())[:10])
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        hint = "" if strict else " (every row is bad)"
        raise DataSourceError(f"{source}: {len(bad)} bad rows{more}{hint}, nothing scored:\n  {listed}")
    good = frame.drop(index=frame.index[list(bad)]).reset_index(drop=True)
    carried = [c for c in ("id", "user") if c in good.columns]
    prompts, platforms = good["prompt"].tolist(), good["platform"].tolist()
    records = []
    with tqdm(total=len(prompts), desc="scoring", unit="prompt") as bar:
        for start in range(0, len(prompts), CHUNK):
            chunk_p, chunk_pl = prompts[start : start + CHUNK], platforms[start : start + CHUNK]
            extra = [{c: good.at[start + i, c] for c in carried} for i in range(len(chunk_p))]
            if as_jsonl:
                for x, p, pl in zip(extra, chunk_p, chunk_pl):
                    report = predictor.predict(p, pl, explain=explain)
                    score_log.append(report, x.get("user"))  # opt-in (AVA_SCORE_LOG), as for one scored prompt
                    records.append({**x, **report.to_dict()})
            else:
                risks = predictor.predict_proba(chunk_p, chunk_pl)
                for i, row in enumerate(risks.itertuples(index=False)):
                    values = dict(zip(risks.columns, row))
                    top = max(values, key=values.get)
                    records.append({**extra[i], "prompt": chunk_p[i], "platform": predictor.rules.platform(chunk_pl[i]).id,
                                    "light": predictor.rules.thresholds.light(values[top]), "top_mode": top,
                                    **{m: round(float(v), 4) for m, v in values.items()}})
            bar.update(len(chunk_p))
    rejected_path = None
    if bad:
        rejected_path = target.with_name(f"{target.stem}.rejected.csv")
        rows = frame.loc[frame.index[list(bad)]].assign(line=[i + line for i in bad], reason=list(bad.values()))
        _write(rows[["line", "reason", *[c for c in frame.columns if c in INPUT_COLUMNS]]].to_dict("records"),
               rejected_path, as_jsonl=False)
    _write(records, target, as_jsonl)
    return BatchResult(len(records), len(bad), rejected_path, ignored)


def _bad_rows(predictor: Predictor, prompts: list, platforms: list) -> dict[int, str]:
    """Return {row index: reason} of every row that cannot be scored."""
    from ava_model.errors import AvaError
    from ava_model.core.validation import check_prompt

    bad = {}
    for i, (prompt, platform) in enumerate(zip(prompts, platforms)):
        try:
            check_prompt(prompt, predictor.rules.thresholds.max_prompt_chars)
            predictor.rules.platform(platform)
        except AvaError as exc:
            bad[i] = str(exc)
    return bad


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
