"""Candidate spans of a prompt to mask when measuring which words drive a risk."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ava_model.core.features import count_mentions, quotes
from ava_model.core.exposure import measure
from ava_model.rules.playbook import DEFAULT_LIMITS

_BREAK = re.compile(r"[,;:.!?()\[\]—–]|\s-\s|\b(?:and|while|as|then|but|with|before|after|until|where|who|which)\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9'’-]+")


@dataclass(frozen=True)
class Span:
    """Characters [start, end) of the prompt."""

    start: int
    end: int


def candidate_spans(prompt: str, max_spans: int = DEFAULT_LIMITS.max_spans,
                    max_exposure_spans: int = DEFAULT_LIMITS.max_exposure_spans) -> list[Span]:
    """Return the spans to try removing: each quote with its marks, each count with its noun, each clause.

    At most ``max_spans``, of which up to ``max_exposure_spans`` are the words that carry exposure.
    """
    spans: list[Span] = []
    cuts: list[tuple[int, int]] = []
    for q in quotes(prompt):
        spans.append(Span(q.start - 1, q.end + 1))
        cuts.append((q.start - 1, q.end + 1))
    inside = [(q.start, q.end) for q in quotes(prompt)]
    cuts += [m.span() for m in _BREAK.finditer(prompt) if not any(a <= m.start() < b for a, b in inside)]  # a quote is one span
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
    # The words that carry exposure, most exposure first: a driver can then name "thirty-second" or "seventeen".
    exposure = sorted(((x.value, Span(x.start, x.end)) for e in measure(prompt).values() for x in e.spans
                       if x.what not in ("negation", "action")), key=lambda vs: -vs[0])  # actions are clauses already
    valid = lambda s: s.end - s.start > 1 and (s.start, s.end) != (0, len(prompt))  # noqa: E731
    carried = list(dict.fromkeys(s for _, s in exposure if valid(s)))[:max_exposure_spans]
    unique = [s for s in dict.fromkeys(s for s in spans if valid(s)) if s not in carried]
    # Long prompts: keep the longest other spans (they carry most of the meaning) within the budget.
    unique = sorted(unique, key=lambda s: s.start - s.end)[: max(max_spans - len(carried), 0)]
    return sorted(carried + unique, key=lambda s: (s.start, s.end))


def remove_span(prompt: str, span: Span) -> str:
    """Return the prompt without the span, with spaces and dangling punctuation tidied."""
    text = prompt[: span.start] + " " + prompt[span.end :]
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])\s*(?=[,.;:!?]|$)", "", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ,;:")
    return text or prompt
