"""Drivers: the words of the prompt whose removal lowers a mode's risk most, measured with the model."""

from __future__ import annotations

import numpy as np

from ava_model.answer.render import DELTA_DECIMALS
from ava_model.answer.report import Driver
from ava_model.answer.spans import Span
from ava_model.rules.playbook import DEFAULT_LIMITS, ExplainLimits


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


def drivers_from(prompt: str, spans: list[Span], base: np.ndarray, masked: np.ndarray, modes: tuple[str, ...],
                 chosen: list[int], limits: ExplainLimits = DEFAULT_LIMITS) -> dict[str, tuple[Driver, ...]]:
    """Return, per chosen mode index, the spans whose removal lowers that mode's risk most."""
    result = {}
    for j in chosen:
        deltas = base[j] - masked[:, j]
        order = [i for i in np.argsort(-deltas) if deltas[i] > limits.min_driver_delta][: limits.max_drivers]
        result[modes[j]] = tuple(
            Driver(prompt[spans[i].start : spans[i].end], spans[i].start, spans[i].end,
                   round(float(deltas[i]), DELTA_DECIMALS))
            for i in order
        )
    return result
