"""Candidate spans of a prompt to mask when measuring which words drive a risk."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ava_model.features import count_mentions, quotes

_BREAK = re.compile(r"[,;:.!?()\[\]—–]|\s-\s|\b(?:and|while|as|then|but|with|before|after|until|where|who|which)\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9'’-]+")
MAX_SPANS = 10


@dataclass(frozen=True)
class Span:
    """Characters [start, end) of the prompt."""

    start: int
    end: int


def candidate_spans(prompt: str) -> list[Span]:
    """Return the spans to try removing: each quote with its marks, each count with its noun, each clause."""
    spans: list[Span] = []
    cuts: list[tuple[int, int]] = []
    for q in quotes(prompt):
        spans.append(Span(q.start - 1, q.end + 1))
        cuts.append((q.start - 1, q.end + 1))
    cuts += [m.span() for m in _BREAK.finditer(prompt)]
    for mention in count_mentions(prompt):
        end = mention.end
        for word in list(_WORD.finditer(prompt, mention.end))[:2]:  # "seven balloons", "seven red balloons"
            if prompt[end : word.start()].strip() or _BREAK.fullmatch(word.group()):
                break  # punctuation or a conjunction ends the noun phrase
            end = word.end()
            spans.append(Span(mention.start, end))
    start = 0
    for a, b in sorted(cuts) + [(len(prompt), len(prompt))]:
        if a < start:
            continue
        piece = prompt[start:a]
        if _WORD.search(piece):
            lead = len(piece) - len(piece.lstrip())
            spans.append(Span(start + lead, start + len(piece.rstrip())))
        start = b
    unique = list(dict.fromkeys(s for s in spans if s.end - s.start > 1 and (s.start, s.end) != (0, len(prompt))))
    # Long prompts: keep the longest spans (they carry most of the meaning) within the budget.
    if len(unique) > MAX_SPANS:
        unique = sorted(sorted(unique, key=lambda s: s.start - s.end)[:MAX_SPANS], key=lambda s: s.start)
    return unique


def remove_span(prompt: str, span: Span) -> str:
    """Return the prompt without the span, with spaces and dangling punctuation tidied."""
    text = prompt[: span.start] + " " + prompt[span.end :]
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])\s*(?=[,.;:!?]|$)", "", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ,;:")
    return text or prompt
