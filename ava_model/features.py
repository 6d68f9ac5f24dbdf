"""Model inputs: the prompt embedding plus a few cheap prompt-structure features.

Training and prediction both build features here, so the two can never drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

STRUCTURE_FEATURES = (
    "spoken_words",  # quoted words introduced as on-screen speech ("she says '...'")
    "offscreen_words",  # quoted words heard with no visible mouth (voice-over, narrator, radio)
    "written_words",  # other quoted words: sign, caption or label text
    "quoted_segments",  # how many quoted spans: speakers, signs
    "requested_seconds",  # clip length asked for ("an 8-second clip")
    "max_count",  # largest object count named ("seven balloons")
    "prompt_words",  # prompt length
)

_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "dozen": 12, "hundred": 100,
}
_QUOTED = re.compile(
    r"\"([^\"]+)\"|“([^”]+)”|‘([^’]+)’|(?:(?<=^)|(?<=[\s:(\[—-]))'([^']+?)'(?=[\s.,!?;:)\]—-]|$)"
)
# What comes just before a quote tells speech from writing; writing wins ("a sign that says 'OPEN'").
_SPEECH_CUE = re.compile(
    r"\b(says?|said|saying|asks?|asked|shouts?|yells?|whispers?|tells?|replies|repl(y|ies)|sings?|sang|"
    r"announces?|exclaims?|mutters?|screams?|calls? out|speaks?|line|dialogue|voice)\b|:\s*$",
    re.IGNORECASE,
)
_WRITING_CUE = re.compile(
    r"\b(sign|signs|reads?|reading|written|writes?|spell(s|ed|ing)?|text|caption|title|label|logo|banner|"
    r"poster|neon|board|screen|headline|letters?|words? on|printed|graffiti|menu|t-shirt|shirt)\b",
    re.IGNORECASE,
)
_OFFSCREEN_CUE = re.compile(
    r"\b(voice-?over|voiceover|narrat\w*|off-?(camera|screen)|offscreen|inner monologue|radio|phone|voicemail|"
    r"intercom|loudspeaker|speaker phone|PA|unseen|from behind|announcer)\b",
    re.IGNORECASE,
)
_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(?:s|sec|secs|second|seconds)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\b(\d+|" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class Quote:
    """A quoted part of a prompt: characters [start, end) without the quote marks, spoken or written."""

    start: int
    end: int
    kind: str  # "spoken" (on screen), "offscreen" (voice-over, radio...) or "written"


@dataclass(frozen=True)
class CountMention:
    """An object count named outside quotes ("seven" in "seven balloons"), with its value."""

    start: int
    end: int
    value: int


def quoted_spans(prompt: str) -> list[tuple[int, int]]:
    """Return (start, end) character spans of the quoted parts of a prompt, quotes excluded."""
    spans = []
    for match in _QUOTED.finditer(prompt):
        group = next(i for i in range(1, 5) if match.group(i) is not None)
        spans.append(match.span(group))
    return spans


def quotes(prompt: str) -> list[Quote]:
    """Return the quoted parts of a prompt, classed spoken, offscreen or written by the words before it."""
    found = []
    previous_end = 0
    for a, b in quoted_spans(prompt):
        before = prompt[max(previous_end, a - 60) : max(previous_end, a - 1)]  # the cue follows the previous quote
        previous_end = b + 1
        if _WRITING_CUE.search(before) or not (_SPEECH_CUE.search(before) or _OFFSCREEN_CUE.search(before)):
            kind = "written"
        else:
            kind = "offscreen" if _OFFSCREEN_CUE.search(before) else "spoken"
        found.append(Quote(a, b, kind))
    return found


def count_mentions(prompt: str) -> list[CountMention]:
    """Return object counts named outside quotes; durations, years and resolutions are not counts."""
    blocked = [(q.start, q.end) for q in quotes(prompt)]
    blocked += [m.span() for m in _SECONDS.finditer(prompt)]
    mentions = []
    for match in _NUMBER.finditer(prompt):
        if any(a <= match.start() < b for a, b in blocked):
            continue
        token = match.group(1)
        value = int(token) if token.isdigit() else _NUMBER_WORDS[token.lower()]
        if value < 1000:
            mentions.append(CountMention(match.start(), match.end(), value))
    return mentions


def structure_features(prompt: str) -> np.ndarray:
    """Return the STRUCTURE_FEATURES of one prompt as raw counts (before scaling)."""
    found = quotes(prompt)
    words = {kind: 0 for kind in ("spoken", "offscreen", "written")}
    for q in found:
        words[q.kind] += len(prompt[q.start : q.end].split())
    seconds = [float(s) for s in _SECONDS.findall(prompt)]
    counts = [m.value for m in count_mentions(prompt)]
    return np.array(
        [words["spoken"], words["offscreen"], words["written"], len(found), max(seconds, default=0.0), max(counts, default=0), len(prompt.split())],
        dtype=np.float32,
    )


def structure_matrix(prompts: list[str]) -> np.ndarray:
    """Return an (n, len(STRUCTURE_FEATURES)) array of log1p-scaled structure features."""
    if not prompts:
        return np.zeros((0, len(STRUCTURE_FEATURES)), dtype=np.float32)
    return np.log1p(np.stack([structure_features(p) for p in prompts]))


def build_features(embeddings: np.ndarray, prompts: list[str]) -> np.ndarray:
    """Return the model input matrix: embeddings next to structure features."""
    if len(embeddings) != len(prompts):
        raise ValueError(f"Got {len(embeddings)} embeddings for {len(prompts)} prompts.")
    return np.hstack([embeddings.astype(np.float32), structure_matrix(prompts)])
