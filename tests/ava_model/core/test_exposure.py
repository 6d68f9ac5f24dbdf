"""Exposure extractors, on sentences these tests write themselves."""

import pytest

from ava_model.errors import RulesError
from hypothesis import given, settings
from hypothesis import strategies as st

from ava_model.core.exposure import embedding_text, load_exposure_rules, measure, parse_exposure_rules
from ava_model.core.features import STRUCTURE_FEATURES, structure_features


def value(prompt: str, mode: str) -> float:
    return measure(prompt)[mode].value


def test_quoted_speech_is_seconds_at_the_documented_rate():
    rate = load_exposure_rules().speaking_rate_wps
    words = "We open at nine and close when the last customer leaves tonight"
    assert value(f"A baker says '{words}' to the camera", "lip_sync") == pytest.approx(len(words.split()) / rate, abs=0.01)
    assert value("A baker says 'Hi' to the camera", "lip_sync") == pytest.approx(1 / rate)


@pytest.mark.parametrize("prompt, at_least", [
    ("A coach gives a ten-second pep talk to his team", 10),
    ("A woman talks to the camera for fifteen seconds", 15),
    ("A 20 s clip of a vlogger talking nonstop the whole time", 20),
    ("Two actors argue across a kitchen table", 8),
    ("A rapper performs a verse into the lens", 6),
    ("A priest delivers a long sermon", 8),
])
def test_described_speech_and_stated_durations_count(prompt, at_least):
    assert value(prompt, "lip_sync") >= at_least


@pytest.mark.parametrize("prompt", [
    "A man looks at the camera without speaking",
    "A woman sits in silence at the window",
    "A boy stands with his mouth closed, staring ahead",
    "A narrator's voice-over describes the valley while a hiker walks",
    "A man seen from behind speaks to the crowd",
])
def test_negated_or_absent_speech_is_zero(prompt):
    assert value(prompt, "lip_sync") == 0


def test_off_screen_voice_is_not_on_screen_speech():
    assert value("Over a shot of the sea, a voice-over says 'Tides wait for no one, not even kings'", "lip_sync") == 0


@pytest.mark.parametrize("low, high", [
    ("Three apples on a table", "Twelve apples on a table"),
    ("Twelve apples on a table", "Forty apples on a table"),
    ("Exactly 3 cups on a shelf", "Exactly 23 cups on a shelf"),
    ("two cats on a porch", "two cats and three dogs on a porch"),
])
def test_counts_rise_with_the_number(low, high):
    assert 0 < value(low, "object_count") < value(high, "object_count")


@pytest.mark.parametrize("prompt", [
    "A man delivers a ten-second speech", "A 50mm shot at 24fps of a woman aged 30", "Shot 2: a dog in 1999",
    "She ages from 20 to 80", "A pile of apples on a table", "Some apples on a table",
])
def test_numbers_that_are_not_counts_count_nothing(prompt):
    assert value(prompt, "object_count") == 0


def test_structure_features_read_durations_not_counts():
    row = structure_features("A man delivers a ten-second speech")
    assert row[STRUCTURE_FEATURES.index("max_count")] == 0
    assert row[STRUCTURE_FEATURES.index("requested_seconds")] == 10


def test_text_exposure_is_characters_and_adds_regions():
    one = value("A neon sign reads 'OPEN'", "text_rendering")
    long = value("A neon sign reads 'OPEN ALL NIGHT EVERY DAY'", "text_rendering")
    two = value("A neon sign reads 'OPEN ALL NIGHT EVERY DAY' above a poster that says 'FRESH COFFEE'", "text_rendering")
    assert 0 < one < long < two
    assert value("A storefront with a blank sign", "text_rendering") == 0
    assert value("A storefront, no text anywhere", "text_rendering") == 0


@pytest.mark.parametrize("mode, low, high", [
    ("anatomy", "A woman stands in a kitchen", "Close-up of a woman's hands rapidly knitting in a kitchen"),
    ("identity_drift", "Portrait of an old sailor", "Portrait of an old sailor who ages from 20 to 80 as the camera orbits him"),
    ("physics", "A ball rolls across a floor", "A ball rolls across a floor, hits a glass that shatters and spills water"),
    ("camera_motion", "The camera pans left over a harbour", "The camera pans left over a harbour, then cranes up and orbits the lighthouse"),
    ("composition", "A red cup on a table", "A red cup to the left of a blue vase, a green bowl on top of a white box"),
    ("vanishing_subject", "A fox walks behind a tree", "A fox walks behind a tree, reappears, then goes behind a rock and emerges"),
    ("interaction", "Two men shake hands", "Two men shake hands, hug, and then one passes the other a bottle"),
    ("action_order", "A chef cracks an egg, then whisks it", "First a chef cracks an egg, then whisks it, next pours it, finally plates it"),
    ("action_order", "A florist trims the stems", "Flower shop. 1. trim the stems 2. strip the leaves 3. arrange them in a vase"),
    ("action_order", "A kite rises into the sky",
     "In this exact order: kite rises, string snaps, kite drifts over the roofs, dog chases it"),
    ("identity_drift", "Shot 1: a nurse at the desk.", "Shot 1: a nurse at the desk. Shot 2: the same woman in the ward. Shot 3: at home"),
    ("physics", "A bowling ball hits the pins", "A bowling ball hits the headpin, which knocks the pin behind it, which taps the last pin"),
    ("interaction", "Two rams lock horns", "Two rams lock horns and clash nine times"),
])
def test_each_mode_rises_with_what_the_prompt_adds(mode, low, high):
    assert 0 < value(low, mode) < value(high, mode)


@pytest.mark.parametrize("mode, prompt", [
    ("anatomy", "A pianist at the piano, hands out of frame, face only"),
    ("identity_drift", "An astronaut in a closed helmet walks across the dunes"),
    ("physics", "A glass of water on a table, completely still"),
    ("camera_motion", "A locked-off static shot of a harbour"),
    ("interaction", "Two men stand side by side, not touching"),
])
def test_each_mode_negation_sets_zero(mode, prompt):
    found = measure(prompt)[mode]
    assert found.value == 0 and found.negated


def test_breaking_apart_is_not_absence_of_contact():
    assert value("Two boxers trade a dozen punches, then break apart", "interaction") >= 12
    assert value("Two boxers stand far apart, not touching", "interaction") == 0


def test_negation_is_sentence_scoped():
    prompt = "A woman sits in silence. Later her friend says 'We are going to miss the last train home tonight'."
    assert value(prompt, "lip_sync") > 3


def test_spans_point_at_the_words_that_carry_exposure():
    prompt = "A man delivers a thirty-second speech to the camera"
    spans = measure(prompt)["lip_sync"].spans
    assert any("thirty-second" in s.text and s.value == 30 for s in spans)
    assert all(prompt[s.start : s.end] == s.text for s in spans)


def test_embedding_text_reads_every_object_count_as_one_number_and_keeps_other_numbers():
    assert embedding_text("Exactly 37 apples and twelve pears") == "Exactly 5 apples and 5 pears"
    # durations, lens and frame-rate numbers and ages are not counts: the embedder reads them as written
    text = "A 20-second clip on a 35mm lens at 24fps of a 40-year-old chef"
    assert embedding_text(text) == text


@settings(max_examples=60, deadline=None)
@given(low=st.integers(2, 500), more=st.integers(1, 500), thing=st.sampled_from(["apples", "paper lanterns", "cars"]))
def test_a_count_changes_only_the_exposure_columns_never_the_topic_inputs(low, more, thing):
    from ava_model.core.features import STRUCTURE_FEATURES, structure_matrix

    prompts = [f"Exactly {n} {thing} on a white table" for n in (low, low + more)]
    assert embedding_text(prompts[0]) == embedding_text(prompts[1])
    structure = structure_matrix([embedding_text(p) for p in prompts])
    assert structure.shape == (2, len(STRUCTURE_FEATURES)) and (structure[0] == structure[1]).all()
    assert measure(prompts[1])["object_count"].value > measure(prompts[0])["object_count"].value


def test_embedding_text_drops_negation_phrases_only():
    assert embedding_text("A man looks at the camera without speaking") == "A man looks at the camera"
    assert embedding_text("A man looks at the camera") == "A man looks at the camera"


def test_exposure_rules_errors_name_the_mode_and_the_choices(rules):
    data = {"version": 1, "speaking_rate_wps": 2.5, "default_clip_seconds": 8, "modes": {"lip_sync": {}}}
    with pytest.raises(RulesError, match="missing: .*anatomy"):
        parse_exposure_rules(data, rules.mode_ids)
    good = {m: {"unit": "u", "cues": [{"name": "c", "group": "g", "value": 1, "pattern": "x"}]} for m in rules.mode_ids}
    bad = dict(good, anatomy={"unit": "u", "cues": [{"name": "c", "group": "g", "value": 1, "pattern": "(unclosed"}]})
    with pytest.raises(RulesError, match="anatomy.*not a valid regular expression"):
        parse_exposure_rules({**data, "modes": bad}, rules.mode_ids)
    bad = dict(good, physics={"unit": "u", "multipliers": [{"name": "m", "factor": 0.5, "pattern": "x"}],
                              "cues": good["physics"]["cues"]})
    with pytest.raises(RulesError, match="physics.*factor must be a number >= 1"):
        parse_exposure_rules({**data, "modes": bad}, rules.mode_ids)
    assert set(parse_exposure_rules({**data, "modes": good}, rules.mode_ids).modes) == set(rules.mode_ids)


def test_each_further_list_item_after_an_occlusion_cue_adds():
    one = value("A fox slips behind the shed and out again.", "vanishing_subject")
    three = value("A fox slips behind the shed, the log pile and the hedge and out again.", "vanishing_subject")
    assert three == pytest.approx(one + 2)


def test_a_stated_repetition_is_read_next_to_the_occlusion():
    once = value("A kite ducks behind a chimney and out again.", "vanishing_subject")
    many = value("A kite ducks behind a chimney and out again six times.", "vanishing_subject")
    assert many >= once + 6
    assert value("A kite ducks behind four chimneys in a row.", "vanishing_subject") >= 4


def test_a_still_camera_does_not_stop_subjects_passing_behind_things():
    assert value("Locked-off static shot: a bus passes in front of the girl twice.", "vanishing_subject") >= 2
    assert value("A girl stands in plain view at the stop.", "vanishing_subject") == 0


@pytest.mark.parametrize("prompt, steps", [
    ("Tutorial: 1. fold the paper 2. crease the edge 3. open the flap", 3),
    ("barista, counter, 1 grinds beans, 2 tamps, 3 pulls a shot, 4 steams milk, 5 pours", 5),
    ("Count one, she bows; two, she turns; three, she leaps; four, she lands.", 4),
])
def test_a_numbered_run_is_that_many_ordered_steps(prompt, steps):
    assert value(prompt, "action_order") >= steps


def test_numbers_that_do_not_run_from_one_are_not_steps():
    found = measure("a shelf with 2 mugs, 3 plates and 5 bowls")["action_order"]
    assert not [s for s in found.spans if s.what == "numbered step"]


def test_one_phrase_is_one_camera_move():
    assert value("A dolly zoom down the corridor.", "camera_motion") == value("A crane shot over the corridor.", "camera_motion")


def test_a_stated_amount_replaces_the_cues_default():
    # "raps" alone suggests a verse; "one quick bar" says how much is sung.
    assert 0 < value("A man in a hoodie spits one quick bar.", "lip_sync") < value("A man in a hoodie raps.", "lip_sync")


@pytest.mark.parametrize("prompt, added, mode", [
    ("A red car on a street.", " 'Go'", "composition"),
    ("Two men argue at a table", " 'No'", "lip_sync"),
    ("A cat hides behind the sofa", ' "X"', "vanishing_subject"),
    ("A white marble counter", " with two eggs", "physics"),
    ("She sings a long ballad on a rooftop at dusk", ", and at the very end she sings two words", "lip_sync"),
])
def test_adding_words_never_lowers_exposure(prompt, added, mode):
    assert value(prompt + added, mode) >= value(prompt, mode)


def test_exposure_does_not_depend_on_word_order():
    one = value("She gives a long speech and then says 'We will win this war together'", "lip_sync")
    other = value("She says 'We will win this war together' and then gives a long speech", "lip_sync")
    assert one == other


def test_a_clause_after_an_occlusion_is_not_a_list_item():
    single = value("A cat hides behind the sofa.", "vanishing_subject")
    assert value("A cat hides behind the sofa; the sun sets.", "vanishing_subject") == single
    assert value("A cat hides behind the sofa, and the dog barks loudly.", "vanishing_subject") == single


def test_chains_of_physical_events_add_each_link():
    two = value("A cup tips over and falls.", "physics")
    four = value("A cup tips over, falls, bounces off a chair and shatters.", "physics")
    assert four > two > 0


def test_dense_text_adds_to_quoted_text():
    quoted = value("A jar labelled 'FIGS'.", "text_rendering")
    assert value("A jar labelled 'FIGS' turns to show its full ingredients list.", "text_rendering") > quoted


def test_a_quote_answering_an_off_screen_interviewer_is_on_screen_speech():
    assert value("Close-up of a farmer answering an off-screen interviewer: 'We plant in May every year'",
                 "lip_sync") > 1


def test_a_quoted_notification_is_text_not_speech():
    found = measure("Her phone lights up with a notification that says 'ok see you soon'")
    assert found["text_rendering"].value > 0 and found["lip_sync"].value == 0


def test_embedded_count_must_be_a_short_number(rules):
    good = {m: {"unit": "u", "cues": [{"name": "c", "group": "g", "value": 1, "pattern": "x"}]} for m in rules.mode_ids}
    data = {"version": 1, "speaking_rate_wps": 2.5, "default_clip_seconds": 8, "modes": good}
    assert parse_exposure_rules(data, rules.mode_ids).embedded_count == "5"
    with pytest.raises(RulesError, match="embedded_count must be a short number.*got ''"):
        parse_exposure_rules({**data, "embedded_count": " "}, rules.mode_ids)


@pytest.mark.parametrize(("without", "with_subject"), [
    ("The camera orbits around in a clockwise direction. Pyramid.",
     "The camera orbits around a woman in a red coat in a clockwise direction."),
    ("A timelapse captures the transformation as acid is added to a glass of litmus solution.",
     "A timelapse captures the transformation as the old man grows young again."),
    ("Multi-shot: a lighthouse at dawn, cut to a wide shot of the bay, cut to the harbour.",
     "Multi-shot: the same fisherman at dawn, cut to a wide shot of him on the bay, cut to the harbour."),
])
def test_identity_exposure_needs_someone_whose_identity_can_drift(without, with_subject):
    assert value(without, "identity_drift") == 0 and measure(without)["identity_drift"].spans == ()
    assert value(with_subject, "identity_drift") >= 2
    assert value(without, "camera_motion") > 0 or "orbit" not in without  # the camera move itself still counts


def test_a_mode_subject_pattern_is_validated(rules):
    good = {m: {"unit": "u", "cues": [{"name": "c", "group": "g", "value": 1, "pattern": "x"}]} for m in rules.mode_ids}
    data = {"version": 1, "speaking_rate_wps": 2.5, "default_clip_seconds": 8, "modes": good}
    with pytest.raises(RulesError, match="'identity_drift' requires.*not a valid regular expression"):
        parse_exposure_rules({**data, "modes": dict(good, identity_drift={**good["identity_drift"], "requires": "(x"})},
                             rules.mode_ids)
    with pytest.raises(RulesError, match="'identity_drift' requires: pattern must be a non-empty string"):
        parse_exposure_rules({**data, "modes": dict(good, identity_drift={**good["identity_drift"], "requires": ""})},
                             rules.mode_ids)
