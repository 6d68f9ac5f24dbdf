"""Held-out evaluation: every mode x predictor, sound bootstrap CIs, train-only baselines, the HTML page, LOSO."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from ava_evaluation.evaluate import (
    PREDICTORS,
    EvalConfig,
    bootstrap_auc_brier,
    evaluate_split,
    leave_one_source_out,
)


@pytest.fixture(scope="module")
def report(small_training):
    return evaluate_split(small_training, EvalConfig(n_bootstrap=100, seed=0))


def test_table_has_every_mode_and_predictor(report, small_training):
    table = report.table
    assert len(PREDICTORS) == 5
    assert set(zip(table["mode"], table["predictor"])) == {
        (m, p) for m in small_training.matrix.modes for p in PREDICTORS
    }
    assert len(table) == 5 * len(small_training.matrix.modes)
    assert list(report.summary().index) == list(PREDICTORS)
    json.dumps(report.to_dict())


def test_ava_rows_match_the_training_run(report, small_training):
    ava = report.table[report.table["predictor"] == "ava"].set_index("mode")
    trained = small_training.metrics[small_training.metrics["predictor"] == "ava"].set_index("mode")
    np.testing.assert_allclose(ava["brier"], trained.loc[ava.index, "brier"], rtol=1e-9)
    np.testing.assert_allclose(ava["roc_auc"], trained.loc[ava.index, "roc_auc"], rtol=1e-9)


def test_confidence_intervals_are_ordered_and_contain_the_estimate(report):
    rows = report.table.dropna(subset=["roc_auc", "auc_lo"])
    assert len(rows) > 0
    assert (rows["auc_lo"] <= rows["auc_hi"]).all() and (report.table["brier_lo"] <= report.table["brier_hi"]).all()
    assert ((rows["auc_lo"] <= rows["roc_auc"] + 1e-9) & (rows["roc_auc"] <= rows["auc_hi"] + 1e-9)).all()
    t = report.table
    assert ((t["brier_lo"] <= t["brier"] + 1e-9) & (t["brier"] <= t["brier_hi"] + 1e-9)).all()
    assert rows["auc_lo"].between(0, 1).all() and rows["auc_hi"].between(0, 1).all()


def test_bootstrap_auc_matches_sklearn_and_perfect_predictor_is_one():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 60)
    p = np.round(rng.random(60), 1)  # ties on purpose
    w = rng.random(60) + 0.5
    auc, _ = bootstrap_auc_brier(y, p, w, 1, seed=7)
    counts = np.random.default_rng(7).multinomial(60, np.full(60, 1 / 60), size=1)[0]
    assert auc[0] == pytest.approx(roc_auc_score(y, p, sample_weight=counts * w), abs=1e-12)

    y = np.array([0, 0, 0, 1, 1, 1, 0, 1])
    auc, brier = bootstrap_auc_brier(y, y * 0.8 + 0.1, np.ones(8), 200, seed=0)
    valid = auc[np.isfinite(auc)]
    assert len(valid) > 150  # resamples with one class are NaN and skipped
    assert np.percentile(valid, [2.5, 97.5]).tolist() == [1.0, 1.0]
    assert np.allclose(brier, 0.01)


def test_keyword_baseline_is_calibrated_on_training_only(report, small_training):
    from ava_evaluation.baselines import keyword_predictions

    for mode in small_training.matrix.modes:
        assert len(np.unique(report.predictions[mode]["keyword"])) <= 2
    # Test labels never move the rates: the rule is fit on the given training rows only.
    p = keyword_predictions("camera_motion", ["camera pans left", "a cat", "zoom in", "a dog"],
                            np.array([1, 0, 1, 1]), np.ones(4), ["the camera zooms", "a bird", "a fish"])
    assert p.tolist() == [1.0, 0.5, 0.5]


def test_render_evaluation_html(report, tmp_path):
    import pandas as pd

    from ava_evaluation.report_html import render_evaluation_html

    loso = pd.DataFrame({"source": ["vbench"] * 2, "mode": ["physics"] * 2, "predictor": ["ava", "tfidf_lr"],
                         "n": [10, 10], "positives": [4.0, 4.0], "roc_auc": [0.7, 0.6], "brier": [0.2, 0.25]})
    path = render_evaluation_html(report, loso, tmp_path / "eval.html")
    text = path.read_text(encoding="utf-8")
    assert text.count('<img src="data:image/png;base64,') >= 3
    assert "baseline" in text and "prompts that exercise the mode" in text.lower()
    assert "Published and observed failure rates" in text
    assert "Leave one source out" in text
    # Counts print as integers: the metrics table's positives are whole weights here, never "15.000".
    positives = report.table["positives"]
    assert positives.map(float.is_integer).all()
    assert all(f"<td>{int(v)}</td>" in text for v in positives)
    assert not any(f"<td>{v:.3f}</td>" in text for v in positives if v >= 1)
    words = " ".join(text.split())
    assert "one quantile bin" in words and "ECE in the tables uses 10 equal-width bins" in words


def test_table_cells_print_counts_as_integers_and_scores_with_decimals():
    import pandas as pd

    from ava_evaluation.report_html import frame_table

    frame = pd.DataFrame({"mode": ["physics", "lip_sync"], "n": [40, 12], "positives": [15.0, 14.5],
                          "roc_auc": [1.0, 0.8125], "brier": [float("nan"), 0.2]})
    assert frame_table(frame)["rows"] == [["physics", "40", "15", "1.000", "–"],
                                          ["lip_sync", "12", "14.5", "0.812", "0.200"]]


@pytest.mark.shared
def test_leave_one_source_out_on_one_source(shared_dir, capsys):
    from ava_training.config import TrainConfig

    table = leave_one_source_out(TrainConfig(data_dir=shared_dir, track=False, register=False), sources=("vbench",))
    # One progress line for the stage, not a "training heads 1/1" bar per source and mode.
    err = capsys.readouterr().err
    assert "leave one source out" in err and "training heads" not in err
    assert len(table) > 0
    assert set(table["source"]) == {"vbench"}
    assert set(table["predictor"]) == {"ava", "tfidf_lr"}
    assert table.groupby("mode").size().eq(2).all()
    assert table["roc_auc"].between(0, 1).all() and table["brier"].between(0, 1).all()
