"""Time one full predict() (risks, drivers, rewrite, alternatives, escalation) warm, and batched predict_proba.

Run: ``python -m evaluation.benchmark_predict``. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import statistics
import time

from evaluation.rewrite_eval import read_prompts


def main() -> None:
    """Print median and p90 latency of predict() over the product prompt set, and batch throughput."""
    from ava_model.api import load

    predictor = load()
    rows = read_prompts()
    predictor.predict(rows[0]["prompt"], rows[0]["platform"])  # warm up: model, embedder, rules
    timings = []
    for row in rows:
        predictor.embedder._memory.clear()  # no cached vectors: measure the real embedding work
        start = time.perf_counter()
        predictor.predict(row["prompt"], row["platform"])
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    print(f"predict() with drivers, rewrite, alternatives: median {statistics.median(timings):.0f} ms, "
          f"p90 {timings[int(0.9 * len(timings))]:.0f} ms, max {timings[-1]:.0f} ms over {len(timings)} prompts")
    prompts = [f"{r['prompt']} (take {i})" for i in range(8) for r in rows]  # distinct texts: no cache hits
    predictor.embedder._memory.clear()
    start = time.perf_counter()
    predictor.predict_proba(prompts, "sora-2")
    elapsed = time.perf_counter() - start
    print(f"predict_proba: {len(prompts)} prompts in {elapsed:.2f} s = {len(prompts) / elapsed:.0f} prompts/s")


if __name__ == "__main__":
    main()
