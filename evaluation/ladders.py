"""Ladder ordering: does the risk of a mode rise step by step along each authored exposure ladder?

A ladder is one scene at rising exposures plus a negated version (data/ladders). A pair of
neighbouring rungs (negated < step 0 < step 1 < ...) is ordered when the later rung's risk of
the ladder's mode is strictly higher. Run ``python -m ava_evaluation.ladders`` for the held-out
(``eval``) ladders, which no model was trained on.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class LadderReport:
    """Per-step risks of every ladder and the ordering summary per mode."""

    steps: pd.DataFrame  # mode, ladder, step, exposure, negated, prompt, risk
    summary: pd.DataFrame  # mode, ladders, pairs, ordered_pairs, ordered_share, fully_ordered_share

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serialisable dict of the summary and the overall shares."""
        totals = self.summary[["pairs", "ordered_pairs", "ladders", "fully_ordered"]].sum()
        return {
            "overall_ordered_share": float(totals["ordered_pairs"] / max(totals["pairs"], 1)),
            "overall_fully_ordered_share": float(totals["fully_ordered"] / max(totals["ladders"], 1)),
            "per_mode": self.summary.to_dict(orient="records"),
        }


def score_ladders(predictor, table: pd.DataFrame, platform: str | None = None) -> LadderReport:
    """Return the LadderReport of a predictor on a ladder table (:func:`ava_training.importers.read_ladders`).

    ``platform``: default ``default_platform`` of data/rules/thresholds.yaml.
    """
    platform = platform or predictor.rules.thresholds.default_platform
    table = table.sort_values(["mode", "ladder", "step"]).reset_index(drop=True)
    risks = predictor.predict_proba(table["prompt"].tolist(), platform)
    table = table.assign(risk=[float(risks.at[i, m]) for i, m in enumerate(table["mode"])])
    records = []
    for mode, rows in table.groupby("mode"):
        pairs = ordered = ladders = full = 0
        for _, ladder in rows.groupby("ladder"):
            r = ladder.sort_values("step")["risk"].to_numpy()  # step n (-1) first
            ok = r[1:] > r[:-1]
            pairs, ordered, ladders, full = pairs + len(ok), ordered + int(ok.sum()), ladders + 1, full + int(ok.all())
        records.append({"mode": mode, "ladders": ladders, "pairs": pairs, "ordered_pairs": ordered,
                        "ordered_share": ordered / pairs, "fully_ordered": full, "fully_ordered_share": full / ladders})
    return LadderReport(table, pd.DataFrame(records))


def main(argv: list[str] | None = None) -> int:
    """Print the ordering table of the held-out ladders; with --json write it too."""
    from ava_model.api import load
    from ava_training.importers import read_ladders
    from ava_training.paths import ladders_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("eval", "fresh", "train"), default="eval",
                        help="eval: held-out ladders; fresh: held-out ladders by a second author; train")
    parser.add_argument("--platform", default=None, help="default: default_platform in data/rules/thresholds.yaml")
    parser.add_argument("--model", default=None, help="artifact folder or models:/ URI (default: the shipped model)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    table = read_ladders(ladders_dir())
    report = score_ladders(load(args.model), table[table["split"] == args.split], args.platform)
    print(report.summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    overall = report.to_dict()
    print(f"overall: ordered pairs {overall['overall_ordered_share']:.3f}, "
          f"fully ordered ladders {overall['overall_fully_ordered_share']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(overall, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
