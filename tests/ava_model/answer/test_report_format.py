"""One sign convention for driver deltas: the risk a phrase adds, signed, with the JSON's decimals everywhere."""

from __future__ import annotations

import json
import re

from ava_model.answer.render import DELTA_DECIMALS, format_delta
from ava_model.answer.report import Driver, RiskReport

PROMPT = "Seven red balloons float over a party table"


def _report(delta: float = 0.386) -> RiskReport:
    return RiskReport(
        prompt=PROMPT, platform="pika", risks={"object_count": 0.62, "physics": 0.1}, light="yellow",
        top_mode="object_count", exercise={"object_count": 0.9, "physics": 0.2}, model_version="test",
        drivers={"object_count": (Driver("Seven red balloons", 0, 18, delta), Driver("party table", 32, 43, 0.05))},
    )


def test_format_delta_is_signed_with_the_json_decimals():
    assert DELTA_DECIMALS == 3
    assert format_delta(0.386) == "+0.386"
    assert format_delta(0.05) == "+0.050"
    assert format_delta(0.3864) == "+0.386"


def test_terminal_json_and_notebook_print_the_same_signed_delta():
    report = _report()
    assert json.loads(report.to_json())["drivers"]["object_count"][0]["delta"] == 0.386
    text = report.render()
    line = next(line for line in text.splitlines() if line.strip().startswith("why object_count"))
    assert "(risk each phrase adds)" in line
    assert "'Seven red balloons' adds +0.386" in line and "'party table' adds +0.050" in line
    assert "(-" not in line and "−" not in line  # no minus sign next to a positive JSON delta
    html = report._repr_html_()
    assert "<mark>Seven red balloons</mark> adds +0.386" in html and "−" not in html


def test_shipped_drivers_are_rounded_to_the_printed_decimals(shipped_predictor):
    report = shipped_predictor.predict(
        "A man says 'I have been here since the morning and nobody has told me anything at all about the delay'",
        "sora-2")
    drivers = [d for ds in report.drivers.values() for d in ds]
    assert drivers
    for d in drivers:
        assert d.delta > 0 and round(d.delta, DELTA_DECIMALS) == d.delta
    printed = re.findall(r" adds ([+−-]\d+\.\d+)", report.render())
    assert printed == [format_delta(d.delta) for d in drivers]
