"""Quoted parts of a prompt, classed as on-screen speech, off-screen voice or written text by the words before them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUOTED = re.compile(
    r"\"([^\"]+)\"|“([^”]+)”|‘([^’]+)’|(?:(?<=^)|(?<=[\s:(\[—-]))'([^']+?)'(?=[\s.,!?;:)\]—-]|$)"
)
# What comes just before a quote tells speech from writing; writing wins ("a sign that says 'OPEN'").
_SPEECH_CUE = re.compile(
    r"\b(says?|said|saying|asks?|asked|shouts?|yells?|whispers?|tells?|replies|repl(y|ies)|sings?|sang|"
    r"announces?|exclaims?|mutters?|screams?|calls? out|speaks?|answer(s|ing)?|respond(s|ing)?|replying|line|"
    r"dialogue|voice)\b|:\s*$",
    re.IGNORECASE,
)
_WRITING_CUE = re.compile(
    r"\b(sign|signs|reads?|reading|written|writes?|spell(s|ed|ing)?|text|caption|title|label|logo|banner|"
    r"poster|neon|board|(?<!off-)(?<!off)screen|notification|message|bubble|chat|tweet|comment|subtitles?|headline|letters?|words? on|printed|graffiti|menu|t-shirt|shirt)\b",
    re.IGNORECASE,
)
_OFFSCREEN_CUE = re.compile(
    r"\b(voice-?over|voiceover|narrat\w*|(off-?(camera|screen)|offscreen)(?! (interviewer|person|friend|listener|"
    r"reporter|journalist|host|questioner|director))|inner monologue|radio|phone|voicemail|"
    r"intercom|loudspeaker|speaker phone|PA|unseen|from behind|announcer)\b",
    re.IGNORECASE,
)

@dataclass(frozen=True)
class Quote:
    """A quoted part of a prompt: characters [start, end) without the quote marks, spoken or written."""

    start: int
    end: int
    kind: str  # "spoken" (on screen), "offscreen" (voice-over, radio...) or "written"


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
