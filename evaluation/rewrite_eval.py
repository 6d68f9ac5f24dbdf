"""Does the returned rewrite lower the top-mode risk of red results? Prints the figure the product promises.

Run: ``python -m ava_evaluation.rewrite_eval [--model URI]``. Reads evaluation/data/product_prompts.csv
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
    n_lowered: int  # meaning kept (similarity at or above the playbook threshold) and the risk lowered
    median_drop: float  # over every red result; a trade-off or no rewrite counts as no drop
    min_similarity: float | None  # over the meaning-kept rewrites
    rows: tuple[dict[str, object], ...]
    n_trade_offs: int = 0  # no meaning-kept rewrite lowered the risk, one that drops content did

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
        helped = r is not None and r.helped
        trade_off = helped and r.trade_off
        drop = (r.risk_before - r.risk_after) if helped else 0.0
        results.append({"prompt": row["prompt"], "platform": report.platform, "mode": report.top_mode,
                        "before": report.top_risk, "drop": 0.0 if trade_off else drop, "trade_off": trade_off,
                        "trade_off_drop": drop if trade_off else 0.0, "similarity": r.similarity if r else None,
                        "rewrite": r.prompt if r else None, "changes": r.changes if r else ()})
    drops = [r["drop"] for r in results]
    sims = [r["similarity"] for r in results if r["similarity"] is not None and not r["trade_off"]]
    return RewriteFigures(len(rows), len(results), sum(d > 0 for d in drops), median(drops) if drops else 0.0,
                          min(sims) if sims else None, tuple(results), sum(r["trade_off"] for r in results))


def main(argv: list[str] | None = None) -> None:
    """Print per-prompt results and the summary figure."""
    from ava_model.api import load

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None)
    args = parser.parse_args(argv)
    predictor = load(args.model)
    figures = rewrite_figures(predictor, read_prompts())
    for r in figures.rows:
        after = r["before"] - (r["trade_off_drop"] if r["trade_off"] else r["drop"])
        kind = "trade-off" if r["trade_off"] else "         "
        print(f"{r['mode']:<18} {r['platform']:<13} {r['before']:.2f} -> {after:.2f} {kind} "
              f"sim {r['similarity'] if r['similarity'] is None else round(r['similarity'], 2)}  {r['prompt'][:60]}")
    print(f"\n{figures.n_red} red of {figures.n_prompts} prompts; rewrite lowered the top-mode risk in "
          f"{figures.n_lowered}/{figures.n_red} = {figures.share_lowered:.0%}, median drop {figures.median_drop:.3f}, "
          f"lowest similarity {figures.min_similarity}; trade-offs offered for {figures.n_trade_offs} more")


if __name__ == "__main__":
    main()
