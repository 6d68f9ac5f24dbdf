"""Numbers written in prompts: digits, number words ("twenty-three", "a dozen") and durations ("a ten-second speech").

One reader for every extractor, so a duration is never also read as an object count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ava_model.errors import UnreadableNumber

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SPECIAL = {"dozen": 12, "a dozen": 12, "half a dozen": 6, "half-dozen": 6, "a hundred": 100, "hundred": 100,
            "a couple of": 2, "a pair of": 2, "a thousand": 1000, "thousand": 1000}

_UNIT_WORDS = "|".join(sorted(_UNITS, key=len, reverse=True))
_TENS_WORDS = "|".join(_TENS)
_SPECIAL_WORDS = "|".join(re.escape(w) for w in sorted(_SPECIAL, key=len, reverse=True))
# "twenty-three", "twenty three", "one hundred and twenty", "3", "3.5", "1,200", "a dozen"
_NUMBER_TEXT = (
    rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?"
    rf"|(?:(?:{_UNIT_WORDS})[\s-]+hundred(?:[\s-]+(?:and[\s-]+)?)?)?(?:(?:{_TENS_WORDS})(?:[\s-]+(?:{_UNIT_WORDS}))?|{_UNIT_WORDS})"
    rf"|(?:{_UNIT_WORDS})[\s-]+hundred|{_SPECIAL_WORDS})"
)
NUMBER_TEXT = _NUMBER_TEXT
"""A regular expression (no groups) matching one number in digits or words."""
NUMBER = re.compile(rf"(?<![\w.]){_NUMBER_TEXT}(?![\w])", re.IGNORECASE)
_SECOND_UNIT = r"(?:seconds?|secs?|s)"
_MINUTE_UNIT = r"(?:minutes?|mins?)"
# "10 s", "10-second", "ten seconds", "a 20s clip", "1.5 minutes", "two-minute"; "half a minute" / "a (full) minute" separately.
DURATION = re.compile(
    rf"(?<![\w.])(?P<n>{_NUMBER_TEXT})\s*-?\s*(?P<unit>{_MINUTE_UNIT}|{_SECOND_UNIT})(?![\w])|"
    rf"\b(?P<half>half[\s-]+a[\s-]+minute|half-minute|an?\s+(?:(?:full|whole|entire|solid|straight)\s+)?minute|"
    rf"one\s+(?:(?:full|whole|entire|solid|straight)\s+)?minute)\b",
    re.IGNORECASE,
)
_RANGE_SECONDS = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds?)\b", re.I)


@dataclass(frozen=True)
class NumberMention:
    """A number in the prompt: characters [start, end) and its value."""

    start: int
    end: int
    value: float


def parse_number(text: str) -> float:
    """Return the value of a number written in digits or English words ("twenty-three" -> 23.0).

    Raises ValueError naming the text when it is not a number this reader knows.
    """
    words = re.sub(r"[\s-]+", " ", text.strip().lower())
    if words in ("a", "an", "a single", "single", "one single"):
        return 1.0
    if re.fullmatch(r"[\d,]+(\.\d+)?", words):
        return float(words.replace(",", ""))
    if words in _SPECIAL:
        return float(_SPECIAL[words])
    total, current = 0, 0
    for word in words.split():
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "and":
            continue
        else:
            raise UnreadableNumber(f"{text!r} is not a number: use digits or English number words such as 'twenty-three'.")
    return float(total + current)


def numbers(prompt: str) -> list[NumberMention]:
    """Return every number in the prompt, in order."""
    return [NumberMention(m.start(), m.end(), parse_number(m.group())) for m in NUMBER.finditer(prompt)]


_DECADE_BEFORE = re.compile(r"(?:\bthe|\bmid|\bearly|\blate|['\u2019])[\s-]*$", re.IGNORECASE)
_DECADE_AFTER = re.compile(
    r"[\s-]*(?:style|look|vibe|aesthetic|fashion|music|pop|rock|hip[\s-]?hop|vintage|retro|film|camcorder|vhs|cel|"
    r"anime|sitcom|tv|diner|disco|kid|nostalgia|era|decor|interior|poster)\b",
    re.IGNORECASE,
)


def _is_decade(prompt: str, m: re.Match[str]) -> bool:
    """Return True when "1950s", "the 80s" or "90s VHS look" names a decade, not seconds."""
    text = m.group(0).strip().lower()
    if not re.fullmatch(r"\d{2,4}s", text):
        return False  # "90 s", "90 seconds", "ninety seconds" are durations
    value = int(text[:-1])
    if 1800 <= value <= 2100 and value % 10 == 0:
        return True
    if value % 10 or not 20 <= value <= 90:
        return False
    return bool(_DECADE_BEFORE.search(prompt[max(0, m.start() - 8) : m.start()]) or _DECADE_AFTER.match(prompt, m.end()))


def durations(prompt: str) -> list[NumberMention]:
    """Return every duration in the prompt, in seconds ("a ten-second speech", "for 2 minutes", "0-3 s")."""
    # "0-3 s" first: the range's end is a time and its start is not a count.
    found = [NumberMention(m.start(), m.end(), float(m.group(2))) for m in _RANGE_SECONDS.finditer(prompt)]
    for m in DURATION.finditer(prompt):
        if any(d.start <= m.start() < d.end for d in found):
            continue
        if m.group("half"):
            value = 30.0 if m.group("half").lower().startswith("half") else 60.0
        else:
            if _is_decade(prompt, m):
                continue
            value = parse_number(m.group("n"))
            if m.group("unit").lower().startswith("m"):
                value *= 60.0
        found.append(NumberMention(m.start(), m.end(), value))
    return sorted(found, key=lambda d: d.start)
