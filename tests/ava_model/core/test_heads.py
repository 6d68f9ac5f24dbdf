"""The per-mode heads: the direct calibrated-probability path must equal scikit-learn's."""

from __future__ import annotations

import pickle

import numpy as np

from ava_model.core.features import build_features
from ava_model.core.heads import RBFSupportVectorHead, positive_proba

PROMPTS = [
    "A chef says 'taste this, it is the best soup in the whole city' to the camera.",
    "Seven red balloons float above a fountain.",
    "A neon sign that reads 'OPEN ALL NIGHT' flickers in the rain.",
    "A glass falls off a table and shatters.",
    "Mountains at dawn.",
]


def base_head(head):
    """The uncalibrated head inside a calibrated one (training's own wrapper or an earlier CalibratedClassifierCV)."""
    return head.estimator_ if hasattr(head, "estimator_") else head.calibrated_classifiers_[0].estimator


def test_direct_probability_equals_sklearn_for_every_shipped_head(embedder):
    from ava_model.api import load

    model = load().model
    X = build_features(embedder.encode(PROMPTS), PROMPTS)[:, : -2 * len(model.modes)]  # the topic heads' columns
    for mode, head in model.heads.items():
        np.testing.assert_allclose(positive_proba(head, X), head.predict_proba(X)[:, 1], rtol=0, atol=1e-12,
                                   err_msg=mode)
    assert {type(base_head(h)).__name__ for h in model.heads.values()} == {
        "ScaledLogisticRegression", "RBFSupportVectorHead"}  # both families are exercised above


def test_other_estimators_go_through_predict_proba():
    from sklearn.linear_model import LogisticRegression

    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    plain = LogisticRegression().fit(X, [0, 0, 1, 1])
    np.testing.assert_array_equal(positive_proba(plain, X), plain.predict_proba(X)[:, 1])


def test_svm_head_does_not_save_its_prediction_cache(small_training):
    heads = [base_head(h) for h in small_training.model.heads.values()]
    svm = next(h for h in heads if isinstance(h, RBFSupportVectorHead))
    svm.decision_function(np.zeros((1, svm.support_vectors_.shape[1])))
    assert "_sv64" in svm.__dict__ and "_sv64" not in pickle.loads(pickle.dumps(svm)).__dict__


def test_refitted_svm_head_predicts_with_its_new_support_vectors():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 12))
    y = (X[:, 0] > 0).astype(int)
    head = RBFSupportVectorHead(C=4.0, n_structure=2).fit(X, y)
    head.decision_function(X[:3])
    head.fit(X[:40], 1 - y[:40])  # other data, other support vectors
    np.testing.assert_allclose(head.decision_function(X[:3]), RBFSupportVectorHead(C=4.0, n_structure=2)
                               .fit(X[:40], 1 - y[:40]).decision_function(X[:3]))
