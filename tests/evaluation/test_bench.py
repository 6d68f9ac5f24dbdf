"""make bench's inputs: distinct prompt sets and training sets of the size asked for (timings are printed, not tested)."""

from __future__ import annotations

import pandas as pd

from ava_evaluation.bench import BenchResult, table, write_training_set
from ava_model.core.exposure import embedding_text
from ava_evaluation.prompt_sets import distinct_prompts


def test_prompt_sets_are_distinct_texts_at_any_size():
    rows = distinct_prompts(12_000, ("sora-2", "kling"))
    assert len(rows) == 12_000 and rows["prompt"].nunique() == 12_000
    assert set(rows["platform"]) == {"sora-2", "kling"} and rows["id"].is_unique


def test_training_set_has_the_rows_asked_for_in_the_authored_format(tmp_path):
    write_training_set(tmp_path, 2500)
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(tmp_path.glob("*.csv"))]
    assert sum(len(f) for f in frames) == 2500
    assert all(list(f.columns[:2]) == ["prompt", "label"] for f in frames)
    assert all(f["prompt"].is_unique for f in frames)  # variants are new texts, not repeats
    read = [embedding_text(p) for f in frames for p in f["prompt"]]
    assert len(set(read)) == len(read)  # also as the embedder reads them: a cold cache embeds every row


def test_the_table_shows_each_figure_next_to_raw_sentence_transformers():
    result = BenchResult({}, {}, {
        "cold_start": {"ava_s": 3.0, "raw_s": 2.0},
        "single_predict_proba": {"ava_p50_ms": 9.0, "ava_p99_ms": 20.0, "raw_p50_ms": 12.0, "raw_p99_ms": 30.0},
        "full_predict": {"p50_ms": 120.0, "p99_ms": 180.0},
        "batch_1000": {"ava_per_s": 150.0, "raw_per_s": 160.0, "ratio": 150 / 160},
        "train_2000_cold": {"seconds": 40.0, "peak_rss_mb": 900.0, "prompts": 2000},
        "artifact": {"joblib_mb": 5.25, "folder_mb": 5.5},
    })
    text = table(result)
    assert "| cold start to first answer | 3.00 s | 2.00 s | 1.50x |" in text
    assert "| batch of 1,000 prompts | 150 prompts/s | 160 prompts/s | 0.94x |" in text
    assert "training on 2,000 labelled rows, cold embedding cache | 40 s, peak 900 MB" in text


def test_the_page_adds_the_backend_comparison_and_its_grid(tmp_path):
    import json

    from ava_evaluation.backend_eval import EvalConfig
    from ava_evaluation.bench import write_doc

    config = EvalConfig(("fp32", "static256"), 500, (32, 64), (1, 2), 3, quality=False, retrain=(), grid=("fp32",))
    speed = {"fp32": {"throughput": {"t1_b32": {"per_s": 100.0}, "t2_b64": {"per_s": 210.0}}, "single_p50_ms": {"t2": 6.0},
                      "cosine_vs_fp32": {"min": 1.0, "mean": 1.0}},
             "static256": {"throughput": {"t2_b64": {"per_s": 12600.0}}, "single_p50_ms": {"t2": 0.2}}}
    payload = {"config": {k: (str(v) if k == "workdir" else v) for k, v in vars(config).items()}, "note": "quiet machine",
               "speed": speed, "quality": {}}
    backends = tmp_path / "backend_eval.json"
    backends.write_text(json.dumps(payload))
    result = BenchResult({"cpu": "x", "cores": 2, "memory_mb": 1, "python": "3.11", "torch": "t", "onnxruntime": "o",
                          "sentence-transformers": "s", "scikit-learn": "k"}, {"rounds": 3, "single_calls": 200}, {
        "cold_start": {"ava_s": 3.0, "raw_s": 2.0},
        "single_predict_proba": {"ava_p50_ms": 9.0, "ava_p99_ms": 20.0, "raw_p50_ms": 12.0, "raw_p99_ms": 30.0},
        "full_predict": {"p50_ms": 120.0, "p99_ms": 180.0}, "artifact": {"joblib_mb": 5.25, "folder_mb": 5.5}})
    text = write_doc(result, tmp_path / "performance.md", backends).read_text()
    assert "quiet machine" in text
    assert "| static256 | 12600 | 60.00x |" in text  # 60x the fp32 default at 2 threads, batch 64
    assert "| fp32 | 1 | 100 |  |" in text and "| fp32 | 2 |  | 210 |" in text
