"""The verified rewrite: candidate edits from the mode's strategies, a shortlist to re-score, the safest kept.

A rewrite is shown only with its full re-score: the candidate is embedded and scored like any
prompt, and it must keep the meaning (similarity and every quoted line) unless it is offered as an
explicit trade-off that names what it drops.
"""

from __future__ import annotations

import numpy as np

from ava_model.answer.report import Rewrite
from ava_model.answer.rewrite_ops import apply_ops
from ava_model.text.quotes import quotes
from ava_model.rules.playbook import DEFAULT_LIMITS, Strategy
from ava_model.rules.taxonomy import Rules


def rewrite_candidates(prompt: str, strategies: tuple[Strategy, ...],
                       limit: int = DEFAULT_LIMITS.max_candidates) -> list[tuple[str, tuple[Strategy, ...]]]:
    """Return distinct edited prompts: each strategy alone, all of them together, then pairs; at most ``limit``."""
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
            if len(found) >= limit:
                break
            combined = apply_ops(text, list(second.ops))
            if combined and combined != prompt:
                found.setdefault(combined, (first, second))
    return list(found.items())[:limit]


def rewrite_shortlist(prompt: str, candidates: list[tuple[str, tuple[Strategy, ...]]], mode_index: int, before: float,
                      estimate: np.ndarray, budget: int,
                      min_gain: float = DEFAULT_LIMITS.min_gain) -> list[int]:
    """Return the indices of the rewrite candidates to re-score in full, at most ``budget``.

    The estimate (the prompt's own embedding, the candidate's exposure) sees an exposure cut but not
    a change of meaning. Half the budget goes to its largest drops of the mode's risk; the rest to
    the candidates that change the fewest words among those it sees lowering the risk at all, then
    among the others: they are the likeliest to keep the meaning.
    """
    drop = before - estimate[:, mode_index] if len(candidates) else np.zeros(0)
    changed = [sum(len(c) for c in changes_between(prompt, text)) for text, _ in candidates]
    by_drop = sorted(range(len(candidates)), key=lambda i: (-drop[i], i))
    by_small_change = sorted(range(len(candidates)), key=lambda i: (drop[i] < min_gain, changed[i], i))
    picked: list[int] = []
    for source in (by_drop[: (budget + 1) // 2], by_small_change):
        for i in source:
            if len(picked) < budget and i not in picked:
                picked.append(i)
    return sorted(picked)


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
    candidates_considered: int | None = None, min_gain: float = DEFAULT_LIMITS.min_gain,
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
    lowers = [i for i in range(len(candidates)) if before - float(risks[i, j]) >= min_gain]
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
    row = risk_dict(modes, risks[best])
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


def risk_dict(modes: tuple[str, ...], row: np.ndarray) -> dict[str, float]:
    """Return {mode: risk rounded to 4 places} of one row of risks in ``modes`` order."""
    return {m: round(float(r), 4) for m, r in zip(modes, row)}
