"""The product answer around the risks: drivers, a verified rewrite, platform alternatives, escalation kit.

Everything is measured with the model: drivers by removing spans and re-scoring, the
rewrite by re-scoring every candidate. All masked prompts and candidates of one
prompt go through the embedder in one batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ava_model.core.features import quotes
from ava_model.rules.playbook import Playbook, Strategy
from ava_model.answer.report import Alternative, Driver, EscalationKit, Rewrite
from ava_model.answer.rewrite_ops import apply_ops
from ava_model.rules.taxonomy import Rules
from ava_model.answer.spans import Span

if TYPE_CHECKING:
    from ava_model.core.model import AvaModel

MAX_CANDIDATES = 8
MAX_DRIVERS = 3
MIN_DRIVER_DELTA = 0.005
MIN_GAIN = 0.01


def rewrite_candidates(prompt: str, strategies: tuple[Strategy, ...]) -> list[tuple[str, tuple[Strategy, ...]]]:
    """Return distinct edited prompts: each strategy alone, all of them together, then pairs; at most MAX_CANDIDATES."""
    found: dict[str, tuple[Strategy, ...]] = {}
    singles = []
    for s in strategies:
        text = apply_ops(prompt, list(s.ops))
        if text and text != prompt:
            singles.append((s, text))
            found.setdefault(text, (s,))
    if len(singles) > 2:
        combined = prompt
        for s, _ in singles:
            combined = apply_ops(combined, list(s.ops))
        found.setdefault(combined, tuple(s for s, _ in singles))
    for i, (first, text) in enumerate(singles):
        for second, _ in singles[i + 1 :]:
            if len(found) >= MAX_CANDIDATES:
                break
            combined = apply_ops(text, list(second.ops))
            if combined and combined != prompt:
                found.setdefault(combined, (first, second))
    return list(found.items())[:MAX_CANDIDATES]


def _risk_dict(modes: tuple[str, ...], row: np.ndarray) -> dict[str, float]:
    return {m: round(float(r), 4) for m, r in zip(modes, row)}


def driver_shortlist(spans: list[Span], base: np.ndarray, estimate: np.ndarray, chosen: list[int],
                     budget: int) -> list[int]:
    """Return the indices of the masked spans to re-score with their own embedding, at most ``budget``.

    Half the budget goes to the spans whose removal lowers the chosen modes' risk most by the
    estimate (the prompt's embedding with the span's exposure removed: right for the words that
    carry exposure), half to the longest spans (clauses: what they carry is in the embedding).
    """
    if not spans:
        return []
    drop = (base[chosen] - estimate[:, chosen]).max(axis=1) if chosen else np.zeros(len(spans))
    by_drop = [int(i) for i in np.argsort(-drop, kind="stable")]
    by_length = sorted(range(len(spans)), key=lambda i: (spans[i].start - spans[i].end, i))
    picked: list[int] = []
    for source in (by_drop[: (budget + 1) // 2], by_length, by_drop):
        for i in source:
            if len(picked) < budget and i not in picked:
                picked.append(i)
    return sorted(picked)


def rewrite_shortlist(prompt: str, candidates: list[tuple[str, tuple[Strategy, ...]]], mode_index: int, before: float,
                      estimate: np.ndarray, budget: int) -> list[int]:
    """Return the indices of the rewrite candidates to re-score in full, at most ``budget``.

    The estimate (the prompt's own embedding, the candidate's exposure) sees an exposure cut but not
    a change of meaning. Half the budget goes to its largest drops of the mode's risk; the rest to
    the candidates that change the fewest words among those it sees lowering the risk at all, then
    among the others: they are the likeliest to keep the meaning.
    """
    drop = before - estimate[:, mode_index] if len(candidates) else np.zeros(0)
    changed = [sum(len(c) for c in changes_between(prompt, text)) for text, _ in candidates]
    by_drop = sorted(range(len(candidates)), key=lambda i: (-drop[i], i))
    by_small_change = sorted(range(len(candidates)), key=lambda i: (drop[i] < MIN_GAIN, changed[i], i))
    picked: list[int] = []
    for source in (by_drop[: (budget + 1) // 2], by_small_change):
        for i in source:
            if len(picked) < budget and i not in picked:
                picked.append(i)
    return sorted(picked)


def drivers_from(prompt: str, spans: list[Span], base: np.ndarray, masked: np.ndarray, modes: tuple[str, ...],
                 chosen: list[int]) -> dict[str, tuple[Driver, ...]]:
    """Return, per chosen mode index, the spans whose removal lowers that mode's risk most."""
    result = {}
    for j in chosen:
        deltas = base[j] - masked[:, j]
        order = [i for i in np.argsort(-deltas) if deltas[i] > MIN_DRIVER_DELTA][:MAX_DRIVERS]
        result[modes[j]] = tuple(
            Driver(prompt[spans[i].start : spans[i].end], spans[i].start, spans[i].end, round(float(deltas[i]), 4))
            for i in order
        )
    return result


def changes_between(original: str, rewritten: str) -> tuple[str, ...]:
    """Return what a rewrite cuts or replaces, word runs in the prompt's own words ("drops 'then tilts up'")."""
    import difflib

    a, b = original.split(), rewritten.split()
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        old, new = " ".join(a[i1:i2]).strip(",.;:"), " ".join(b[j1:j2]).strip(",.;:")
        if tag == "delete" and old:
            changes.append(f"drops '{old}'")
        elif tag == "replace" and old:
            changes.append(f"'{old}' -> '{new}'")
        elif tag == "insert" and new:
            changes.append(f"adds '{new}'")
    return tuple(changes)


def _drops_quote(quoted: list[str], candidate: str) -> bool:
    """Return True when a quoted text of the prompt lost its first words in the candidate (removed, not shortened)."""
    return any(" ".join(text.split()[:2]) not in candidate for text in quoted if text.split())


def choose_rewrite(
    mode: str, modes: tuple[str, ...], base: np.ndarray, candidates: list[tuple[str, tuple[Strategy, ...]]],
    risks: np.ndarray, similarity: np.ndarray, threshold: float, rules: Rules, prompt: str,
    candidates_considered: int | None = None,
) -> Rewrite:
    """Return the candidate that lowers ``mode``'s risk most with the meaning kept, else an explicit trade-off, or why none did.

    A candidate keeps the meaning when its similarity to the prompt is at least ``threshold``. When
    none of those lowers the risk but one below the threshold does, that one is returned as a
    trade-off (``trade_off=True``), its ``changes`` naming what it drops.
    """
    j = modes.index(mode)
    before = float(base[j])
    considered = len(candidates) if candidates_considered is None else candidates_considered
    if not candidates:
        return Rewrite(False, mode, f"No rewrite strategy for {mode} applies to this prompt.", risk_before=before)
    lowers = [i for i in range(len(candidates)) if before - float(risks[i, j]) >= MIN_GAIN]
    quoted = [prompt[q.start : q.end] for q in quotes(prompt)]
    # Meaning kept: similar enough, and every quoted line or sign text still there (shortened at most).
    kept = [i for i in lowers if similarity[i] >= threshold and not _drops_quote(quoted, candidates[i][0])]
    if not lowers:
        return Rewrite(False, mode, f"No candidate lowered the {mode} risk.", risk_before=before,
                       candidates_scored=considered)
    trade_off = not kept
    best = min(kept or lowers, key=lambda i: (round(float(risks[i, j]), 2), -similarity[i]))
    after = float(risks[best, j])
    text, strategies = candidates[best]
    row = _risk_dict(modes, risks[best])
    top = max(row, key=row.__getitem__)
    changes = changes_between(prompt, text)
    message = f"{mode} risk {before:.2f} -> {after:.2f} (similarity {similarity[best]:.2f})."
    if trade_off:
        message = (f"Trade-off: no rewrite that keeps the whole meaning lowers the {mode} risk; this one does "
                   f"({before:.2f} -> {after:.2f}, similarity {similarity[best]:.2f}) and it "
                   + "; ".join(changes or ("changes the wording",)) + ".")
    return Rewrite(
        helped=True,
        mode=mode,
        message=message,
        prompt=text,
        strategies=tuple(s.id for s in strategies),
        advice=tuple(s.description for s in strategies),
        similarity=round(float(similarity[best]), 4),
        risks=row,
        light=rules.thresholds.light(row[top]),
        top_mode=top,
        risk_before=round(before, 4),
        risk_after=round(after, 4),
        candidates_scored=considered,
        changes=changes,
        trade_off=trade_off,
    )


def alternatives_for(model: AvaModel, rules: Rules, features: np.ndarray, exercise: np.ndarray,
                     platform_id: str) -> tuple[Alternative, ...]:
    """Return every platform ranked by its highest risk for this prompt; unsuitable platforms flagged, last.

    ``features`` is the prompt's (1, d) model input row, ``exercise`` its P(exercises mode) per mode.
    """
    ids = list(rules.platform_ids)
    risks = model.risk_across_platforms(features, ids)
    here = ids.index(platform_id)
    focus = int(np.argmax(risks[here]))
    focus_mode = model.modes[focus]
    needs = [m for j, m in enumerate(model.modes) if exercise[j] >= 0.5]  # the modes this prompt exercises
    current_name = rules.platform(platform_id).name
    items = []
    for i, pid in enumerate(ids):
        platform = rules.platform(pid)
        row = _risk_dict(model.modes, risks[i])
        top = max(row, key=row.__getitem__)
        flag = rules.cannot_generate(pid, needs)
        reason = f"{platform.name}: {focus_mode} {risks[i, focus]:.2f} vs {risks[here, focus]:.2f} on {current_name}"
        items.append(Alternative(pid, platform.name, row[top], rules.thresholds.light(row[top]), top, row, reason,
                                 flag is not None, flag))
    return tuple(sorted(items, key=lambda a: (a.flagged, a.max_risk, a.platform)))


def escalation_kit(prompt: str, platform_id: str, mode: str, rules: Rules, playbook: Playbook,
                   generation_id: str | None = None, timestamp: str | None = None) -> EscalationKit:
    """Return the escalation kit of a mode on a platform, its ticket filled with what is known."""
    failure, platform = rules.mode(mode), rules.platform(platform_id)
    rule = playbook.escalation_for(mode, platform_id)
    ticket = rule.ticket_template.format(
        platform_name=platform.name,
        generation_id=generation_id or "<generation id>",
        timestamp=timestamp or "<m:ss where it first appears>",
        prompt=prompt,
        technical_term=failure.technical_term,
        mode_name=failure.name,
        symptoms="\n".join(f"- {s}" for s in failure.symptoms),
        evidence_list="\n".join(f"- {e}" for e in rule.evidence),
    )
    return EscalationKit(
        mode=mode,
        technical_term=failure.technical_term,
        evidence=rule.evidence,
        ticket=ticket,
        support_channel=platform.support_channel,
        support_contact=platform.support_contact,
        documentation_strength=rule.documentation_strength,
        strength_reason=rule.strength_reason,
        caveat=playbook.caveat,
        refund_policy=platform.refund_policy,
    )
