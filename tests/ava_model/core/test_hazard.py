"""ExposureHazard: monotone in topic and exposure, calibrated on its own fit, not capped by the platform factor."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ava_model.rules.curves import load_curves
from ava_model.errors import RulesError
from ava_model.core.hazard import ExposureHazard
from ava_model.errors import ConfigError


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    q = rng.uniform(0, 1, 4000)
    e = rng.exponential(4, 4000)
    true_h = 0.05 + 0.8 * -np.log1p(-np.minimum(q, 0.999)) + 0.3 * e
    y = (rng.uniform(size=4000) < -np.expm1(-true_h)).astype(int)
    return ExposureHazard().fit(np.column_stack([q, e]), y), (q, e, y)


def test_fit_recovers_the_hazard_and_is_calibrated(fitted):
    head, (q, e, y) = fitted
    np.testing.assert_allclose(head.coef_[:2], [0.05, 0.8], atol=0.1)
    grid = np.column_stack([np.full(5, 0.5), [0.0, 1.0, 4.0, 8.0, 12.0]])
    # G is linear here, so exposure's weight is shared between G and its excess over e_ref: compare hazards
    np.testing.assert_allclose(head.hazard(grid) - head.hazard(grid[:1]), 0.3 * grid[:, 1], rtol=0.15, atol=0.05)
    p = head.predict_proba(np.column_stack([q, e]))[:, 1]
    assert abs(p.mean() - y.mean()) < 0.02


@settings(max_examples=200, deadline=None)
@given(q=st.floats(0, 1), e=st.floats(0, 200), dq=st.floats(0, 1), de=st.floats(0, 200), f=st.floats(0, 0.99))
def test_risk_never_falls_when_topic_or_exposure_rises(fitted, q, e, dq, de, f):
    head, _ = fitted
    low = head.risk(np.array([[q, e]]), np.array([f]))[0]
    high = head.risk(np.array([[min(q + dq, 1.0), e + de]]), np.array([f]))[0]
    assert high >= low - 1e-12


def test_high_exposure_goes_past_the_platform_factor_and_none_stays_below(fitted):
    head, _ = fitted
    factor = np.array([0.3])
    typical = head.reference_exposure_
    assert head.risk(np.array([[1.0, 10 * typical]]), factor)[0] > 0.3
    assert head.risk(np.array([[1.0, 0.0]]), factor)[0] < head.risk(np.array([[1.0, typical]]), factor)[0]
    assert head.risk(np.array([[1.0, 50 * typical]]), np.array([0.0]))[0] == 0.0  # no audio track: nothing to desync


def test_bad_input_shape_is_named(fitted):
    head, _ = fitted
    with pytest.raises(ConfigError, match=r"\(n, 2\)"):
        head.predict_proba(np.zeros((3, 4)))


def test_a_negated_prompt_keeps_only_the_residual_hazard_and_exposure_lifts_it_again():
    rng = np.random.default_rng(1)
    q, e = rng.uniform(0, 1, 500), rng.exponential(2, 500)
    head = ExposureHazard(negated_hazard=0.02).fit(np.column_stack([q, e]), (rng.uniform(size=500) < q).astype(int))
    f = np.array([0.4])
    plain, negated = head.risk(np.array([[0.9, 0.0, 0.0]]), f)[0], head.risk(np.array([[0.9, 0.0, 1.0]]), f)[0]
    assert 0 < negated < plain / 20  # D 0.02 against z 0.5
    # The negated prompt's P(exercised) is unchanged: only the share of the hard part it asks for falls.
    np.testing.assert_allclose(head.predict_proba(np.array([[0.9, 0.0, 1.0]])), head.predict_proba(np.array([[0.9, 0.0]])))
    # A flag beside measured exposure changes nothing (the extractor only flags a mode it found none of).
    assert head.risk(np.array([[0.9, 3.0, 1.0]]), f)[0] == head.risk(np.array([[0.9, 3.0, 0.0]]), f)[0]


def test_every_mode_has_a_valid_curve_with_its_basis(rules):
    curves = load_curves(rules.mode_ids)
    assert set(curves) == set(rules.mode_ids)
    for curve in curves.values():
        g = curve.relative_hazard(np.linspace(0, 500, 200))
        assert (np.diff(g) >= 0).all() and g[-1] > g[len(g) // 2] and curve.basis


def test_a_falling_curve_is_refused(tmp_path, rules):
    import shutil

    from ava_model.rules.taxonomy import rules_dir

    shutil.copytree(rules_dir() / "curves", tmp_path / "curves")
    path = tmp_path / "curves" / "physics.yaml"
    path.write_text(path.read_text().replace("knots: [[0, 0.0], [1, 1.0]]", "knots: [[0, 0.0], [1, 1.0], [2, 0.5]]"))
    with pytest.raises(RulesError, match="physics.yaml.*non-decreasing"):
        load_curves(rules.mode_ids, tmp_path)


def test_a_negated_hazard_above_the_zero_exposure_hazard_is_refused(tmp_path, rules):
    import shutil

    from ava_model.rules.taxonomy import rules_dir

    shutil.copytree(rules_dir() / "curves", tmp_path / "curves")
    path = tmp_path / "curves" / "physics.yaml"
    path.write_text(path.read_text().replace("negated_hazard: 0.02", "negated_hazard: 0.9"))
    with pytest.raises(RulesError, match=r"physics.yaml: hazard.negated_hazard must be a number between 0 and "
                                         r"zero_exposure_hazard \(0.5\).*got 0.9"):
        load_curves(rules.mode_ids, tmp_path)
    assert {c.negated_hazard for c in load_curves(rules.mode_ids).values()} == {0.02, 0.004}


def test_the_ordering_term_orders_pairs_that_likelihood_alone_leaves_reversed():
    # Topic scores that fall as exposure rises (wording noise): likelihood alone trusts the topic score.
    rng = np.random.default_rng(1)
    n = 2000
    q, e = rng.uniform(0.01, 0.99, n), rng.uniform(0, 6, n)
    y = (rng.uniform(size=n) < 1 - np.exp(-(0.05 + 1.0 * -np.log1p(-q) + 0.05 * e))).astype(int)
    lo, hi = np.arange(0, 200, 2), np.arange(1, 200, 2)
    q[lo], q[hi], e[lo], e[hi] = 0.6, 0.2, 2.0, 3.0  # the higher rung reads as less on-topic
    X, pairs = np.column_stack([q, e]), np.column_stack([lo, hi])
    knots = ((0.0, 0.0), (6.0, 1.0))

    def ordered(head):
        risk = head.risk(X, np.full(n, 0.3))
        return float((risk[hi] > risk[lo]).mean())

    plain = ExposureHazard(knots=knots).fit(X, y)
    ranked = ExposureHazard(knots=knots, ranking_weight=1.0, ranking_factor=0.3).fit(X, y, pairs=pairs)
    assert ordered(plain) < 1.0 and ordered(ranked) == 1.0
    assert ranked.coef_[2] > plain.coef_[2]
