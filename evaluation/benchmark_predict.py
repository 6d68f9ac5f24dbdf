"""Time one full predict() (risks, drivers, rewrite, alternatives, escalation) warm, and batched predict_proba.

Run: ``python -m ava_evaluation.benchmark_predict [--backend onnx torch]``. Prints numbers for
each embedder backend (ONNX Runtime, the default, and PyTorch); asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

from ava_evaluation.rewrite_eval import read_prompts


def main(argv: list[str] | None = None) -> None:
    """Print median and p90 latency of predict() over the product prompt set, and batch throughput."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", nargs="+", default=["onnx", "torch"], choices=["onnx", "torch"])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the prompt set")
    args = parser.parse_args(argv)
    for backend in args.backend:
        numbers = benchmark(backend, args.rounds)
        print(f"[{numbers['backend']}] predict() with drivers, rewrite, alternatives: median {numbers['median_ms']:.0f} ms, "
              f"p90 {numbers['p90_ms']:.0f} ms, max {numbers['max_ms']:.0f} ms over {numbers['calls']} calls "
              f"({numbers['prompts']} prompts x {args.rounds})")
        print(f"[{numbers['backend']}] predict_proba: {numbers['batch_prompts']} prompts in {numbers['batch_s']:.2f} s "
              f"= {numbers['batch_prompts'] / numbers['batch_s']:.0f} prompts/s")


def benchmark(backend: str, rounds: int) -> dict[str, float | int | str]:
    """Return the latency numbers of one embedder backend (milliseconds per predict(), seconds per batch)."""
    from dataclasses import replace

    from ava_model.api import load
    from ava_model.core.embedding import Embedder
    from ava_model.core.exposure import load_exposure_rules

    predictor = load()
    predictor = replace(predictor, embedder=Embedder(predictor.model.embedder, backend=backend))
    rows = read_prompts()
    predictor.predict(rows[0]["prompt"], rows[0]["platform"])  # warm up: model, embedder, rules
    timings = []
    for _ in range(rounds):
        for row in rows:
            predictor.embedder._memory.clear()  # no cached vectors: measure the real embedding work
            load_exposure_rules().memo.clear()  # nor remembered exposures
            start = time.perf_counter()
            predictor.predict(row["prompt"], row["platform"])
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    prompts = [f"{r['prompt']} (take {i})" for i in range(8) for r in rows]  # distinct texts: no cache hits
    predictor.embedder._memory.clear()
    start = time.perf_counter()
    predictor.predict_proba(prompts, "sora-2")
    elapsed = time.perf_counter() - start
    return {"backend": predictor.embedder.backend_used, "median_ms": statistics.median(timings),
            "p90_ms": timings[int(0.9 * len(timings))], "max_ms": timings[-1], "calls": len(timings),
            "prompts": len(rows), "batch_prompts": len(prompts), "batch_s": elapsed}


if __name__ == "__main__":
    main()
