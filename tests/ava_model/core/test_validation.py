"""Text is normalised and checked at one boundary: bad text is a clear error on every surface, never a crash."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pandas as pd
import pytest

from ava_model.cli import main
from ava_model.errors import InvalidPrompt, LabelValidationError, UnknownPlatform
from ava_model.labels.schema import validate_labels
from ava_model.core.validation import MAX_LISTED_ERRORS, check_prompt, normalise_text


def test_a_lone_surrogate_is_refused_naming_the_character(shipped_predictor):
    with pytest.raises(InvalidPrompt, match=r"not valid Unicode: a lone surrogate U\+D800 at character 2"):
        shipped_predictor.predict("a \ud800", "kling")
    with pytest.raises(InvalidPrompt, match=r"position 1: is not valid Unicode"):
        shipped_predictor.predict_proba(["a dog runs", "a \udcff dog"], "kling")


def test_control_characters_and_composed_forms_are_normalised():
    assert normalise_text("a dog\x00runs\x1b[31m\u0085") == "a dog runs [31m "
    assert normalise_text("cafe\u0301") == "caf\u00e9"
    assert check_prompt("  line one\nline two\t ", 100) == "line one\nline two"


def test_rtl_emoji_and_other_scripts_score(shipped_predictor):
    prompts = ["\u202eA dog runs on a beach \U0001F415", "\u0627\u0645\u0631\u0623\u0629 \u062a\u062a\u062d\u062f\u062b",
               "\u72ac\u304c\u6d5c\u8fba\u3092\u8d70\u308b", "a\x00b"]
    risks = shipped_predictor.predict_proba(prompts, "kling")
    assert len(risks) == 4 and risks.to_numpy().min() >= 0 and risks.to_numpy().max() <= 1


def test_a_batch_error_lists_every_bad_row_up_to_a_cap(shipped_predictor):
    prompts = ["a dog runs"] * 10_000
    bad = list(range(5, 10_000, 900))  # 12 bad rows
    for n, i in enumerate(bad):
        prompts[i] = [None, "", "   ", 7, "a \ud800"][n % 5]
    with pytest.raises(InvalidPrompt) as err:
        shipped_predictor.predict_proba(prompts, "kling")
    assert [i for i, _ in err.value.problems] == bad
    assert str(err.value).startswith(f"{len(bad)} of 10000 prompts are invalid")
    assert all(f"position {i}:" in str(err.value) for i in bad)
    many = ["", "ok"] * 30
    with pytest.raises(InvalidPrompt, match=rf"and {30 - MAX_LISTED_ERRORS} more") as err:
        shipped_predictor.predict_proba(many, "kling")
    assert len(err.value.problems) == 30


def test_every_unknown_platform_of_a_batch_is_named(shipped_predictor):
    with pytest.raises(UnknownPlatform, match=r"2 of 3 platforms are unknown.*position 1: 'nope'; position 2: 'zzz'"):
        shipped_predictor.predict_proba(["a", "b", "c"], ["kling", "nope", "zzz"])


def _post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(f"{url}/v1/score", data=body, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_http_answers_a_surrogate_with_422_naming_the_field(server_url):
    for body, field in [(b'{"prompt": "a \\ud800", "platform": "kling"}', ["body", "prompt"]),
                        (b'{"prompt": "a dog", "platform": "k\\ud800"}', ["body", "platform"]),
                        (b'{"items": [{"prompt": "ok", "platform": "kling"}, {"prompt": "\\udcff", "platform": "kling"}]}',
                         ["body", "items", 1, "prompt"])]:
        status, out = _post(server_url, body)
        assert status == 422, out
        assert out["detail"][0]["loc"] == field and "UTF-8" in out["detail"][0]["msg"]
    status, out = _post(server_url, b'{"prompt": "a dog \xff runs", "platform": "kling"}')  # raw invalid UTF-8
    assert status in (400, 422) and "detail" in out


def test_cli_refuses_invalid_bytes_in_one_line(capsys):
    prompt = os.fsdecode(b"a dog \xff runs")  # how Python hands argv bytes that are not UTF-8 to the program
    assert main(["score", prompt, "--platform", "kling"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ava: error: Prompt is not valid Unicode") and "Traceback" not in err


def test_label_rows_with_bad_text_are_refused_naming_row_and_field():
    frame = pd.DataFrame({
        "prompt": ["a dog runs", "a \ud800 dog", "ok"], "platform": ["kling"] * 3, "mode": ["physics"] * 3,
        "label": [1, 0, 1], "source": ["user", "user", "u\udcffser"], "weight": [1, 1, 1],
        "labelled_at": ["2026-11-01"] * 3,
    }, dtype=object)  # pandas' default string dtype cannot even hold a lone surrogate
    with pytest.raises(LabelValidationError) as err:
        validate_labels(frame)
    message = str(err.value)
    assert "row 2, field 'prompt': is not valid Unicode" in message and "row 3, field 'source'" in message
    clean = validate_labels(frame.assign(prompt=["a dog\x00runs", "b", "c"], source="user"))
    assert clean["prompt"].tolist() == ["a dog runs", "b", "c"]
