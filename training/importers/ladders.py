"""Exposure ladders in data/ladders/<mode>.csv -> ladder table and label rows.

A ladder is one scene written at rising exposures (steps 0, 1, 2, ...) plus a negated version
(step ``n``). Ladders are split by scene: ``train`` ladders become label rows, ``eval`` ladders
are kept for the ordering evaluation (:mod:`ava_evaluation.ladders`) and never trained on.
``fresh`` ladders are held out too, and were written by a second author from the unit
definitions alone, after the exposure rules: the rules' author never read them, so they measure
how the rules carry over to wording nobody tuned them on.
A step's label comes from its mode's degree curve: exposure at or above the curve's
``exercised_from`` exercises the mode; negated rows never do.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ava_model.errors import DataSourceError
from ava_model.labels.schema import validate_labels
from ava_model.rules.taxonomy import ANY_PLATFORM, Rules, load_rules
from ava_training.importers.common import csv_records

SOURCE = "ladders"
LABELLED_AT = "2026-12-01"
COLUMNS = ("ladder", "split", "step", "exposure", "negated", "prompt")
SPLITS = ("train", "eval", "fresh")


def _read_file(path: Path, mode: str) -> list[dict[str, object]]:
    rows = []
    for line, rec in csv_records(path, COLUMNS, SOURCE):
        where = f"{SOURCE}: {path.name} line {line}"
        split, step, negated = (rec["split"] or "").strip(), (rec["step"] or "").strip(), (rec["negated"] or "").strip()
        if split not in SPLITS:
            raise DataSourceError(f"{where}: split must be one of {', '.join(SPLITS)}, got {split!r}.")
        if negated not in ("0", "1") or (negated == "1") != (step == "n"):
            raise DataSourceError(f"{where}: negated must be 1 exactly on step 'n' rows, got step {step!r}, negated {negated!r}.")
        if step != "n" and not step.isdigit():
            raise DataSourceError(f"{where}: step must be 0, 1, 2, ... or 'n', got {step!r}.")
        try:
            exposure = float(rec["exposure"])
        except (TypeError, ValueError):
            raise DataSourceError(f"{where}: exposure must be a number, got {rec['exposure']!r}.") from None
        prompt = (rec["prompt"] or "").strip()
        if not prompt:
            raise DataSourceError(f"{where}: empty prompt.")
        rows.append({"mode": mode, "ladder": rec["ladder"].strip(), "split": split, "step": -1 if step == "n" else int(step),
                     "exposure": exposure, "negated": negated == "1", "prompt": prompt})
    return rows


def read_ladders(folder: Path, rules: Rules | None = None) -> pd.DataFrame:
    """Return every ladder step of every <mode>.csv in folder (columns: mode, ladder, split, step, exposure, negated, prompt).

    Raises DataSourceError naming the file and line of a malformed row, or a ladder whose
    exposures do not rise step by step.
    """
    rules = rules or load_rules()
    files = sorted(Path(folder).glob("*.csv"))
    if not files:
        raise DataSourceError(f"{SOURCE}: no <mode>.csv files in {folder}.")
    rows = []
    for path in files:
        if path.stem not in rules.mode_ids:
            raise DataSourceError(f"{SOURCE}: file {path.name} names no mode; valid stems: {', '.join(rules.mode_ids)}.")
        rows += _read_file(path, path.stem)
    table = pd.DataFrame(rows, columns=["mode", *COLUMNS])
    for (mode, ladder), steps in table.groupby(["mode", "ladder"]):
        rising = steps[steps["step"] >= 0].sort_values("step")["exposure"].to_numpy()
        if len(rising) < 3 or (rising[1:] <= rising[:-1]).any() or steps["split"].nunique() != 1:
            raise DataSourceError(
                f"{SOURCE}: ladder {ladder} ({mode}) needs 3 or more steps with rising exposure and one split; "
                f"got exposures {[float(e) for e in rising]} and splits {sorted(steps['split'].unique())}."
            )
    return table


def import_ladders(folder: Path, exercised_from: dict[str, float], rules: Rules | None = None,
                   split: str = "train") -> pd.DataFrame:
    """Return label rows of the ladders of one split, each labelled for its own mode from the degree curve."""
    rules = rules or load_rules()
    table = read_ladders(folder, rules)
    table = table[table["split"] == split]
    labels = [0.0 if neg else float(e >= exercised_from[m]) for m, e, neg in
              zip(table["mode"], table["exposure"], table["negated"])]
    frame = pd.DataFrame({
        "prompt": table["prompt"].to_numpy(), "platform": ANY_PLATFORM, "mode": table["mode"].to_numpy(),
        "label": labels, "source": SOURCE, "weight": 1.0, "labelled_at": LABELLED_AT,
        "note": [f"{lad} step {'n' if s < 0 else s} (exposure {e:g})" for lad, s, e in
                 zip(table["ladder"], table["step"], table["exposure"])],
    })
    return validate_labels(frame, rules, origin=f"{SOURCE} ({folder})")
