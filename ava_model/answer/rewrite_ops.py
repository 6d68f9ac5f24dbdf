"""The operations a rewrite strategy (data/rules/rewrite_strategies.yaml) may use, by name.

Each operation takes the prompt and its parameters and returns the edited prompt
(unchanged when it does not apply). Strategies are data; only these verbs are code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ava_model.core.features import count_mentions, quotes
from ava_model.text.numbers import durations

_NUMBER_NAMES = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}
_WRITTEN_CUE = re.compile(
    r"\s*(?:,\s*)?(?:(?:that|which)\s+)?(?:reads?|says?|spells?(?:\s+out)?|saying|reading|spelling(?:\s+out)?|"
    r"with\s+the\s+(?:words?|text)|displaying|showing)\s*:?\s*$",
    re.IGNORECASE,
)


def _sentences(prompt: str) -> list[tuple[int, int]]:
    """Return (start, end) of each sentence; full stops inside quotes do not end one."""
    inside = [(q.start, q.end) for q in quotes(prompt)]
    spans, start = [], 0
    for m in re.finditer(r"[.!?]+[\"'”’]?(?=\s|$)", prompt):
        if any(a <= m.start() < b and m.end() < b + 1 for a, b in inside):
            continue  # a full stop inside a quote, not at its end
        spans.append((start, m.end()))
        start = m.end()
    if prompt[start:].strip():
        spans.append((start, len(prompt)))
    return spans


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])\s*(?=[,.;:!?])", "", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def _replace_spans(prompt: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, text in sorted(edits, reverse=True):
        prompt = prompt[:start] + text + prompt[end:]
    return _tidy(prompt)


_CLAUSE_START = re.compile(r"(?<=[,;:.!?\u2014])\s+|\s+[-\u2013]\s+|\s+(?=\b(?:and|but|so|because|while|then|or|until|when|before|after)\b)",
                           re.IGNORECASE)


def _shorten(prompt: str, kind: str, max_words: int) -> str:
    """Cut each quote of ``kind`` to its leading whole clauses within max_words; a quote with none that fits stays whole.

    A clause ends at punctuation or before a conjunction, so a cut never leaves half a phrase
    ('OPEN ALL NIGHT' is kept whole rather than becoming 'OPEN ALL').
    """
    edits = []
    for q in quotes(prompt):
        text = prompt[q.start : q.end]
        if q.kind != kind or len(text.split()) <= max_words:
            continue
        kept: list[str] = []
        for clause in (c for c in _CLAUSE_START.split(text) if c.strip()):
            if len(" ".join(kept + [clause]).split()) > max_words:
                break
            kept.append(clause.strip())
        if not kept:
            continue
        short = " ".join(kept).strip().rstrip(",;:-\u2014")
        if kind == "spoken" and not short.endswith((".", "!", "?")):
            short += "."  # a spoken line ends as a sentence; sign text gets no full stop
        edits.append((q.start, q.end, short))
    return _replace_spans(prompt, edits)


def shorten_spoken(prompt: str, max_words: int) -> str:
    """Cut every spoken quoted line to its leading whole clauses within max_words words."""
    return _shorten(prompt, "spoken", int(max_words))


def shorten_written(prompt: str, max_words: int) -> str:
    """Cut every written quoted text to its leading whole clauses within max_words words."""
    return _shorten(prompt, "written", int(max_words))


def drop_written(prompt: str, replacement: str = "") -> str:
    """Remove each written quote with its marks and its cue ("that reads"), putting replacement in its place."""
    edits = []
    for q in quotes(prompt):
        if q.kind == "written":
            cue = _WRITTEN_CUE.search(prompt[: q.start - 1])
            start = cue.start() if cue else q.start - 1
            edits.append((start, q.end + 1, f" {replacement}" if replacement else ""))
    return _replace_spans(prompt, edits)


def keep_first_spoken(prompt: str) -> str:
    """Keep the first spoken quote; remove later ones with their speaker cue ("Nurse two replies:")."""
    spoken = [q for q in quotes(prompt) if q.kind == "spoken"]
    sentences = _sentences(prompt)
    edits = []
    for q in spoken[1:]:
        sentence_start = max((a for a, _ in sentences if a <= q.start), default=0)
        cue = prompt[sentence_start : q.start - 1]
        start = sentence_start if len(cue.split()) <= 8 else q.start - 1
        edits.append((start, q.end + 1, ""))
    return _replace_spans(prompt, edits)


def cap_counts(prompt: str, max: int) -> str:  # noqa: A002 - the parameter name is the data file's
    """Replace every object count above max with max, written as a word."""
    limit = int(max)
    word = _NUMBER_NAMES.get(limit, str(limit))
    edits = []
    for m in count_mentions(prompt):
        if m.value > limit:
            original = prompt[m.start : m.end]
            text = word.capitalize() if original[:1].isupper() else word
            edits.append((m.start, m.end, text))
    text = _replace_spans(prompt, edits)
    return re.sub(r"\ba (one|two|three|four|five|six|seven|eight|nine|ten)\b", r"\1", text, flags=re.IGNORECASE)


def cap_durations(prompt: str, max_seconds: float) -> str:
    """Replace every stated duration above max_seconds with max_seconds, in the same form ('a thirty-second speech' -> 'a three-second speech')."""
    limit = float(max_seconds)
    word = _NUMBER_NAMES.get(int(limit), str(int(limit))) if limit.is_integer() else f"{limit:g}"
    edits = []
    for d in durations(prompt):
        if d.value <= limit:
            continue
        original = prompt[d.start : d.end]
        m = re.match(r"(?P<n>.*?)(?P<sep>\s*-?\s*)(?P<unit>minutes?|mins?|seconds?|secs?|s)$", original, re.IGNORECASE)
        if m is None:
            continue  # "half a minute": no number to replace
        number = str(int(limit)) if m.group("n")[:1].isdigit() else word
        unit = m.group("unit")
        unit = {"minute": "second", "minutes": "seconds", "min": "s", "mins": "s"}.get(unit.lower(), unit)
        if m.group("sep").strip() == "-" or unit.lower() in ("second", "sec"):
            unit = "second" if unit.lower().startswith("sec") else unit
        elif unit.lower().startswith("sec") and limit != 1:
            unit = "seconds"
        edits.append((d.start, d.end, f"{number}{m.group('sep')}{unit}"))
    return _replace_spans(prompt, edits)


def regex(prompt: str, pattern: str, replacement: str) -> str:
    """Apply re.sub(pattern, replacement), case-insensitive, to the whole prompt."""
    return _tidy(re.sub(pattern, replacement, prompt, flags=re.IGNORECASE))


def keep_first_sentence_matching(prompt: str, pattern: str) -> str:
    """Among sentences matching pattern, keep the first and drop the rest."""
    seen = False
    kept = []
    for sentence in (prompt[a:b] for a, b in _sentences(prompt)):
        if re.search(pattern, sentence, flags=re.IGNORECASE):
            if seen:
                continue
            seen = True
        kept.append(sentence)
    return _tidy(" ".join(s.strip() for s in kept))


def append(prompt: str, text: str) -> str:
    """Append text at the end, before a final period."""
    body = prompt.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else ""
    if end:
        body = body[:-1]
    return _tidy(body + text + end)


def prepend(prompt: str, text: str) -> str:
    """Put text at the start."""
    return _tidy(text + prompt)


OPERATIONS: dict[str, Callable[..., str]] = {
    "shorten_spoken": shorten_spoken,
    "shorten_written": shorten_written,
    "drop_written": drop_written,
    "keep_first_spoken": keep_first_spoken,
    "cap_counts": cap_counts,
    "cap_durations": cap_durations,
    "regex": regex,
    "keep_first_sentence_matching": keep_first_sentence_matching,
    "append": append,
    "prepend": prepend,
}


def apply_ops(prompt: str, ops: list[dict[str, Any]]) -> str:
    """Return the prompt after each operation in turn."""
    for op in ops:
        params = {k: v for k, v in op.items() if k != "op"}
        prompt = OPERATIONS[op["op"]](prompt, **params)
    return prompt
