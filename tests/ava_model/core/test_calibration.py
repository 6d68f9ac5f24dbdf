"""OutOfFoldCalibratedHead: the calibration CalibratedClassifierCV(cv=folds, ensemble=False) fits, from margins given."""

from __future__ import annotations

import numpy as np
import pytest

from ava_model.core.calibration import OutOfFoldCalibratedHead, platt_sigmoid
from ava_model.core.features import STRUCTURE_FEATURES
from ava_model.core.heads import ScaledLogisticRegression, make_head
from ava_model.errors import ConfigError
from ava_training.fit import out_of_fold_margins
from ava_training.splits import group_folds


def _data(n: int = 240, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 12))
    y = (X[:, 0] + 0.8 * rng.normal(size=n) > 0.3).astype(int)
    w = rng.uniform(0.5, 2.0, size=n)
    return X, y, w, group_folds(np.arange(n) // 2, 4, 0)


@pytest.mark.parametrize("family", ["logreg", "svm"])
@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_matches_calibrated_classifier_cv_on_the_same_folds(family, method):
    from sklearn.calibration import CalibratedClassifierCV

    X, y, w, folds = _data()
    head = make_head(family, 1.0, len(STRUCTURE_FEATURES))  # as out_of_fold_margins makes it
    theirs = CalibratedClassifierCV(head, method=method, cv=folds, ensemble=False).fit(X, y, sample_weight=w)
    margin = out_of_fold_margins(X, y, w, folds, family, 1.0)
    ours = OutOfFoldCalibratedHead(head, method).fit(X, y, w, out_of_fold_margin=margin)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-4)
    assert (ours.predict(X) == theirs.predict(X)).mean() > 0.99


def test_platt_sigmoid_is_monotone_and_matches_the_weighted_rate():
    rng = np.random.default_rng(1)
    margin = rng.normal(size=4000)
    y = (rng.uniform(size=4000) < 1 / (1 + np.exp(-2 * margin))).astype(int)  # true a = -2, b = 0
    a, b = platt_sigmoid(margin, y)
    assert a == pytest.approx(-2.0, abs=0.2) and b == pytest.approx(0.0, abs=0.1)
    a_large, b_large = platt_sigmoid(margin * 100, y)  # margins far outside [-1, 1] are rescaled, same fit
    assert a_large * 100 == pytest.approx(a, rel=1e-3) and b_large == pytest.approx(b, abs=1e-3)


def test_calibrated_probability_rises_with_the_margin():
    X, y, w, folds = _data()
    margin = out_of_fold_margins(X, y, w, folds, "logreg", 1.0)
    head = OutOfFoldCalibratedHead(ScaledLogisticRegression(C=1.0)).fit(X, y, w, out_of_fold_margin=margin)
    p = head.calibrate(np.linspace(-5, 5, 50))
    assert np.all(np.diff(p) > 0) and 0 < p[0] < 0.1 and 0.9 < p[-1] < 1


def test_errors_name_the_bad_input():
    X, y, w, _ = _data(40)
    with pytest.raises(ConfigError, match=r"one margin per row \(40\).*\(39,\)"):
        OutOfFoldCalibratedHead(ScaledLogisticRegression()).fit(X, y, w, out_of_fold_margin=np.zeros(39))
    with pytest.raises(ConfigError, match="sigmoid, isotonic.*'platt'"):
        OutOfFoldCalibratedHead(ScaledLogisticRegression(), "platt").fit(X, y, w, out_of_fold_margin=np.zeros(40))
