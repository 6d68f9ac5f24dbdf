"""Calibration and ranking on held-out prompts: predicted vs observed."""

from __future__ import annotations

import numpy as np
import pytest

from ava_model.core.platform_factors import Evidence, fit_platform_factors
from ava_training.metrics import binary_metrics, calibration_bins, expected_calibration_error


def test_metric_helpers_on_known_numbers():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    m = binary_metrics(y, p)
    assert m.roc_auc == pytest.approx(0.75)
    assert m.brier == pytest.approx(np.mean((p - y) ** 2))
    perfect = np.repeat([0.2, 0.8], 50)
    labels = np.r_[np.r_[np.ones(10), np.zeros(40)], np.r_[np.ones(40), np.zeros(10)]]
    assert expected_calibration_error(labels, perfect) == pytest.approx(0.0)
    assert expected_calibration_error(labels, np.full(100, 0.9)) == pytest.approx(0.4)
    assert sum(calibration_bins(labels, perfect).counts) == 100


def test_small_model_is_calibrated_on_held_out_prompts(small_training):
    """Pooled over modes, predicted probability tracks the observed rate on prompts never trained on."""
    y = np.concatenate([small_training.heldout.labels[m] for m in small_training.model.modes])
    p = np.concatenate([small_training.heldout.predictions[m]["ava"] for m in small_training.model.modes])
    w = np.concatenate([small_training.heldout.weights[m] for m in small_training.model.modes])
    print(f"held-out rows {len(y)}, ECE {expected_calibration_error(y, p, w):.3f}")
    assert expected_calibration_error(y, p, w) < 0.08
    assert abs(np.average(p, weights=w) - np.average(y, weights=w)) < 0.05
    bins = calibration_bins(y, p, w, n_bins=5)
    for count, mean_p, rate in zip(bins.counts, bins.mean_predicted, bins.observed_rate):
        if count >= 40:  # well-populated bins only: small ones are noise
            assert abs(mean_p - rate) < 0.15


def test_small_model_ranks_better_than_base_rate(small_training):
    table = small_training.metrics.pivot(index="mode", columns="predictor", values="roc_auc")
    print(table.round(3).to_string())
    for mode in ("lip_sync", "text_rendering", "anatomy"):
        assert table.loc[mode, "ava"] > 0.8


def test_platform_factor_shrinks_towards_evidence(rules):
    no_evidence = fit_platform_factors(rules, [])
    prior = no_evidence["pika"]["physics"].rate
    strong = fit_platform_factors(rules, [Evidence("pika", "physics", 0.95, 1000, "test")])["pika"]["physics"]
    weak = fit_platform_factors(rules, [Evidence("pika", "physics", 0.95, 5, "test")])["pika"]["physics"]
    assert prior < weak.rate < strong.rate < 0.95
    assert strong.rate == pytest.approx(0.95, abs=0.01)
    assert no_evidence["pika"]["lip_sync"].rate == 0.0  # no native audio
    silent = fit_platform_factors(rules, [Evidence("pika", "lip_sync", 0.9, 1000, "test")])["pika"]["lip_sync"]
    assert silent.rate == 0.0
