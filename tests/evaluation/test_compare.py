"""Paired comparison of two models on the same held-out rows."""

from __future__ import annotations

import numpy as np
import pytest

from ava_evaluation.compare import CompareConfig, compare_models, paired_auc_difference


def test_paired_difference_detects_a_better_model_and_not_a_copy():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good = np.clip(y * 0.6 + rng.normal(0.2, 0.2, 400), 0, 1)
    noisy = np.clip(y * 0.2 + rng.normal(0.4, 0.3, 400), 0, 1)
    w = np.ones(400)
    better = paired_auc_difference(y, noisy, good, w, CompareConfig(n_bootstrap=300))
    assert better["delta"] > 0.1 and better["ci_lo"] > 0 and better["p_value"] < 0.01
    same = paired_auc_difference(y, good, good, w, CompareConfig(n_bootstrap=300))
    assert same["delta"] == 0 and same["ci_lo"] == same["ci_hi"] == 0 and same["p_value"] == 1.0


@pytest.mark.shared
def test_compare_cli_on_the_shipped_model(shared_dir, small_training, capsys):
    from ava_model.persistence.artifact import default_artifact_dir
    from ava_model.cli import main

    table = compare_models(None, str(small_training.artifact_dir), CompareConfig(n_bootstrap=200))
    assert set(table["mode"]) == set(small_training.model.modes)
    assert (table["auc_a"].between(0, 1)).all()
    # the authored-only model knows nothing of the benchmark suites: it must rank worse on average
    assert table["delta"].mean() < 0
    assert main(["evaluate", "--compare", str(default_artifact_dir()), str(default_artifact_dir())]) == 0
    assert "paired bootstrap" in capsys.readouterr().out
