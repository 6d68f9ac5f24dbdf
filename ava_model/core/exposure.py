"""Exposure: how much of each mode's hard part a prompt asks for, measured with the rules in data/rules/exposure.yaml.

``measure(prompt)`` returns, per mode, a value in the mode's unit (seconds of on-screen
speech, characters of text, objects counted...), the spans that carry it, and whether a
negation removed it. ``embedding_text(prompt)`` is the prompt without its negation
phrases: the embedding cannot read "without speaking", so the topic heads never see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ava_model.rules.exposure import (
    Cue,
    ExposureRules,
    Factor,
    Measure,
    ModeExposureRules,
    load_exposure_rules,
    parse_exposure_rules,
)
from ava_model.text.numbers import NumberMention, durations, numbers, parse_number
from ava_model.text.quotes import quotes

_CLAUSE = re.compile(r"[,;:.!?\n]+|\s+(?=(?:and then|then|and|before|after that|after)\s)", re.IGNORECASE)
_STEP_NUMBER = re.compile(
    r"(?:(?:^|[,;:.\n(])\s*|\b(?:step|shot|beat|scene|part|count)\s+)(?P<n>\d{1,2})(?=[.):]?\s+[A-Za-z])"
    r"|(?:^|[,;:.\n]|\bcount)\s*(?P<w>one|two|three|four|five|six|seven|eight|nine|ten)(?=,)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[.;!?\n]+(?=\s|$)")
_SEPARATOR = re.compile(r"\s*(?:[,:]|(?:and|or|then|plus)\b)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?;]")
# One further item of a list: a separator, then a determiner or number and a few words ("the armchair", "a spoon"),
# after a place preposition where the list is of places ("behind the shed, under the porch, in the basket").
_LIST_ITEM = re.compile(
    r"\s*(?:,|:)?\s*(?:(?:and|or|then|plus|finally|and finally|and then)\s+)?"
    r"(?:(?:behind|under|underneath|beneath|into|in|inside|past|through|between|around|over|across|below)\s+)?"
    r"(?:a|an|the|his|her|its|their|my|our|your|one|two|three|four|five|six|another|each|every)\s+"
    r"[^\s,;:.!?\"'“”]+(?:\s+(?!and\b|or\b|then\b)[^\s,;:.!?\"'“”]+){0,1}(?=\s*(?:,|;|\band\b|\bor\b|\bthen\b|[.!?:]|$))",
    re.IGNORECASE,
)
# Numbers that are not object counts: lens, frame rate, resolution, ages, years, clock times, labels, repetitions.
_NOT_COUNT_AFTER = re.compile(
    r"\s*(?:-|\s)?(mm|fps|k\b|p\b|%|percent|x\b|years?|yrs?|-year|year-old|am\b|pm\b|o'clock|:\d|times\b|"
    r"degrees?|°|bars?\b|stars?\b|th\b|st\b|nd\b|rd\b|\s*of (the|them|us|those|these|his|her|their|its)\b)",
    re.IGNORECASE,
)
_NOT_COUNT_BEFORE = re.compile(
    r"(shot|step|beat|scene|take|part|chapter|act|number|no\.|#|age|aged|ages|from|to|at|version|v|season|episode|"
    r"round|level|page|track|channel|exit|route|platform|room|apollo|iphone|the year|no)\s*$",
    re.IGNORECASE,
)

__all__ = ["Exposure", "ExposureRules", "ExposureSpan", "embedding_text", "exposure_matrices", "exposure_matrix", "load_exposure_rules",
           "measure", "negation_matrix", "parse_exposure_rules", "read_prompt"]


@dataclass(frozen=True)
class ExposureSpan:
    """Characters [start, end) of the prompt that raised a mode's exposure, with what they added."""

    start: int
    end: int
    text: str
    what: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Exposure:
    """One mode's exposure in a prompt: the value in the mode's unit and where it came from."""

    mode: str
    value: float
    unit: str
    spans: tuple[ExposureSpan, ...] = field(default_factory=tuple)
    negated: bool = False
    negations: tuple[ExposureSpan, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {
            "mode": self.mode, "value": self.value, "unit": self.unit, "negated": self.negated,
            "spans": [s.to_dict() for s in self.spans], "negations": [s.to_dict() for s in self.negations],
        }


@dataclass
class _Reading:
    """Per-prompt facts every mode reads: quotes, durations, counts, sentences."""

    prompt: str
    quotes: list
    durations: list[NumberMention]
    counts: list[NumberMention]
    sentences: list[tuple[int, int]]
    clip_seconds: float | None


def _sentences(prompt: str, quoted: list[tuple[int, int]]) -> list[tuple[int, int]]:
    cuts = [m.end() for m in _SENTENCE.finditer(prompt) if not any(a <= m.start() < b for a, b in quoted)]
    bounds, start = [], 0
    for cut in cuts + [len(prompt)]:
        if cut > start:
            bounds.append((start, cut))
        start = cut
    return bounds or [(0, len(prompt))]


def _counts(prompt: str, blocked: list[tuple[int, int]]) -> list[NumberMention]:
    found = []
    for n in numbers(prompt):
        if any(a <= n.start < b for a, b in blocked) or n.value < 1 or n.value >= 10000:
            continue
        if 1800 <= n.value <= 2200 and prompt[n.start : n.end].isdigit():
            continue  # a year
        if _NOT_COUNT_AFTER.match(prompt, n.end) or _NOT_COUNT_BEFORE.search(prompt[max(0, n.start - 14) : n.start]):
            continue
        found.append(n)
    return found


def read_prompt(prompt: str) -> _Reading:
    """Return the facts about a prompt that every mode's exposure reads."""
    found = quotes(prompt)
    quoted = [(q.start - 1, q.end + 1) for q in found]
    spans_of_time = durations(prompt)
    blocked = quoted + [(d.start, d.end) for d in spans_of_time]
    stated = [d.value for d in spans_of_time]
    return _Reading(prompt, found, spans_of_time, _counts(prompt, blocked), _sentences(prompt, quoted),
                    max(stated) if stated else None)


def _near(items: list[NumberMention], start: int, end: int, window: int, before_only: bool = False) -> NumberMention | None:
    best = None
    for n in items:
        if n.start < end and start < n.end:
            gap = 0  # overlapping: "a couple of quick lines" holds the cue "lines"
        else:
            gap = start - n.end if n.end <= start else (n.start - end if not before_only else window + 1)
        if 0 <= gap <= window and (best is None or gap < best[0]):
            best = (gap, n)
    return best[1] if best else None


def _measure_value(m: Measure, r: _Reading, rules: ExposureRules) -> list[ExposureSpan]:
    p = r.prompt
    if m.kind == "spoken_quotes":
        return [ExposureSpan(q.start - 1, q.end + 1, p[q.start - 1 : q.end + 1], "quoted speech",
                             round(len(p[q.start : q.end].split()) / rules.speaking_rate_wps * m.per_unit, 3))
                for q in r.quotes if q.kind == "spoken"]
    if m.kind == "written_quotes":
        return [ExposureSpan(q.start - 1, q.end + 1, p[q.start - 1 : q.end + 1], "quoted text",
                             float(len(re.sub(r"\s", "", p[q.start : q.end]))) * m.per_unit)
                for q in r.quotes if q.kind == "written"]
    if m.kind == "counts":
        return [ExposureSpan(n.start, n.end, p[n.start : n.end], "count", n.value * m.per_unit) for n in r.counts]
    if m.kind == "actions":
        return _actions(m, r)
    if m.kind == "numbered_steps":
        return _numbered_steps(m, r)
    if r.clip_seconds is None:  # clip_seconds
        return []
    d = max(r.durations, key=lambda x: x.value)
    return [ExposureSpan(d.start, d.end, p[d.start : d.end], "clip length", d.value * m.per_unit)]


def _numbered_steps(m: Measure, r: _Reading) -> list[ExposureSpan]:
    """Return one span per step of the longest numbered run 1, 2, 3, ... ("1 chills the glass, 2 muddles ...").

    A step number opens a clause ("1. crack", "2) whisk", ", 3 adds ice") or follows step/shot/beat
    ("shot 4"); a number word counts only before a comma ("Count one, she rises; two, ..."), so
    "one man, two dogs" is not a run.
    """
    marks = []
    for match in _STEP_NUMBER.finditer(r.prompt):
        if any(q.start <= match.start() < q.end for q in r.quotes):
            continue
        group = "n" if match.group("n") else "w"
        marks.append((int(parse_number(match.group(group))), match.start(group), match.end(group)))
    run: list[tuple[int, int]] = []
    best: list[tuple[int, int]] = []
    for value, start, end in marks:
        if value == len(run) + 1:
            run = run + [(start, end)]
        elif value == 1:
            run = [(start, end)]
        best = max(best, run, key=len)
    if len(best) < 2:
        return []
    return [ExposureSpan(a, b, r.prompt[a:b], "numbered step", m.per_unit) for a, b in best]


def _actions(m: Measure, r: _Reading) -> list[ExposureSpan]:
    """Return one span per clause that opens with an action verb ("notices the open window", "then backs out")."""
    found, start = [], 0
    p = r.prompt
    inside = [(q.start - 1, q.end + 1) for q in r.quotes]
    cuts = [c.start() for c in _CLAUSE.finditer(p) if not any(a < c.start() < b for a, b in inside)]
    for cut in cuts + [len(p)]:  # a quote is part of its clause: its words are content, not steps
        piece = p[start:cut]
        offset = start + len(piece) - len(piece.lstrip(" ,;:.!?\n"))
        start = cut
        if any(q.start <= offset < q.end for q in r.quotes):
            continue
        match = m.pattern.match(p, offset, cut)
        if match and match.group("verb").lower() not in m.not_verbs:
            found.append(ExposureSpan(offset, cut, p[offset:cut].strip(), "action", m.per_unit))
    return found


def _list_end(prompt: str, end: int) -> tuple[int, int]:
    """Return (further items, end of the list) of a list that follows a cue ending at ``end``.

    The cue's own object ("steps behind *a tree*") is not a further item; each item after a
    separator (", the chair", "and the door") is.
    """
    items = 0
    first = _LIST_ITEM.match(prompt, end)
    if first and not _SEPARATOR.match(prompt, end):
        end = first.end()
    while (item := _LIST_ITEM.match(prompt, end)) and item.end() > end and _SEPARATOR.match(prompt, end):
        items, end = items + 1, item.end()
    return items, end


def _list_items(prompt: str, end: int, quoted: list[tuple[int, int]], max_words: int = 8) -> tuple[int, int]:
    """Return (items, end of the list) of a list a cue introduces ("in order: push off, ollie the stair, grind").

    The list runs from the cue to the end of its sentence; items are separated by commas or semicolons
    (a leading "and", "then", "finally" is dropped) and hold 1 to ``max_words`` words. Fewer than two
    items is no list (0).
    """
    match = _SENTENCE_END.search(prompt, end)
    stop = match.start() if match else len(prompt)
    while any(a <= stop < b for a, b in quoted):  # a full stop inside a quote does not end the list
        match = _SENTENCE_END.search(prompt, stop + 1)
        stop = match.start() if match else len(prompt)
    if any(end <= b and a < stop for a, b in quoted):
        return 0, end  # a quoted line after "line:" is speech or text, not a list of steps
    body = prompt[end:stop].lstrip(" :—-")
    items = [re.sub(r"^(?:and then|and finally|and|then|finally|plus)\s+", "", piece.strip(), flags=re.IGNORECASE)
             for piece in re.split(r"[,;]", body)]
    items = [item for item in items if item]
    if len(items) < 2 or any(len(item.split()) > max_words for item in items):
        return 0, end
    return len(items), stop


def _amounts(rule: ModeExposureRules, prompt: str) -> list[NumberMention]:
    found = []
    for amount in rule.amounts:
        for m in amount.pattern.finditer(prompt):
            n = parse_number(m.group("n")) if "n" in amount.pattern.groupindex and m.group("n") else 1.0
            found.append(NumberMention(m.start(), m.end(), n * amount.value))
    return found


def _cue_spans(cue: Cue, r: _Reading, rules: ExposureRules, amounts: list[NumberMention], scales: tuple[Factor, ...],
               skip_default: bool) -> list[ExposureSpan]:
    """Return the cue's spans: a stated duration or amount next to it wins over its default value.

    ``skip_default``: a measure of the cue's ``unless`` kind found something, so only a stated
    amount can still count (a quoted line says how long the speech is better than "says").
    """
    spans = []
    for match in cue.pattern.finditer(r.prompt):
        a, b = match.span()
        if b <= a or any(q.start <= a < q.end for q in r.quotes):
            continue  # words inside a quote are content, not instructions
        if cue.unless and any(0 <= q.start - 1 - b <= 3 and not _SENTENCE_END.search(r.prompt, b, q.start - 1)
                              for q in r.quotes):
            continue  # a speech verb right before a quote ("says 'OPEN'"): the quote's own kind and length count
        value, near = cue.value, None
        if cue.per == "duration":
            near = _near(r.durations, a, b, rules.cue_window_chars) or _near(amounts, a, b, rules.cue_window_chars)
        elif cue.per == "count":
            near = (_near(amounts, a, b, 0) or _near(r.counts, a, b, 24, before_only=True)
                    or _near(amounts, a, b, rules.cue_window_chars))  # "eight times" is read before an earlier "one"
        elif cue.per == "clip":
            value = (r.clip_seconds or rules.default_clip_seconds) * cue.per_unit
        if near is not None:  # the span names the number too: "a thirty-second speech", "five pans"
            value, a, b = near.value * cue.per_unit, min(a, near.start), max(b, near.end)
        elif skip_default:
            continue
        else:
            around = r.prompt[max(0, a - 25) : b + 15]  # "a short speech", "says a quick hi"
            for scale in scales:
                if scale.pattern.search(around):
                    value *= scale.factor
        if cue.listed == "further":
            items, b = _list_end(r.prompt, b)
            value *= 1 + items
        elif cue.listed == "items":
            items, end = _list_items(r.prompt, b, [(q.start - 1, q.end + 1) for q in r.quotes])
            if not items:
                continue  # a cue that introduces a list counts only with its list
            value, b = value * items, end
        spans.append(ExposureSpan(a, b, r.prompt[a:b], cue.name, float(value)))
    if not cue.repeat and spans:
        return [max(spans, key=lambda s: s.value)]  # more words never lower a cue's reading
    return spans


def _one_reading_per_phrase(found: list[tuple[str, bool, ExposureSpan]]) -> list[tuple[str, bool, ExposureSpan]]:
    """Drop a span that overlaps a higher-valued span of the same group ("dolly zoom" is one move, not three)."""
    kept: list[tuple[str, bool, ExposureSpan]] = []
    for item in sorted(found, key=lambda f: (-f[2].value, f[2].start)):
        group, _, span = item
        if not any(g == group and s.start < span.end and span.start < s.end for g, _, s in kept):
            kept.append(item)
    return sorted(kept, key=lambda f: f[2].start)


def _mode_exposure(rule: ModeExposureRules, r: _Reading, rules: ExposureRules) -> Exposure:
    negations = [ExposureSpan(m.start(), m.end(), m.group(), "negation", 0.0)
                 for pat in rule.negations for m in pat.finditer(r.prompt) if m.end() > m.start()]
    negated = [(a, b) for a, b in r.sentences if any(a <= n.start < b for n in negations)]
    # (group, adds up, span): quotes and counts always add (two lines, more objects); cues add only with repeat.
    readings = [(m, _measure_value(m, r, rules)) for m in rule.measures]
    found = [(m.group, True, s) for m, spans in readings for s in spans]
    measured = {m.kind for m, spans in readings if spans}
    amounts = _amounts(rule, r.prompt)
    found += [(c.group, c.repeat, s) for c in rule.cues
              for s in _cue_spans(c, r, rules, amounts, rule.scales, c.unless in measured)]
    found = _one_reading_per_phrase([f for f in found if not any(a <= f[2].start < b for a, b in negated)])
    # Per group: the sum of the readings that add up, or the largest other reading if that is more. The
    # order of the words does not matter.
    sums: dict[str, float] = {}
    largest: dict[str, float] = {}
    for group, adds, span in found:
        if adds:
            sums[group] = sums.get(group, 0.0) + span.value
        else:
            largest[group] = max(largest.get(group, 0.0), span.value)
    groups = {g: max(sums.get(g, 0.0), largest.get(g, 0.0)) for g in set(sums) | set(largest)}
    total = (max(groups.values(), default=0.0) if rule.combine == "max" else sum(groups.values()))
    if rule.requires is not None and not rule.requires.search(r.prompt):
        total, found = 0.0, []  # no subject the mode can fail on ("the camera orbits a pyramid": no identity)
    kept = [span for _, _, span in found if span.value > 0]
    if total > 0:
        for mult in rule.multipliers:
            match = mult.pattern.search(r.prompt)
            if match and not any(a <= match.start() < b for a, b in negated):
                total *= mult.factor
                kept.append(ExposureSpan(match.start(), match.end(), match.group(), mult.name, mult.factor))
    return Exposure(rule.mode, round(float(total), 4), rule.unit, tuple(sorted(kept, key=lambda s: s.start)),
                    bool(negations) and total == 0, tuple(negations))


_MEMO_SIZE = 4096


def measure(prompt: str, rules: ExposureRules | None = None) -> dict[str, Exposure]:
    """Return {mode id: Exposure} for one prompt (the rules remember the last few thousand prompts)."""
    rules = rules or load_exposure_rules()
    memo = rules.memo
    found = memo.get(prompt)
    if found is None:
        reading = read_prompt(prompt)
        found = {mode: _mode_exposure(rule, reading, rules) for mode, rule in rules.modes.items()}
        if len(memo) >= _MEMO_SIZE:
            memo.clear()  # a new batch of prompts: start over rather than track recency
        memo[prompt] = found
    return dict(found)


def exposure_matrices(prompts: list[str], modes: tuple[str, ...],
                      rules: ExposureRules | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return two (n, k) arrays, columns in ``modes`` order: the exposures, and 1 where the prompt negates the mode."""
    rules = rules or load_exposure_rules()
    values, negated = np.zeros((len(prompts), len(modes))), np.zeros((len(prompts), len(modes)))
    for i, prompt in enumerate(prompts):
        found = measure(prompt, rules)
        values[i] = [found[m].value for m in modes]
        negated[i] = [float(found[m].negated) for m in modes]
    return values, negated


def exposure_matrix(prompts: list[str], modes: tuple[str, ...], rules: ExposureRules | None = None) -> np.ndarray:
    """Return an (n, k) array of exposures, columns in ``modes`` order."""
    return exposure_matrices(prompts, modes, rules)[0]


def negation_matrix(prompts: list[str], modes: tuple[str, ...], rules: ExposureRules | None = None) -> np.ndarray:
    """Return an (n, k) array of 0/1: 1 where the prompt negates the mode and asks for none of it ("silent", "no text")."""
    return exposure_matrices(prompts, modes, rules)[1]


def embedding_text(prompt: str, rules: ExposureRules | None = None) -> str:
    """Return the prompt as the topic heads read it: every object count as ``embedded_count``, no negation phrase.

    How many objects a prompt asks for is read by the exposure; the embedding, which reads "35" and "37"
    as unrelated tokens, sees one number, so more objects can never read as less on-topic.
    """
    rules = rules or load_exposure_rules()
    counts = read_prompt(prompt).counts
    for n in sorted(counts, key=lambda c: -c.start):  # right to left: earlier offsets stay valid
        prompt = prompt[: n.start] + rules.embedded_count + prompt[n.end :]
    pattern = rules.negation_pattern
    if pattern is None or not pattern.search(prompt):
        return prompt
    text = pattern.sub(" ", prompt)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])\s*(?=[,.;:!?]|$)", "", text)
    text = re.sub(r"\s{2,}", " ", text).strip(" ,;:")
    return text or prompt
