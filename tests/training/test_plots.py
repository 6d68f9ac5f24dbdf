"""Reliability diagrams: quantile bins of about equal weight, and a count histogram under every curve."""

from __future__ import annotations

import numpy as np
import pytest

from ava_training.metrics import calibration_bins, expected_calibration_error
from ava_training.plots import MIN_BIN_WEIGHT, RELIABILITY_BINS, reliability_bins, reliability_figure


def _skewed(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = rng.beta(0.5, 4, n)  # most predictions near 0, as for a rare failure mode
    return (rng.random(n) < p).astype(float), p, rng.random(n) + 0.5


def test_quantile_bins_hold_about_equal_weight_where_uniform_bins_do_not():
    y, p, w = _skewed(2000)
    uniform = calibration_bins(y, p, w, 10)
    quantile = calibration_bins(y, p, w, 10, strategy="quantile")
    assert sum(quantile.counts) == pytest.approx(w.sum()) == pytest.approx(sum(uniform.counts))
    assert len(quantile.counts) == 10 and list(quantile.edges) == sorted(quantile.edges)
    assert quantile.edges[0] == 0.0 and quantile.edges[-1] == 1.0
    share = np.array(quantile.counts) / w.sum()
    assert share.min() > 0.08 and share.max() < 0.12
    assert min(uniform.counts) < 0.01 * w.sum()  # the tiny equal-width bins the diagrams used to zig-zag over


def test_tied_predictions_stay_in_one_bin():
    p = np.array([0.1] * 50 + [0.2] * 30 + [0.9] * 20)
    bins = calibration_bins(np.zeros(100), p, None, 10, strategy="quantile")
    assert [c for c in bins.counts if c] == [50, 30, 20]
    assert bins.mean_predicted == pytest.approx((0.1, 0.2, 0.9))


def test_unknown_strategy_names_the_choices():
    from ava_model.errors import ConfigError

    with pytest.raises(ConfigError, match="'kmeans'; choose 'uniform' or 'quantile'"):
        calibration_bins(np.zeros(3), np.zeros(3), strategy="kmeans")


def test_ece_keeps_its_equal_width_bins():
    y, p, w = _skewed(500, seed=1)
    bins = calibration_bins(y, p, w, 10)
    assert bins.edges == pytest.approx(tuple(np.linspace(0, 1, 11)))
    counts = np.array(bins.counts)
    gaps = np.abs(np.nan_to_num(bins.observed_rate) - np.nan_to_num(bins.mean_predicted))
    assert expected_calibration_error(y, p, w) == pytest.approx((counts * gaps).sum() / counts.sum())


def test_reliability_bins_shrink_for_small_modes():
    y, p, _ = _skewed(1000)
    assert len(reliability_bins(y, p).counts) == RELIABILITY_BINS
    small = reliability_bins(y[:70], p[:70])
    assert len(small.counts) == int(70 // MIN_BIN_WEIGHT)
    assert min(small.counts) >= MIN_BIN_WEIGHT - 2  # no point stands on a handful of prompts


def test_every_curve_has_a_count_histogram_under_it():
    import matplotlib.pyplot as plt

    curves = {mode: _skewed(300, seed=k) for k, mode in enumerate(("lip_sync", "object_count", "physics",
                                                                     "text_rendering", "camera_motion"))}
    fig = reliability_figure(curves)
    axes = np.array(fig.axes).reshape(4, 4)  # two rows of panels, each a curve above its histogram
    try:
        for k, (mode, (y, p, w)) in enumerate(curves.items()):
            curve, hist = axes[2 * (k // 4), k % 4], axes[2 * (k // 4) + 1, k % 4]
            assert curve.get_title() == mode and hist.get_ylabel() == "count"
            bars = [patch.get_height() for patch in hist.patches]
            assert len(bars) == 20 and sum(bars) == pytest.approx(w.sum())
            points = curve.lines[1].get_xdata()
            assert len(points) == len(reliability_bins(y, p, w).counts)
            assert hist.get_position().y1 < curve.get_position().y0  # under the curve
        assert not any(ax.axison for ax in axes[2:, 1:].flat)  # the unused panels are blank
    finally:
        plt.close(fig)
