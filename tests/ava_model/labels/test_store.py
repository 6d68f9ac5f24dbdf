"""The label store: validated, idempotent, append-only, safe under concurrent writers and crashes."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

from ava_model.cli import main
from ava_model.errors import LabelValidationError
from ava_model.labels.store import LabelStore, record

PROMPT = "A man says 'I have been here since the morning and nobody told me anything' to camera"


def test_record_validates_and_writes_nothing_on_error(tmp_path):
    store = LabelStore(tmp_path / "labels.db")
    with pytest.raises(LabelValidationError, match="field 'mode'.*lip_sync"):
        record(PROMPT, "sora-2", "lipsync", True, store=store)
    with pytest.raises(LabelValidationError, match="field 'platform'.*sora-2"):
        record(PROMPT, "sora 9", "lip_sync", True, store=store)
    with pytest.raises(LabelValidationError, match="field 'prompt'"):
        record("   ", "sora-2", "lip_sync", True, store=store)
    with pytest.raises(LabelValidationError, match="field 'at_second'"):
        record(PROMPT, "sora-2", "lip_sync", True, at_second=-3, store=store)
    rows = [{"prompt": PROMPT, "platform": "kling", "mode": "lip_sync", "label": 1, "source": "user", "weight": 1,
             "labelled_at": "2026-11-20"},
            {"prompt": PROMPT, "platform": "kling", "mode": "telepathy", "label": 1, "source": "user", "weight": 1,
             "labelled_at": "2026-11-20"}]
    with pytest.raises(LabelValidationError, match="row 2"):
        store.add(rows)
    assert store.rows().empty  # the valid first row was not written either


def test_duplicates_are_idempotent_and_corrections_supersede(tmp_path):
    store = LabelStore(tmp_path / "labels.db")
    assert record(PROMPT, "Sora 2", "lip_sync", True, generation_id="g1", at_second=4.0, store=store).inserted == 1
    assert record(PROMPT, "sora-2", "lip_sync", True, generation_id="g1", at_second=4.0, store=store).duplicates == 1
    fix = record(PROMPT, "sora-2", "lip_sync", False, generation_id="g1", store=store)
    assert fix.corrections == 1
    current = store.rows()
    assert current["label"].tolist() == [0.0] and len(store.rows(include_superseded=True)) == 2
    assert store.training_rows()["platform"].tolist() == ["sora-2"]
    count, digest = store.digest()
    assert count == 2 and len(digest) == 64
    record(PROMPT, "kling", "text_rendering", True, store=store)
    assert store.digest() != (count, digest)
    stats = store.stats()
    assert stats["rows"] == 2 and stats["superseded"] == 1 and stats["by_mode"] == {"lip_sync": 1, "text_rendering": 1}


def _write_many(path: str, worker: int, n: int) -> None:
    store = LabelStore(path)
    for i in range(n):
        record(f"prompt {worker}-{i} of a dog running", "kling", "physics", i % 2 == 0,
               generation_id=f"w{worker}-{i}", store=store)


def test_four_processes_write_a_thousand_labels(tmp_path):
    path = str(tmp_path / "labels.db")
    LabelStore(path)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(path, w, 250)) for w in range(4)]
    started = time.perf_counter()
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=300)
        assert p.exitcode == 0
    print(f"1000 labels from 4 processes in {time.perf_counter() - started:.1f} s")
    rows = LabelStore(path).rows()
    assert len(rows) == 1000
    assert rows["generation_id"].nunique() == 1000
    with LabelStore(path)._connect() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


_CRASHING_WRITER = """
import sys
from ava_model.labels.store import LabelStore, record
store = LabelStore(sys.argv[1])
i = 0
while True:
    record(f"prompt {i} of a cat", "pika", "physics", True, generation_id=f"c{i}", store=store)
    print(i, flush=True)
    i += 1
"""


def test_a_writer_killed_mid_write_loses_at_most_that_label(tmp_path):
    path = tmp_path / "labels.db"
    LabelStore(path)
    writer = subprocess.Popen([sys.executable, "-c", _CRASHING_WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    confirmed = -1
    while confirmed < 40:
        confirmed = int(writer.stdout.readline())
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    rest = writer.stdout.read().split()
    confirmed = int(rest[-1]) if rest else confirmed
    rows = LabelStore(path).rows()
    assert confirmed + 1 <= len(rows) <= confirmed + 2  # every confirmed label, plus at most the one in flight
    assert rows["generation_id"].tolist() == [f"c{i}" for i in range(len(rows))]


def test_label_cli(tmp_path, capsys):
    store = str(tmp_path / "labels.db")
    assert main(["label", "--store", store, "add", "--prompt", PROMPT, "--platform", "Kling 1.6", "--mode",
                 "text_rendering", "--failed", "yes", "--generation-id", "k1", "--at-second", "2.5"]) == 0
    assert "1 stored" in capsys.readouterr().out
    source = tmp_path / "labels.csv"
    source.write_text("prompt,model,result\nA sign reads 'OPEN',Pika,fail\nA dog runs,Luma Ray2,pass\n")
    assert main(["label", "--store", store, "import", str(source), "--mode", "text_rendering"]) == 0
    assert main(["label", "--store", store, "stats"]) == 0
    out = capsys.readouterr().out
    stats = json.loads(out[out.index("{"):])
    assert stats["rows"] == 3 and stats["by_platform"] == {"kling": 1, "pika": 1, "luma": 1}
    assert main(["label", "--store", store, "add", "--prompt", "x", "--platform", "kling", "--mode", "lipsync",
                 "--failed", "yes"]) == 2
    assert "field 'mode'" in capsys.readouterr().err


def test_history_shows_one_user_and_compares_observed_with_predicted(tmp_path, shipped_predictor, monkeypatch, capsys):
    from ava_model.labels.history import user_history

    from ava_model.labels import score_log

    log = tmp_path / "scores.jsonl"
    monkeypatch.setenv("AVA_SCORE_LOG", str(log))

    def scored(prompt, platform, user):
        report = shipped_predictor.predict(prompt, platform)
        score_log.append(report, user)
        return report

    first = scored(PROMPT, "sora-2", "ana")
    scored("A calm lake at dawn", "veo-3", "ana")
    assert first.light == "red" and first.rewrite.helped
    scored(first.rewrite.prompt, "sora-2", "ana")  # ana took the rewrite
    scored("Seven balloons over a table", "pika", "ben")
    store = LabelStore(tmp_path / "labels.db")
    record(PROMPT, "sora-2", "lip_sync", True, generation_id="a1", at_second=4.0, user="ana", store=store)
    record("Seven balloons over a table", "pika", "object_count", True, generation_id="b1", user="ben", store=store)
    ana = user_history("ana", score_log=log, store=store)
    assert ana.scored == 3 and ana.reported == 1 and ana.red == 1
    assert ana.red_prompts[0]["rewrite_offered"] and ana.red_prompts[0]["rewrite_used"]
    assert ana.by_mode == [{"mode": "lip_sync", "platform": "sora-2", "reports": 1, "observed_rate": 1.0,
                            "predicted_risk": ana.by_mode[0]["predicted_risk"]}]
    assert 0.3 < ana.by_mode[0]["predicted_risk"] <= 1.0
    assert all("balloons" not in r["prompt"] for r in ana.red_prompts)  # ben's prompts never shown to ana
    assert user_history("nobody", score_log=log, store=store).scored == 0
    assert main(["history", "--user", "ana", "--log", str(log), "--store", str(tmp_path / "labels.db")]) == 0
    assert "History of ana" in capsys.readouterr().out


def test_history_page_over_http(tmp_path, shipped_predictor, monkeypatch):
    from fastapi.testclient import TestClient

    from ava_model.server import create_app

    monkeypatch.setenv("AVA_SCORE_LOG", str(tmp_path / "scores.jsonl"))
    monkeypatch.setenv("AVA_LABEL_STORE", str(tmp_path / "labels.db"))
    record(PROMPT, "sora-2", "lip_sync", True, generation_id="a1", user="ana")
    client = TestClient(create_app(shipped_predictor))
    assert client.post("/v1/score", json={"prompt": PROMPT, "platform": "sora-2", "user": "ana"}).status_code == 200
    page = client.get("/history", params={"user": "ana"})
    assert page.status_code == 200 and "History of ana" in page.text and "<svg" in page.text and "lip_sync" in page.text
    assert client.get("/v1/history", params={"user": "ana"}).json()["reported"] == 1
    assert client.get("/v1/history", params={"user": "ben"}).json()["scored"] == 0
    assert client.get("/history").status_code == 422  # the user id is required


def test_label_import_keeps_users_and_blank_optional_cells(tmp_path, capsys):
    from pathlib import Path

    store = tmp_path / "labels.db"
    example = Path(__file__).resolve().parents[3] / "docs" / "examples" / "outcomes.csv"
    assert main(["label", "--store", str(store), "import", str(example)]) == 0
    rows = LabelStore(store, readonly=True).rows()
    assert rows["user_id"].tolist() == ["alice", "alice", "bob"]
    assert rows["at_second"].isna().tolist() == [False, True, False]  # a blank at_second cell is empty
    assert main(["history", "--user", "alice", "--store", str(store), "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index("{"):])["reported"] == 2
