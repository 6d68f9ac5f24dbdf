"""Metamorphic properties of the real model: more exposure is never safer, negation is absence, no audio no desync."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ava_model.core.exposure import measure

SCENES = ["A fisherman on a foggy dock", "A nurse in a hospital corridor", "A chef behind a steel counter",
          "A teenager on a city bus", "An old farmer in a wheat field", "A news anchor at a glass desk"]
WORDS = "we have to leave before the tide turns and the boats come back empty again tonight my friend".split()
NEGATIONS = ["without speaking", "in silence", "with his mouth closed", "saying nothing"]
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def risk(predictor, prompts, platform, mode):
    return predictor.predict_proba(prompts, platform)[mode].to_numpy()


@SETTINGS
@given(scene=st.sampled_from(SCENES), n=st.integers(1, 6), extra=st.integers(4, 12),
       platform=st.sampled_from(["sora-2", "veo-3"]))
def test_a_longer_quoted_line_scores_higher_on_audio_platforms(small_predictor, scene, n, extra, platform):
    short = f"{scene} looks into the camera and says '{' '.join(WORDS[:n])}'"
    long = f"{scene} looks into the camera and says '{' '.join(WORDS[:n + extra])}'"
    low, high = risk(small_predictor, [short, long], platform, "lip_sync")
    assert high > low


@SETTINGS
@given(scene=st.sampled_from(SCENES), seconds=st.sampled_from([2, 3, 5]), more=st.sampled_from([10, 20, 30]))
def test_a_longer_stated_speech_scores_higher(small_predictor, scene, seconds, more):
    prompts = [f"{scene} gives a {s}-second speech to the camera" for s in (seconds, seconds + more)]
    low, high = risk(small_predictor, prompts, "sora-2", "lip_sync")
    assert high > low


@SETTINGS
@given(scene=st.sampled_from(SCENES), negation=st.sampled_from(NEGATIONS), platform=st.sampled_from(["sora-2", "kling"]))
def test_a_negated_prompt_scores_like_the_prompt_with_no_exposure(small_predictor, scene, negation, platform):
    plain, negated = f"{scene} looks at the camera", f"{scene} looks at the camera {negation}"
    assume(measure(plain)["lip_sync"].value == 0)  # "a news anchor" already asks for speech: not the no-exposure version
    assert measure(negated)["lip_sync"].negated
    a, b = risk(small_predictor, [plain, negated], platform, "lip_sync")
    assert abs(a - b) <= 0.05


@pytest.mark.parametrize("platform", ["runway-gen-4", "pika", "cogvideox", "hunyuanvideo"])
def test_lip_sync_without_native_audio_stays_near_zero(small_predictor, platform):
    prompts = [f"{s} delivers a thirty-second monologue to the camera, talking nonstop" for s in SCENES]
    assert risk(small_predictor, prompts, platform, "lip_sync").max() < 0.02


@SETTINGS
@given(counts=st.lists(st.integers(2, 60), min_size=2, max_size=2, unique=True),
       thing=st.sampled_from(["apples", "red balloons", "wooden chairs", "paper lanterns"]))
def test_a_larger_count_scores_higher(small_predictor, counts, thing):
    low, high = sorted(counts)
    prompts = [f"Exactly {n} {thing} on a white table, studio light" for n in (low, high)]
    r_low, r_high = risk(small_predictor, prompts, "kling", "object_count")
    assert r_high > r_low


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scene=st.sampled_from(SCENES), steps=st.lists(st.floats(0, 120), min_size=2, max_size=5))
def test_raising_exposure_with_the_prompt_fixed_never_lowers_any_mode(small_predictor, scene, steps):
    """The model itself (item 2 of the issue): all else fixed, more exposure is never safer."""
    model = small_predictor.model
    X = small_predictor.features([scene])
    k = len(model.modes)
    rows = np.repeat(X, len(steps), axis=0)
    rows[:, -2 * k : -k] = np.sort(steps)[:, None]  # the exposure columns (the negation flags follow)
    risks = model.risk_proba(rows, ["sora-2"] * len(steps))
    assert (np.diff(risks, axis=0) >= -1e-12).all()


def test_risk_across_platforms_equals_scoring_each_platform(small_predictor, rules):
    model = small_predictor.model
    X = small_predictor.features(["A woman says 'We open at nine and close when the last loaf is sold' to camera"])
    ids = list(rules.platform_ids)
    np.testing.assert_allclose(model.risk_across_platforms(X, ids), model.risk_proba(np.repeat(X, len(ids), axis=0), ids),
                               rtol=0, atol=1e-12)
