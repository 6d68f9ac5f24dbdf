"""The ava command line: score with text and JSON output, clear one-line errors."""

from __future__ import annotations

import json

from ava_model.cli import main


def test_score_json(capsys):
    assert main(["score", "Seven red balloons float over a party table", "--platform", "Kling 1.6", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["platform"] == "kling" and out["light"] in ("green", "yellow", "red")
    assert set(out["risks"]) >= {"lip_sync", "object_count"}


def test_score_text(capsys):
    assert main(["score", "A sign that reads 'FRESH BREAD BAKED DAILY SINCE 1952'", "--platform", "veo-3"]) == 0
    out = capsys.readouterr().out
    assert "veo-3" in out and "text_rendering" in out


def test_errors_are_one_line_with_exit_code_2(capsys):
    assert main(["score", "a cat", "--platform", "dall-e"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ava: error: Unknown platform 'dall-e'") and "Traceback" not in err
    assert main(["score", "   ", "--platform", "kling"]) == 2
    assert "empty" in capsys.readouterr().err
