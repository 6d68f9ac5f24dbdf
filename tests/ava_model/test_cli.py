"""The ava command line: score with text and JSON output, clear one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

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


def test_score_escalate_fills_the_ticket(capsys):
    prompt = "A man says 'I have been here since the morning and nobody has told me anything at all about the delay'"
    assert main(["score", prompt, "--platform", "sora-2", "--escalate", "--generation-id", "gen_123", "--at", "0:04"]) == 0
    out = capsys.readouterr().out
    assert "gen_123" in out and "0:04" in out and "documentation strength" in out
    assert "why lip_sync" in out and "safer rewrite" in out


def test_score_file_writes_csv_and_jsonl(tmp_path, capsys):
    source = tmp_path / "prompts.csv"
    source.write_text("prompt,platform\nSeven balloons over a table,pika\n\"A sign that reads 'OPEN LATE'\",kling\n")
    out = tmp_path / "scored.csv"
    assert main(["score", "--file", str(source), "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    assert frame["platform"].tolist() == ["pika", "kling"] and frame["top_mode"].tolist()[0] == "object_count"
    jsonl = tmp_path / "scored.jsonl"
    assert main(["score", "--file", str(source), "--out", str(jsonl)]) == 0
    reports = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(reports) == 2 and "alternatives" in reports[0]
    source.write_text("prompt,platform\nok prompt,pika\n,kling\nother,dall-e\n")
    assert main(["score", "--file", str(source), "--out", str(tmp_path / "bad.csv"), "--strict"]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "line 4" in err and "nothing scored" in err
    assert not (tmp_path / "bad.csv").exists()


def test_batch_scoring_is_forgiving_and_loud(tmp_path, capsys):
    source = tmp_path / "prompts.csv"
    source.write_text("id,prompt,platform,user,colour\n1,Seven balloons over a table,,alice,red\n2,,kling,bob,blue\n"
                      "3,A dog runs on a beach,dall-e,bob,green\n4,A sign that reads 'OPEN',veo-3,,x\n")
    out = tmp_path / "scored.csv"
    assert main(["score", "--file", str(source), "--out", str(out), "--platform", "kling"]) == 0
    captured = capsys.readouterr()
    assert "Scored 2 prompts" in captured.out
    assert "ignored columns colour" in captured.err and "2 rows rejected" in captured.err
    scored = pd.read_csv(out)
    assert scored["id"].tolist() == [1, 4] and scored["platform"].tolist() == ["kling", "veo-3"]  # blank cell took --platform
    assert scored["user"].tolist()[0] == "alice"
    rejected = pd.read_csv(tmp_path / "scored.rejected.csv")
    assert rejected["line"].tolist() == [3, 4] and rejected["id"].tolist() == [2, 3]
    assert "empty" in rejected["reason"][0] and "dall-e" in rejected["reason"][1]
    # the example file in docs/ scores as documented
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "prompts.csv"
    assert main(["score", "--file", str(example), "--out", str(tmp_path / "ex.csv"), "--platform", "veo-3"]) == 0
    assert len(pd.read_csv(tmp_path / "ex.csv")) == 3


def test_score_help_lists_the_columns(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["score", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps the help text
    assert "prompt (required)" in out and "docs/examples/prompts.csv" in out


def test_explain_prints_the_reference_page(capsys):
    assert main(["explain", "object_count", "--platform", "Kling 1.6"]) == 0
    out = capsys.readouterr().out
    assert "Kling" in out and "Pick a different tool" in out and "Technical term" in out
    assert main(["explain", "teleport", "--platform", "kling"]) == 2
