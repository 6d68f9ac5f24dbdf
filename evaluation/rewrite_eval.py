"""Does the returned rewrite lower the top-mode risk of red results? Prints the figure the product promises.

Run: ``python -m evaluation.rewrite_eval [--model URI]``. Reads evaluation/data/product_prompts.csv
(37 realistic prompts written for this check, every mode represented).
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path
from statistics import median

PROMPTS = Path(__file__).parent / "data" / "product_prompts.csv"


@dataclass(frozen=True)
class RewriteFigures:
    """Rewrite results on the red prompts of the set."""

    n_prompts: int
    n_red: int
    n_lowered: int
    median_drop: float
    min_similarity: float | None
    rows: tuple[dict[str, object], ...]

    @property
    def share_lowered(self) -> float:
        """Return the share of red results whose rewrite lowered the top-mode risk."""
        return self.n_lowered / self.n_red if self.n_red else float("nan")


def read_prompts(path: Path = PROMPTS) -> list[dict[str, str]]:
    """Return the rows (prompt, platform, intended_mode) of the prompt set."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def rewrite_figures(predictor, rows: list[dict[str, str]]) -> RewriteFigures:
    """Return the rewrite figures of a predictor on the rows' red results."""
    results = []
    for row in rows:
        report = predictor.predict(row["prompt"], row["platform"])
        if report.light != "red":
            continue
        r = report.rewrite
        drop = (r.risk_before - r.risk_after) if r is not None and r.helped else 0.0
        results.append({"prompt": row["prompt"], "platform": report.platform, "mode": report.top_mode,
                        "before": report.top_risk, "drop": drop, "similarity": r.similarity if r else None,
                        "rewrite": r.prompt if r else None})
    drops = [r["drop"] for r in results]
    sims = [r["similarity"] for r in results if r["similarity"] is not None]
    return RewriteFigures(len(rows), len(results), sum(d > 0 for d in drops), median(drops) if drops else 0.0,
                          min(sims) if sims else None, tuple(results))


def main(argv: list[str] | None = None) -> None:
    """Print per-prompt results and the summary figure."""
    from ava_model.api import load

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None)
    args = parser.parse_args(argv)
    predictor = load(args.model)
    figures = rewrite_figures(predictor, read_prompts())
    for r in figures.rows:
        print(f"{r['mode']:<18} {r['platform']:<13} {r['before']:.2f} -> {r['before'] - r['drop']:.2f}  "
              f"sim {r['similarity'] if r['similarity'] is None else round(r['similarity'], 2)}  {r['prompt'][:60]}")
    print(f"\n{figures.n_red} red of {figures.n_prompts} prompts; rewrite lowered the top-mode risk in "
          f"{figures.n_lowered}/{figures.n_red} = {figures.share_lowered:.0%}, median drop {figures.median_drop:.3f}, "
          f"lowest similarity {figures.min_similarity}")


if __name__ == "__main__":
    main()
