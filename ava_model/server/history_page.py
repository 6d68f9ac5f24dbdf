"""Server-rendered history page of one user (``/history?user=ID``), from ava_model.labels.history.

The markup is the template ``templates/history.html``, rendered by :func:`ava_model.server.pages.render`
(autoescaped); this module only lays out the bars of the weekly chart.
"""

from __future__ import annotations

from typing import Any

from ava_model.labels.history import UserHistory
from ava_model.server.pages import render

_BARS = (("scored", "#3949ab"), ("failed", "#c62828"))  # weekly count shown, bar colour
_WEEK_WIDTH = 60


def _weekly_chart(history: UserHistory) -> dict[str, Any]:
    """Return the geometry of the weekly SVG bar chart: prompts scored and failures reported per week.

    Parameters
    ----------
    history:
        The user's history; ``weekly`` holds one row per week.

    Returns
    -------
    dict
        ``width`` of the view box and ``weeks``: per week its label, ``x`` and its ``bars``
        (x, y, height, colour, key, value), heights scaled to the busiest week (100 units).
    """
    top = max((max(w["scored"], w["reported"]) for w in history.weekly), default=0) or 1
    weeks = []
    for i, w in enumerate(history.weekly):
        x = 10 + i * _WEEK_WIDTH
        bars = []
        for j, (key, colour) in enumerate(_BARS):
            height = round(100 * w[key] / top)
            bars.append({"x": x + j * 22, "y": 110 - height, "height": height, "colour": colour,
                         "key": key, "value": w[key]})
        weeks.append({"week": w["week"], "x": x, "bars": bars})
    return {"width": 20 + _WEEK_WIDTH * len(history.weekly), "weeks": weeks}


def history_page(history: UserHistory) -> str:
    """Return the HTML page of a user's history.

    Parameters
    ----------
    history:
        What the user scored and reported, from ``ava_model.labels.history.user_history``.

    Returns
    -------
    str
        The HTML page: counts, the weekly chart, observed against predicted rates, red prompts.
    """
    return render("history.html", history=history, chart=_weekly_chart(history), red_prompts=history.red_prompts[:20])
