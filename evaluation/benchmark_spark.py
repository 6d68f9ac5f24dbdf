"""Measure Spark batch scoring next to plain predict_proba in the same run: rows/s and start-up cost.

Run: ``python -m ava_evaluation.benchmark_spark [--rows 5000] [--master local[2]]`` (needs the ``spark``
extra and Java). Every prompt is a distinct text, so no embedding cache flatters either side. Prints
numbers (the tables of docs/scaling.md); asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from ava_evaluation.prompt_sets import distinct_prompts


def main(argv: list[str] | None = None) -> int:
    """Print rows/s of Spark scoring and of predict_proba on the same rows, and Spark's start-up cost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args(argv)

    from ava_model.api import load
    from ava_model.spark import SparkScoreConfig, score_table, session

    predictor = load()
    table = distinct_prompts(args.rows, predictor.rules.platform_ids)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "prompts.parquet"
        table.to_parquet(source)
        started = time.perf_counter()
        spark = session(args.master, "ava-benchmark")
        session_s = time.perf_counter() - started
        warm = table.head(8).assign(prompt=lambda f: f["prompt"] + " (warm-up)")
        warm.to_parquet(Path(tmp) / "warm.parquet")
        first = score_table(Path(tmp) / "warm.parquet", Path(tmp) / "warm-out",
                            SparkScoreConfig(master=args.master, partitions=2))
        run = score_table(source, Path(tmp) / "risks.parquet",
                          SparkScoreConfig(master=args.master, partitions=args.partitions))
        spark.stop()
    predictor.predict_proba(["warm-up prompt"], "sora-2")
    started = time.perf_counter()
    predictor.predict_proba(table["prompt"].tolist(), table["platform"].tolist())
    direct_s = time.perf_counter() - started
    print(f"rows: {args.rows} distinct prompts; master {args.master}, {args.partitions} partitions")
    print(f"start-up: Spark session {session_s:.1f} s; first job (8 rows: model load in each worker) {first.seconds:.1f} s")
    print(f"Spark {args.master}: {run.seconds:.1f} s = {run.rows_per_second:.0f} rows/s")
    print(f"predict_proba, one process: {direct_s:.1f} s = {args.rows / direct_s:.0f} rows/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
