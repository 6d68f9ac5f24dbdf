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


def test_score_text_prints_the_json_driver_deltas_with_their_sign(capsys):
    import re

    from ava_model.answer.render import format_delta

    prompt = "A man says 'I have been here since the morning and nobody has told me anything at all about the delay'"
    assert main(["score", prompt, "--platform", "sora-2", "--json"]) == 0
    drivers = json.loads(capsys.readouterr().out)["drivers"]["lip_sync"]
    assert main(["score", prompt, "--platform", "sora-2"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "why lip_sync" in line)
    assert line.strip().startswith("why lip_sync (risk each phrase adds):")
    assert re.findall(r" adds ([+−-]\d+\.\d+)", line) == [format_delta(d["delta"]) for d in drivers]
    assert all(format_delta(d["delta"]).startswith("+") for d in drivers)


def _one_logged_prompt(user: str) -> None:
    from ava_model.answer.report import RiskReport
    from ava_model.labels import score_log

    score_log.append(RiskReport("A cat sits on a mat", "veo-3", {"physics": 0.1}, "green", "physics", {"physics": 0.2},
                                "test"), user)


def test_history_without_a_score_log_says_how_to_record_one(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AVA_SCORE_LOG", raising=False)
    monkeypatch.setenv("AVA_LABEL_STORE", str(tmp_path / "labels.db"))  # no store: no reported outcomes
    assert main(["history", "--user", "alice"]) == 0
    out = capsys.readouterr().out
    assert "0 prompts scored" in out and "0 outcomes reported" in out
    assert "AVA_SCORE_LOG is not set" in out and "export AVA_SCORE_LOG=" in out and "--user alice" in out
    missing = tmp_path / "scores.jsonl"
    assert main(["history", "--user", "alice", "--log", str(missing)]) == 0
    assert f"The score log {missing} does not exist yet" in capsys.readouterr().out
    assert main(["history", "--user", "alice", "--log", str(missing), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["scored"] == 0  # stdout stays JSON; the note goes to stderr
    assert captured.err.startswith("ava: note: The score log")


def test_history_counts_are_pluralised(tmp_path, monkeypatch, capsys):
    log = tmp_path / "scores.jsonl"
    monkeypatch.setenv("AVA_SCORE_LOG", str(log))
    monkeypatch.setenv("AVA_LABEL_STORE", str(tmp_path / "labels.db"))
    _one_logged_prompt("alice")
    assert main(["history", "--user", "alice"]) == 0
    out = capsys.readouterr().out
    assert "History of alice: 1 prompt scored" in out and "0 outcomes reported" in out and "AVA_SCORE_LOG" not in out
    _one_logged_prompt("alice")
    assert main(["history", "--user", "alice"]) == 0
    assert "2 prompts scored" in capsys.readouterr().out
    assert main(["history", "--user", "bob"]) == 0  # the log is there, but holds none of bob's prompts
    assert f"The score log {log} holds no prompts of user 'bob'" in capsys.readouterr().out


def test_train_never_overwrites_the_shipped_model_unless_asked(capsys):
    from ava_model.cli import build_parser, main
    from ava_model.persistence.artifact import default_artifact_dir

    out = Path(build_parser().parse_args(["train"]).out)
    assert out.parts[-3:] == (".cache", "models", "latest") and out.resolve() != default_artifact_dir().resolve()
    before = {p.name: p.stat().st_mtime_ns for p in default_artifact_dir().iterdir()}
    assert main(["train", "--out", str(default_artifact_dir()), "--no-track"]) == 2
    err = capsys.readouterr().err
    assert "is a shipped model" in err and "make ship-model" in err
    assert {p.name: p.stat().st_mtime_ns for p in default_artifact_dir().iterdir()} == before
    static = default_artifact_dir().parent / "static"  # the static-embedder model is guarded the same way
    before = {p.name: p.stat().st_mtime_ns for p in static.iterdir()}
    assert main(["train", "--out", str(static), "--no-track"]) == 2
    assert "make ship-static-model" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in static.iterdir()} == before
