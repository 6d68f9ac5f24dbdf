"""predict() and predict_proba(): numbers, shapes, and the error cases."""

from __future__ import annotations

import json
import threading

import numpy as np
import pandas as pd
import pytest

import ava_model
from ava_model.errors import InvalidPrompt, UnknownPlatform

DIALOGUE = ("Two sisters argue at the kitchen table; one says 'You always do this, you never listen to a word I say "
            "and then you act surprised' and the other shouts back, close-up, 10 seconds")


def test_predict_returns_a_full_report(shipped_predictor, rules):
    report = shipped_predictor.predict(DIALOGUE, "Sora 2")
    assert report.platform == "sora-2"
    assert set(report.risks) == set(rules.mode_ids)
    assert all(0.0 <= r <= 1.0 for r in report.risks.values())
    assert report.top_mode == max(report.risks, key=report.risks.get)
    assert report.light == rules.thresholds.light(report.risks[report.top_mode])
    assert json.loads(report.to_json())["risks"] == report.risks
    assert "sora-2" in str(report) and "<table>" in report._repr_html_()


def test_dialogue_is_lip_sync_risk_only_where_audio_is_generated(shipped_predictor):
    sora = shipped_predictor.predict(DIALOGUE, "sora-2")
    pika = shipped_predictor.predict(DIALOGUE, "pika")  # no native audio: cannot fail lip sync
    calm = shipped_predictor.predict("A quiet forest at dawn, slow aerial shot over the trees", "sora-2")
    assert sora.top_mode == "lip_sync" and sora.risks["lip_sync"] > 0.2
    assert pika.risks["lip_sync"] == 0.0
    assert calm.risks["lip_sync"] < sora.risks["lip_sync"] / 4


def test_predict_proba_batches_and_matches_predict(shipped_predictor, rules):
    prompts = [DIALOGUE, "Seven balloons float over a table", "A glass of milk spills on the floor"]
    frame = shipped_predictor.predict_proba(prompts, ["sora-2", "pika", "Luma Dream Machine"])
    assert isinstance(frame, pd.DataFrame) and frame.shape == (3, len(rules.mode_ids))
    assert list(frame.columns) == list(rules.mode_ids)
    assert ((frame >= 0) & (frame <= 1)).all().all()
    single = shipped_predictor.predict(prompts[1], "pika")
    np.testing.assert_allclose(frame.iloc[1].to_numpy(), [single.risks[m] for m in frame.columns], atol=1e-4)
    one_platform = shipped_predictor.predict_proba(prompts, "veo-3")
    assert one_platform.shape == (3, len(rules.mode_ids))


def test_predict_proba_embeds_in_one_batch(shipped_predictor, monkeypatch):
    calls = []
    original = shipped_predictor.embedder.encode
    monkeypatch.setattr(shipped_predictor.embedder, "encode", lambda t, **k: calls.append(len(t)) or original(t, **k))
    shipped_predictor.predict_proba([f"prompt number {i} about a cat" for i in range(20)], "kling")
    assert calls == [20]


@pytest.mark.parametrize(
    ("prompt", "message"),
    [("", "empty"), ("   \n", "empty"), (None, "must be a string, got NoneType"), (42, "got int"),
     ("x" * 5000, "5000 characters; the limit is")],
)
def test_bad_prompts_get_clear_errors(shipped_predictor, prompt, message):
    with pytest.raises(InvalidPrompt, match=message):
        shipped_predictor.predict(prompt, "sora-2")


def test_bad_platforms_and_batches(shipped_predictor):
    with pytest.raises(UnknownPlatform, match="Did you mean 'sora-2'"):
        shipped_predictor.predict("a cat", "sora-22")
    with pytest.raises(InvalidPrompt, match="position 1"):
        shipped_predictor.predict_proba(["a cat", ""], "kling")
    with pytest.raises(InvalidPrompt, match="2 prompts but 3 platforms"):
        shipped_predictor.predict_proba(["a", "b"], ["kling", "pika", "luma"])
    with pytest.raises(InvalidPrompt, match="No prompts"):
        shipped_predictor.predict_proba([], "kling")


def test_module_level_api_loads_once_across_threads(monkeypatch):
    import ava_model.api as api

    monkeypatch.setattr(api, "_default", None)
    loads = []
    real_load = api.load
    monkeypatch.setattr(api, "load", lambda *a: loads.append(1) or real_load(*a))
    results = []
    threads = [threading.Thread(target=lambda: results.append(ava_model.predict("A cat naps", "kling"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and len(results) == 4
    assert len({r.risks["physics"] for r in results}) == 1


def test_taxonomy_listing():
    assert [m.id for m in ava_model.failure_modes()][:2] == ["lip_sync", "anatomy"]
    assert "sora-2" in [p.id for p in ava_model.platforms()]


def test_scoring_log_is_opt_in_and_one_line_per_prediction(shipped_predictor, tmp_path, monkeypatch):
    from ava_model.labels import score_log

    log = tmp_path / "scores.jsonl"
    ava_model.predict("A cat naps on a sofa", "kling")
    shipped_predictor.predict("A cat naps on a sofa", "kling")
    assert not log.exists()
    monkeypatch.setenv("AVA_SCORE_LOG", str(log))
    shipped_predictor.predict("A scorer call logs nothing", "kling")  # the edges log, not the Predictor
    assert not log.exists()
    threads = [threading.Thread(target=lambda i=i: score_log.append(
        shipped_predictor.predict(f"A cat naps, take {i}", "kling"), "u1")) for i in range(7)]
    threads.append(threading.Thread(target=lambda: ava_model.predict("A cat naps, take 7", "kling", user="u1")))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 8 and {line["user"] for line in lines} == {"u1"}
    assert set(lines[0]["risks"]) == set(shipped_predictor.model.modes) and len(lines[0]["prompt_sha256"]) == 64


def test_save_pretrained_then_from_pretrained_gives_the_same_answers(shipped_predictor, tmp_path):
    from ava_model.api import Predictor

    folder = shipped_predictor.save_pretrained(tmp_path / "copy")
    again = Predictor.from_pretrained(folder)
    prompt = "A chef says 'Welcome in, tonight we cook for you' to the camera"
    assert again.predict(prompt, "veo-3").to_dict() | {"model_version": None} == \
        shipped_predictor.predict(prompt, "veo-3").to_dict() | {"model_version": None}
    import hashlib

    recorded = json.loads((folder / "manifest.json").read_text())["sha256"]
    assert recorded == hashlib.sha256((folder / "ava.joblib").read_bytes()).hexdigest()


def test_a_model_refuses_inputs_of_another_width(shipped_predictor):
    from dataclasses import replace

    from ava_model.core.features import STRUCTURE_FEATURES, feature_names
    from ava_model.errors import ArtifactMismatch

    model = shipped_predictor.model
    X = shipped_predictor.features(["A dog on a beach"])
    width = X.shape[1] - len(STRUCTURE_FEATURES) - 2 * len(model.modes)
    named = replace(model, feature_names_in_=feature_names(width, model.modes))
    assert len(named.feature_names_in_) == X.shape[1]
    named.topic_proba(X)  # the right width passes
    with pytest.raises(ArtifactMismatch, match=f"fitted on {X.shape[1]} input columns.*shape \\(1, {X.shape[1] - 1}\\)"):
        named.topic_proba(X[:, :-1])
