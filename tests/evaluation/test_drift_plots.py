"""The drift notebook's building blocks: traffic, weekly tests, the embedding map and the figures, on real prompts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from ava_evaluation import drift_demo, drift_plots, drift_traffic
from ava_evaluation.drift import DriftConfig, cluster_members, drift_drivers, mmd_test
from ava_evaluation.drift_map import cluster_terms, embedding_map
from ava_evaluation.drift_timeline import (
    drift_by_window,
    performance_over_time,
    platform_mix,
    platform_test,
    window_starts,
)
from ava_model.errors import DriftInputError

SHIFT = (0.0, 0.0, 0.7)
FAST = DriftConfig(permutations=100, classifier_permutations=20, n_clusters=4)


@pytest.fixture(scope="module")
def authored():
    from ava_training.importers.authored import import_authored
    from ava_training.paths import authored_dir

    rows, _ = import_authored(authored_dir())
    return list(dict.fromkeys(rows["prompt"]))


@pytest.fixture(scope="module")
def weeks(authored, embedder):
    """Three simulated weeks of 80 prompts (the third 70% talking-head ads), embedded with the real embedder."""
    segment = drift_demo.talking_head_ads(150) + list(drift_demo.NON_ENGLISH_PROMPTS)
    # Unchanged weeks are drawn from the reference population, yet each week's permutation tests flag one by
    # chance about 1 time in 10 at alpha 0.05 (seen on seeds 3 and 4 once data/authored grew): the seed is
    # one whose unchanged weeks are not such a chance flag, so the assertions below test the shift.
    reference, traffic = drift_demo.simulate_traffic(authored, segment, shift=SHIFT, per_week=80, seed=5)
    return {"reference": reference, "traffic": traffic,
            "X_ref": embedder.encode(list(reference["prompt"])), "X_cur": embedder.encode(list(traffic["prompt"]))}


# ----------------------------------------------------------------------------- simulated traffic


def test_simulated_traffic_holds_out_the_unchanged_prompts_and_grows_the_segment(weeks, authored):
    reference, traffic = weeks["reference"], weeks["traffic"]
    assert len(reference) == round(0.7 * len(authored)) and len(traffic) == 3 * 80
    unchanged = traffic[traffic["segment"] == "unchanged"]
    assert set(unchanged["prompt"]) <= set(authored) and not set(unchanged["prompt"]) & set(reference["prompt"])
    week = window_starts(traffic["timestamp"])
    share = (traffic["segment"] == "new").groupby(week).mean()
    assert list(share.round(3)) == [0.0, 0.0, 0.7]
    assert list(week.unique()) == list(pd.to_datetime(["2026-10-05", "2026-10-12", "2026-10-19"]))
    new = traffic[traffic["segment"] == "new"]
    assert new["platform"].isin(drift_demo.SEGMENT_PLATFORMS).all() and new["prompt"].is_unique
    assert traffic["timestamp"].is_monotonic_increasing and str(traffic["timestamp"].dt.tz) == "UTC"


def test_talking_head_ads_are_distinct_and_bounded():
    ads = drift_demo.talking_head_ads(300, seed=1)
    assert len(set(ads)) == 300 and all("looks into the lens and says" in a for a in ads)
    with pytest.raises(DriftInputError, match="n must be between 1 and 3200"):
        drift_demo.talking_head_ads(5000)
    with pytest.raises(DriftInputError, match="shift holds one share"):
        drift_demo.simulate_traffic([f"prompt {i}" for i in range(20)], ["x"], shift=(0.0, 1.5))


def test_simulated_outcomes_follow_the_risk_except_lip_sync_on_the_new_segment():
    n = 4000
    rng = np.random.default_rng(1)  # not simulate_outcomes' seed: its draws would repeat the risks
    traffic = pd.DataFrame({"timestamp": pd.date_range("2026-01-05", periods=n, freq="h", tz="UTC"),
                            "segment": np.where(np.arange(n) < n // 2, "unchanged", "new")})
    risks = pd.DataFrame({"lip_sync": rng.uniform(0, 1, n), "physics": rng.uniform(0, 1, n)})
    out = drift_demo.simulate_outcomes(traffic, risks, modes=("lip_sync", "physics"), label_share=0.5, base_rate=0.0)
    assert 0.45 < len(out) / (2 * n) < 0.55
    new = out["timestamp"] >= traffic["timestamp"].iloc[n // 2]
    lip = out["mode"] == "lip_sync"
    corr = lambda rows: np.corrcoef(out.loc[rows, "risk"], out.loc[rows, "label"])[0, 1]  # noqa: E731
    assert corr(lip & ~new) > 0.4 and corr(~lip & new) > 0.4 and abs(corr(lip & new)) < 0.1
    with pytest.raises(DriftInputError, match="unknown modes \\['anatomy'\\]"):
        drift_demo.simulate_outcomes(traffic, risks, modes=("anatomy",))


# ----------------------------------------------------------------------------- reading traffic


def test_read_traffic_reads_a_score_log_a_csv_and_a_parquet_alike(tmp_path):
    rows = [{"timestamp": f"2026-03-0{d}T10:00:00.000+00:00", "prompt": f"a cat jumps, take {d}", "platform": "kling",
             "risks": {"physics": 0.1 * d, "anatomy": 0.05}} for d in range(1, 5)]
    log = tmp_path / "scores.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    frame = pd.DataFrame(rows).drop(columns="risks")
    frame.to_csv(tmp_path / "prompts.csv", index=False)
    frame.to_parquet(tmp_path / "prompts.parquet")
    read = {path.suffix: drift_traffic.read_traffic(path) for path in
            (log, tmp_path / "prompts.csv", tmp_path / "prompts.parquet")}
    for frame in read.values():
        assert list(frame["prompt"]) == [r["prompt"] for r in rows] and set(frame["platform"]) == {"kling"}
        assert frame["timestamp"].iloc[0] == pd.Timestamp("2026-03-01 10:00", tz="UTC")
    assert read[".jsonl"]["risks"].iloc[2] == {"physics": pytest.approx(0.3), "anatomy": 0.05}
    with pytest.raises(DriftInputError, match="valid suffixes: .jsonl"):
        drift_traffic.read_traffic(tmp_path / "prompts.xlsx")
    with pytest.raises(DriftInputError, match="no Parquet file"):
        drift_traffic.read_traffic(tmp_path / "missing.parquet")
    with pytest.raises(DriftInputError, match=r"rows \[2\] are not"):
        drift_traffic.read_traffic(frame.assign(timestamp=["2026-03-01", "last tuesday", "2026-03-03", "2026-03-04"]))


def test_score_traffic_uses_logged_risks_and_lights_their_maximum(shipped_predictor):
    t = shipped_predictor.rules.thresholds
    frame = pd.DataFrame({"prompt": ["a", "b", "c"], "platform": "sora-2",
                          "risks": [{"physics": 0.0, "lip_sync": t.red}, {"physics": t.yellow, "lip_sync": 0.0},
                                    {"physics": 0.0, "lip_sync": 0.0}]})
    risks, lights = drift_traffic.score_traffic(frame, shipped_predictor)
    assert list(risks.columns) == ["physics", "lip_sync"] and lights == ["red", "yellow", "green"]
    scored, _ = drift_traffic.score_traffic(frame.drop(columns="risks"), shipped_predictor)
    assert set(scored.columns) == set(shipped_predictor.rules.mode_ids) and scored.shape == (3, 11)
    with pytest.raises(DriftInputError, match="same modes on every row"):
        drift_traffic.score_traffic(frame.assign(risks=[{"physics": 0.1}, {"lip_sync": 0.2}, {"physics": 2.0}]),
                                    shipped_predictor)


def test_outcome_rows_join_labels_to_the_latest_scoring_of_their_prompt():
    traffic = pd.DataFrame({"timestamp": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-06"], utc=True),
                            "prompt": ["a cat", "a cat", "a dog"], "platform": ["kling", "kling", "pika"]})
    risks = pd.DataFrame({"physics": [0.2, 0.6, 0.9], "anatomy": [0.1, 0.3, 0.4]})
    labels = pd.DataFrame({"prompt": ["a cat", "a cat", "a dog", "a dog", "a cat", "a bird"],
                           "platform": ["kling", "kling", "pika", "any", "kling", "kling"],
                           "mode": ["physics", "anatomy", "physics", "physics", "lip_sync", "physics"],
                           "label": [1.0, 0.0, 1.0, 1.0, 0.5, 1.0]})
    out = drift_traffic.outcome_rows(traffic, risks, labels)
    assert out.to_dict("list") == {
        "timestamp": [pd.Timestamp("2026-01-12", tz="UTC"), pd.Timestamp("2026-01-12", tz="UTC"),
                      pd.Timestamp("2026-01-06", tz="UTC")],
        "mode": ["physics", "anatomy", "physics"], "label": [1, 0, 1], "risk": [0.6, 0.3, 0.9]}
    assert drift_traffic.outcome_rows(traffic, risks, labels.iloc[:0]).empty


# ----------------------------------------------------------------------------- drift over time


def test_drift_by_window_flags_only_the_shifted_week_with_its_thresholds(weeks):
    lights = ["green"] * 160 + ["red"] * 80
    timeline = drift_by_window(weeks["X_ref"], weeks["X_cur"], weeks["traffic"]["timestamp"], lights, config=FAST)
    assert list(timeline["n"]) == [80, 80, 80] and list(timeline["drifted"]) == [False, False, True]
    assert (timeline["mmd"] > timeline["mmd_threshold"]).tolist() == [False, False, True]
    assert timeline["auc"].iloc[2] > 0.8 > timeline["auc_threshold"].iloc[2] > 0.5 > timeline["auc_p"].iloc[2]
    assert list(timeline["red"]) == [0.0, 0.0, 1.0] and list(timeline["green"]) == [1.0, 1.0, 0.0]
    null_q95 = mmd_test(weeks["X_ref"], np.unique(weeks["X_cur"][:80], axis=0), FAST).details["null_q95"]
    assert timeline["mmd_threshold"].iloc[0] == pytest.approx(null_q95)


def test_drift_by_window_tests_each_prompt_once_and_skips_small_windows(weeks):
    X = np.vstack([weeks["X_ref"][:10]] * 4)  # 10 distinct reference prompts, each four times
    stamps = pd.Series(pd.Timestamp("2026-02-02", tz="UTC"), index=range(40))
    timeline = drift_by_window(weeks["X_ref"], X, stamps, ["green"] * 40, config=FAST)
    assert timeline[["n", "distinct"]].iloc[0].tolist() == [40, 10] and np.isnan(timeline["mmd"].iloc[0])
    repeated = drift_by_window(weeks["X_ref"], np.vstack([weeks["X_ref"][:30]] * 2), stamps.reindex(range(60)).ffill(),
                               ["green"] * 60, config=FAST)
    assert repeated["distinct"].iloc[0] == 30 and not repeated["drifted"].iloc[0]
    with pytest.raises(DriftInputError, match="one per current prompt"):
        drift_by_window(weeks["X_ref"], X, stamps, ["green"] * 3)
    with pytest.raises(DriftInputError, match="pandas period alias"):
        window_starts(stamps, "fortnight")


def test_platform_mix_and_test_see_a_new_platform_grow(weeks):
    reference, traffic = weeks["reference"], weeks["traffic"]
    mix = platform_mix(reference["platform"], traffic["platform"], traffic["timestamp"], top=4)
    assert list(mix.index) == ["reference", "current", "2026-10-05", "2026-10-12", "2026-10-19"]
    assert np.allclose(mix.drop(columns="n").sum(axis=1), 1) and list(mix["n"]) == [len(reference), 240, 80, 80, 80]
    assert "other" in mix.columns and mix.loc["2026-10-19", "veo-3"] > 0.35 > mix.loc["reference", "veo-3"]
    assert list(platform_mix(None, traffic["platform"]).index) == ["current"]
    shifted = platform_test(reference["platform"], traffic["platform"][160:])
    same = platform_test(reference["platform"], reference["platform"])
    assert shifted.drifted and shifted.p_value < 1e-6 and not same.drifted and same.p_value == pytest.approx(1.0)
    assert platform_test(["kling"], ["kling", "kling"]).p_value == 1.0


def test_performance_over_time_flags_the_window_whose_labels_flipped():
    rng = np.random.default_rng(5)
    risk = rng.uniform(0, 1, 6 * 300)
    label = (rng.uniform(0, 1, risk.size) < risk).astype(int)
    label[5 * 300:] = 1 - label[5 * 300:]  # the model is wrong in the sixth week
    outcomes = pd.DataFrame({"timestamp": pd.Timestamp("2026-01-05", tz="UTC")
                             + pd.to_timedelta(np.arange(risk.size) * 2016, unit="s"),
                             "mode": "physics", "label": label, "risk": risk})
    flagged = performance_over_time(outcomes, reference_windows=2, config=DriftConfig(bootstrap=100))
    assert list(flagged["window"]) == list(pd.date_range("2026-01-05", periods=6, freq="7D"))
    assert list(flagged["reference"]) == [True, True, False, False, False, False]
    assert flagged["flagged"].iloc[5] and flagged["auc"].iloc[5] < flagged["ref_auc_lo"].iloc[5] - 0.3
    assert flagged["flagged"].iloc[2:5].sum() <= 1  # an unchanged window leaves its range ~5% of the time
    with pytest.raises(DriftInputError, match="span 6 windows"):
        performance_over_time(outcomes, reference_windows=6)


# ----------------------------------------------------------------------------- the embedding map


def test_embedding_map_places_the_drift_drivers_and_names_the_new_cluster(weeks):
    current = weeks["traffic"][160:]
    X_cur = weeks["X_cur"][160:]
    prompts = (list(weeks["reference"]["prompt"]), list(current["prompt"]))
    emap = embedding_map(weeks["X_ref"], X_cur, FAST, prompts=prompts)
    clusters = drift_drivers(prompts[0], weeks["X_ref"], prompts[1], X_cur, FAST)
    assert emap.points["window"].value_counts().to_dict() == {"reference": 500, "current": 80}
    assert sorted(emap.centres["cluster"]) == sorted(c.cluster for c in clusters)
    top = emap.centres.set_index("cluster").loc[clusters[0].cluster]
    assert top["n_current"] == clusters[0].n_current and {"lens", "looks", "says"} & set(top["terms"])
    fit = cluster_members(weeks["X_ref"], X_cur, FAST)
    assert (emap.points.loc[emap.points["window"] == "current", "cluster"].to_numpy() == fit["current"]).all()
    assert 0 < emap.explained[1] <= emap.explained[0] < 1


def test_cluster_terms_pick_the_words_a_cluster_over_uses():
    prompts = ["a red fox runs", "a red fox sleeps", "the camera pans over a city", "camera tilts over the city"]
    assert cluster_terms(prompts, [0, 0, 1, 1], top=2) == {0: ["fox", "red"], 1: ["camera", "city"]}
    with pytest.raises(DriftInputError, match="2 prompts for 3 cluster labels"):
        cluster_terms(prompts[:2], [0, 1, 1])


# ----------------------------------------------------------------------------- figures


def _risks(n, rng, tail):
    return pd.DataFrame({"lip_sync": np.r_[rng.uniform(0, 0.05, n - tail), rng.uniform(0.8, 1, tail)],
                         "physics": rng.uniform(0, 0.3, n)})


def test_risk_histograms_mark_each_mode_by_why_it_drifted():
    from ava_evaluation.drift import output_drift

    rng = np.random.default_rng(0)
    ref, cur = _risks(400, rng, 4), _risks(400, rng, 120)
    output = output_drift(ref, cur)
    fig = drift_plots.risk_histograms_figure(ref, cur, output, thresholds=(0.25, 0.5))
    axes = fig.axes
    assert isinstance(fig, Figure) and len(axes) == 2
    assert axes[0].get_title().startswith("lip_sync  drift: PSI + KS")
    assert to_hex(axes[0].title.get_color()) == "#c62828"
    assert axes[1].get_title().startswith("physics\nPSI") and axes[1].get_yscale() == "log"
    assert len(axes[0].lines) == 2  # the two light thresholds
    with pytest.raises(DriftInputError, match="missing \\['physics'\\]"):
        drift_plots.risk_histograms_figure(ref[["lip_sync"]], cur, output)


def test_timeline_figure_circles_the_windows_above_threshold():
    timeline = pd.DataFrame({"window": pd.date_range("2026-01-05", periods=3, freq="7D"), "n": [50, 60, 70],
                             "mmd": [0.0, 0.001, 0.02], "mmd_threshold": [0.002] * 3, "mmd_p": [0.6, 0.3, 0.005],
                             "auc": [0.5, 0.7, np.nan], "auc_threshold": [0.6] * 3, "auc_p": [0.5, 0.01, np.nan],
                             "green": [0.5, 0.5, 0.2], "yellow": [0.3, 0.3, 0.3], "red": [0.2, 0.2, 0.5]})
    fig = drift_plots.drift_timeline_figure(timeline, {"green": 0.5, "yellow": 0.3, "red": 0.2})
    mmd_ax, auc_ax, lights_ax = fig.axes
    assert len(mmd_ax.collections[0].get_offsets()) == 1 and len(auc_ax.collections[0].get_offsets()) == 1
    assert [t.get_text() for t in lights_ax.get_xticklabels()] == ["Jan 05\nn=50", "Jan 12\nn=60", "Jan 19\nn=70"]
    assert sorted(t.get_text() for t in mmd_ax.texts) == ["p=0.005", "p=0.3", "p=0.6"]
    with pytest.raises(DriftInputError, match="at least one window"):
        drift_plots.drift_timeline_figure(timeline.iloc[:0])


def test_embedding_map_figure_labels_every_cluster_and_lists_examples(weeks):
    X_cur, current = weeks["X_cur"][160:], list(weeks["traffic"]["prompt"][160:])
    prompts = (list(weeks["reference"]["prompt"]), current)
    emap = embedding_map(weeks["X_ref"], X_cur, FAST, prompts=prompts)
    clusters = drift_drivers(prompts[0], weeks["X_ref"], current, X_cur, FAST)
    fig = drift_plots.embedding_map_figure(emap, clusters)
    map_ax, text_ax = fig.axes
    labels = [t.get_text() for t in map_ax.texts]
    assert len(labels) == 4 and any(label.startswith(f"C{clusters[0].cluster} +") for label in labels)
    listed = "\n".join(t.get_text() for t in text_ax.texts)
    assert all(c.examples[0][:30] in listed for c in clusters)
    with pytest.raises(DriftInputError, match="same DriftConfig"):
        drift_plots.embedding_map_figure(emap, clusters[:2])


def test_platform_mix_figure_stacks_each_row_to_one():
    mix = pd.DataFrame({"kling": [0.5, 0.2], "veo-3": [0.3, 0.7], "other": [0.2, 0.1], "n": [100, 40]},
                       index=["reference", "current"])
    ax = drift_plots.platform_mix_figure(mix).axes[0]
    widths = np.array([p.get_width() for p in ax.patches]).reshape(3, 2)
    assert np.allclose(widths.sum(0), 1) and [t.get_text() for t in ax.get_yticklabels()] == [
        "reference (n=100)", "current (n=40)"]


def test_performance_figure_marks_flagged_windows_and_puts_them_first():
    windows = list(pd.date_range("2026-01-05", periods=3, freq="7D"))
    rows = []
    for mode, bad in (("physics", False), ("lip_sync", True)):
        for i, w in enumerate(windows):
            flagged = bad and i == 2
            rows.append({"window": w, "mode": mode, "n": 100 if mode == "physics" else 50, "positives": 10,
                         "auc": 0.6 if flagged else 0.85, "auc_lo": 0.5, "auc_hi": 0.95, "brier": 0.1,
                         "brier_lo": 0.05, "brier_hi": 0.15, "ref_auc_lo": 0.75, "ref_auc_hi": 0.95,
                         "ref_brier_lo": 0.05, "ref_brier_hi": 0.15, "auc_outside": flagged, "brier_outside": False,
                         "flagged": flagged, "reference": i == 0})
    fig = drift_plots.performance_figure(pd.DataFrame(rows))
    titles = [ax.get_title() for ax in fig.axes[:2]]
    assert titles == ["lip_sync", "physics"]
    red = [c for c in fig.axes[0].collections if c.get_label() == "flagged"][0]
    assert red.get_offsets().tolist() == [[2.0, 0.6]]
    with pytest.raises(DriftInputError, match="no outcome labels for modes \\['anatomy'\\]"):
        drift_plots.performance_figure(pd.DataFrame(rows), ["anatomy"])
