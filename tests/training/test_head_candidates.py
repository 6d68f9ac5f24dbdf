"""Which head candidates a mode tries: an exact RBF SVM only where its quadratic cost stays small."""

import pytest

from ava_training.config import TrainConfig
from ava_training.fit import candidates_for
from ava_model.errors import ConfigError, TrainingError

CANDIDATES = (("logreg", 0.02), ("logreg", 0.1), ("svm", 1.0), ("svm", 4.0))


def test_svm_candidates_are_dropped_only_above_the_row_cap():
    assert candidates_for(CANDIDATES, 20_000, 20_000) == CANDIDATES
    assert candidates_for(CANDIDATES, 20_001, 20_000) == CANDIDATES[:2]
    assert candidates_for(CANDIDATES, 10**6, None) == CANDIDATES


def test_a_cap_that_leaves_no_candidate_says_what_to_change():
    with pytest.raises(TrainingError, match=r"50000 rows exceed svm_max_rows=100 .*add a logreg candidate"):
        candidates_for(CANDIDATES[2:], 50_000, 100)
    with pytest.raises(ConfigError, match="svm_max_rows must be >= 1, got 0"):
        TrainConfig(svm_max_rows=0)
    assert TrainConfig().svm_max_rows == 20_000  # the shipped model's modes (<= 5k rows each) still try every head
