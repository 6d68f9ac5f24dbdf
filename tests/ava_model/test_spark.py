"""Spark batch scoring for real: local[2], thousands of prompts, the same risks as predict_proba.

Marked ``spark``: ``pytest -m "not spark"`` skips it in a quick local run; ``make test`` (and so
``.ci/run``, which installs Java) runs it. Without pyspark or Java it skips and says what to install.
"""

from __future__ import annotations

import shutil
import time

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.spark
N_ROWS = 5000


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[spark]' (make test installs it)")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime for Spark: apt-get install default-jre-headless (.ci/run does)")
    from ava_model.spark import session

    active = session("local[2]", "ava-tests")
    yield active
    active.stop()


def test_spark_scores_5000_prompts_exactly_as_predict_proba(spark, shipped_predictor, tmp_path):
    from ava_evaluation.prompt_sets import distinct_prompts
    from ava_model.spark import SparkScoreConfig, score_table

    table = distinct_prompts(N_ROWS, shipped_predictor.rules.platform_ids)
    table.to_parquet(tmp_path / "prompts.parquet")
    result = score_table(tmp_path / "prompts.parquet", tmp_path / "risks.parquet", SparkScoreConfig(partitions=4))
    assert (result.rows, result.rejected) == (N_ROWS, 0)
    scored = pd.read_parquet(tmp_path / "risks.parquet").set_index("id").loc[table["id"]]

    started = time.perf_counter()
    expected = shipped_predictor.predict_proba(table["prompt"].tolist(), table["platform"].tolist())
    direct_s = time.perf_counter() - started
    modes = list(shipped_predictor.model.modes)
    np.testing.assert_allclose(scored[modes].to_numpy(), expected[modes].to_numpy(), atol=1e-6, rtol=0)
    assert (scored["top_mode"].to_numpy() == expected[modes].idxmax(axis=1).to_numpy()).all()
    lights = [shipped_predictor.rules.thresholds.light(r) for r in expected[modes].max(axis=1)]
    assert scored["light"].tolist() == lights
    assert scored["platform"].tolist() == table["platform"].tolist()
    print(f"\nSpark local[2]: {N_ROWS} rows in {result.seconds:.1f} s = {result.rows_per_second:.0f} rows/s "
          f"(session start {result.startup_seconds:.1f} s); predict_proba in one process: "
          f"{direct_s:.1f} s = {N_ROWS / direct_s:.0f} rows/s")


def test_bad_rows_are_kept_with_the_field_named_and_never_fail_the_job(spark, shipped_predictor, tmp_path):
    from ava_model.spark import SparkScoreConfig, score_table

    rows = pd.DataFrame({
        "id": ["ok", "blank-prompt", "bad-platform", "default-platform", "alias"],
        "prompt": ["Two people argue at a dinner table", "   ", "A cat on a sofa", "Seven red apples on a table",
                   "A man says 'Hi' to the camera"],
        "platform": ["sora-2", "veo-3", "no-such-model", "", "Kling 1.6"],
        "user": ["alice", "bob", None, "", "carol"],
    })
    rows.to_csv(tmp_path / "prompts.csv", index=False)
    result = score_table(tmp_path / "prompts.csv", tmp_path / "out", SparkScoreConfig(platform="pika"))
    out = pd.read_parquet(tmp_path / "out").set_index("id")
    assert (result.rows, result.rejected) == (5, 2)
    assert out.loc["blank-prompt", "error"].startswith("prompt: ")
    assert out.loc["bad-platform", "error"].startswith("platform: ") and "sora-2" in out.loc["bad-platform", "error"]
    assert np.isnan(out.loc["bad-platform", "lip_sync"]) and pd.isna(out.loc["bad-platform", "light"])
    assert out.loc["default-platform", "platform"] == "pika" and out.loc["alias", "platform"] == "kling"
    assert out.loc["ok", "user"] == "alice" and pd.isna(out.loc["default-platform", "user"])
    expected = shipped_predictor.predict_proba(["Seven red apples on a table"], "pika")
    assert out.loc["default-platform", "object_count"] == pytest.approx(expected.at[0, "object_count"], abs=1e-6)


def test_a_table_without_a_prompt_column_names_the_columns_it_reads(spark, tmp_path):
    from ava_model.errors import DataSourceError
    from ava_model.spark import score_table

    pd.DataFrame({"text": ["A cat"], "platform": ["pika"]}).to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(DataSourceError, match=r"needs a 'prompt' column; found text, platform.*prompt \(required\)"):
        score_table(tmp_path / "bad.parquet", tmp_path / "out")


def test_ava_score_spark_writes_parquet_and_reports_rejects(spark, tmp_path, capsys):
    from ava_model.cli import main

    pd.DataFrame({"prompt": ["A cat jumps onto a table", ""], "platform": ["", "pika"]}).to_csv(
        tmp_path / "in.csv", index=False)
    assert main(["score-spark", "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out"),
                 "--platform", "luma"]) == 0
    captured = capsys.readouterr()
    assert "Scored 1 of 2 rows" in captured.out and "1 row not scored" in captured.err
    out = pd.read_parquet(tmp_path / "out")
    assert sorted(out["platform"].dropna()) == ["luma", "pika"] and out["error"].notna().sum() == 1
