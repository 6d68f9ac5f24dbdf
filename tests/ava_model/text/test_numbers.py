"""Numbers and durations as prompts write them."""

import pytest

from ava_model.text.numbers import durations, numbers, parse_number
from ava_model.errors import UnreadableNumber


@pytest.mark.parametrize("text, value", [
    ("twenty-three", 23), ("twenty three", 23), ("a dozen", 12), ("half a dozen", 6), ("seventeen", 17),
    ("one hundred and twenty", 120), ("1,200", 1200), ("40", 40), ("2.5", 2.5), ("forty", 40),
])
def test_parse_number_reads_digits_words_and_compounds(text, value):
    assert parse_number(text) == value


def test_parse_number_names_the_bad_text():
    with pytest.raises(UnreadableNumber, match="'lots'"):
        parse_number("lots")


@pytest.mark.parametrize("prompt, seconds", [
    ("A man delivers a ten-second speech", [10]),
    ("she talks for fifteen seconds", [15]),
    ("a 20 s clip of a beach", [20]),
    ("a two-minute monologue", [120]),
    ("half a minute of applause", [30]),
    ("he belts out a full minute of verse", [60]),
    ("one whole minute of silence, then an entire minute of rain", [60, 60]),
    ("0-3 s: he waves; 3-6 s: he sits", [3, 6]),
    ("a 30-second ad, 5s intro", [30, 5]),
    ("A cat on a sofa", []),
])
def test_durations_in_words_digits_and_hyphens(prompt, seconds):
    assert [d.value for d in durations(prompt)] == seconds


def test_numbers_finds_each_number_once_with_its_span():
    prompt = "twenty-three cats and 4 dogs"
    found = numbers(prompt)
    assert [(prompt[n.start : n.end], n.value) for n in found] == [("twenty-three", 23), ("4", 4)]


@pytest.mark.parametrize("prompt", ["a 1950s diner at night", "neon signs of the 80s", "late-80s synth pop video",
                                    "a 70s style kitchen", "fashion from the ’90s"])
def test_decades_are_not_durations(prompt):
    assert durations(prompt) == []


@pytest.mark.parametrize("prompt, seconds", [("a 30s clip of a lake", [30]), ("she talks for 40s", [40]),
                                             ("a 5s shot", [5]), ("He talks for 30s looking at the camera", [30]),
                                             ("she finishes the speech in 30s", [30]), ("a 30s commercial", [30])])
def test_seconds_written_as_s_stay_durations(prompt, seconds):
    assert [d.value for d in durations(prompt)] == seconds
