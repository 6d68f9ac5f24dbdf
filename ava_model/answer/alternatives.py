"""Platform alternatives: every platform ranked by its highest risk for the prompt, unsuitable ones last."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ava_model.answer.report import Alternative
from ava_model.answer.rewrite import risk_dict
from ava_model.rules.taxonomy import Rules

if TYPE_CHECKING:
    from ava_model.core.model import AvaModel


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
        row = risk_dict(model.modes, risks[i])
        top = max(row, key=row.__getitem__)
        flag = rules.cannot_generate(pid, needs)
        reason = f"{platform.name}: {focus_mode} {risks[i, focus]:.2f} vs {risks[here, focus]:.2f} on {current_name}"
        items.append(Alternative(pid, platform.name, row[top], rules.thresholds.light(row[top]), top, row, reason,
                                 flag is not None, flag))
    return tuple(sorted(items, key=lambda a: (a.flagged, a.max_risk, a.platform)))
