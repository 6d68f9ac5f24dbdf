"""The HTTP API: /v1/score, reference endpoints, limits and error shapes, served from the shipped model."""

from __future__ import annotations

import json

import pytest

fastapi = pytest.importorskip("fastapi", reason="fastapi is a runtime dependency: pip install -e '.[test]'")

from fastapi.testclient import TestClient  # noqa: E402

SPOKEN = (
    "A man in a suit looks into the camera and says 'I have worked at this company for twenty years and "
    "I have never seen anything like what happened here today' before walking away"
)
QUIET = "A red ball rolls slowly across a wooden floor in morning light"


@pytest.fixture(scope="module")
def client(shipped_predictor):
    from ava_model.server.app import create_app

    with TestClient(create_app(shipped_predictor)) as c:
        yield c


def _score(client, body, status=200):
    response = client.post("/v1/score", json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_score_one_matches_predict(client, shipped_predictor):
    data = _score(client, {"prompt": SPOKEN, "platform": "sora-2"})
    expected = shipped_predictor.predict(SPOKEN, "sora-2")
    assert data["model_version"] == shipped_predictor.version
    assert data["thresholds"] == {"yellow": shipped_predictor.rules.thresholds.yellow,
                                  "red": shipped_predictor.rules.thresholds.red}
    [report] = data["results"]
    assert report["platform"] == "sora-2"
    assert report["risks"] == pytest.approx(expected.risks, abs=1e-6)
    assert set(report["risks"]) == set(shipped_predictor.model.modes)
    assert report["light"] == expected.light and report["light"] in ("yellow", "red")
    assert report["top_mode"] == expected.top_mode == "lip_sync"
    assert report["model_version"] == shipped_predictor.version


def test_score_one_explains(client):
    [report] = _score(client, {"prompt": SPOKEN, "platform": "Sora 2"})["results"]
    assert report["platform"] == "sora-2"  # alias resolved
    drivers = report["drivers"]["lip_sync"]
    assert drivers, "the quoted line should drive the lip-sync risk"
    for d in drivers:
        assert report["prompt"][d["start"] : d["end"]] == d["text"]
        assert d["delta"] > 0
    assert report["rewrite"]["mode"] == "lip_sync"
    assert report["rewrite"]["risk_before"] == pytest.approx(report["risks"]["lip_sync"], abs=1e-4)
    if report["rewrite"]["helped"]:
        assert report["rewrite"]["risk_after"] < report["rewrite"]["risk_before"]
        assert report["rewrite"]["prompt"] and report["rewrite"]["prompt"] != report["prompt"]
    platforms = {a["platform"]: a for a in report["alternatives"]}
    assert "sora-2" in platforms and len(platforms) == len(client.get("/v1/platforms").json())
    silent = [a for a in report["alternatives"] if a["flagged"]]
    assert silent and all("audio" in a["flag_reason"] for a in silent)
    kit = report["escalation"]
    assert kit["mode"] == "lip_sync" and kit["technical_term"]
    assert SPOKEN in kit["ticket"] and kit["documentation_strength"] in ("HIGH", "MEDIUM", "LOW")


def test_score_many_in_order_without_explain(client, shipped_predictor):
    items = [
        {"prompt": SPOKEN, "platform": "sora-2"},
        {"prompt": QUIET, "platform": "veo-3"},
        {"prompt": SPOKEN, "platform": "runway-gen-2"},
    ]
    data = _score(client, {"items": items, "explain": False})
    assert [r["prompt"] for r in data["results"]] == [SPOKEN, QUIET, SPOKEN]
    assert [r["platform"] for r in data["results"]] == ["sora-2", "veo-3", "runway-gen-2"]
    frame = shipped_predictor.predict_proba([i["prompt"] for i in items], [i["platform"] for i in items])
    for row, report in zip(frame.to_dict("records"), data["results"]):
        assert report["risks"] == pytest.approx(row, abs=1e-4)
        assert report["drivers"] == {} and report["rewrite"] is None
        assert report["alternatives"] == [] and report["escalation"] is None
    # Same prompt, another platform: the platform factors change the risks.
    assert data["results"][0]["risks"] != data["results"][2]["risks"]


def test_unknown_platform_names_the_field_and_valid_ids(client):
    body = {"items": [{"prompt": QUIET, "platform": "sora-2"}, {"prompt": QUIET, "platform": "sora-2x"}]}
    detail = _score(client, body, 422)["detail"]
    assert len(detail) == 1
    error = detail[0]
    assert error["loc"] == ["body", "items", 1, "platform"]
    assert error["type"] == "value_error"
    assert "'sora-2x'" in error["msg"] and "Did you mean 'sora-2'?" in error["msg"]
    assert "Valid platforms:" in error["msg"] and "veo-3" in error["msg"]

    single = _score(client, {"prompt": QUIET, "platform": "Kling 99"}, 422)["detail"]
    assert single[0]["loc"] == ["body", "platform"] and "'Kling 99'" in single[0]["msg"]


def test_every_bad_item_is_reported(client):
    body = {"items": [{"prompt": "   ", "platform": "sora-2"}, {"prompt": QUIET, "platform": "nope"}]}
    detail = _score(client, body, 422)["detail"]
    assert [d["loc"] for d in detail] == [["body", "items", 0, "prompt"], ["body", "items", 1, "platform"]]
    assert "empty" in detail[0]["msg"]


def test_empty_prompt_is_422(client):
    detail = _score(client, {"prompt": "", "platform": "sora-2"}, 422)["detail"]
    assert detail[0]["loc"] == ["body", "prompt"]
    blank = _score(client, {"prompt": " \n\t ", "platform": "sora-2"}, 422)["detail"]
    assert blank == [{"loc": ["body", "prompt"], "msg": blank[0]["msg"], "type": "value_error"}]
    assert "empty or white space only" in blank[0]["msg"]


def test_prompt_and_item_limits(client, rules):
    limit = rules.thresholds.max_prompt_chars
    detail = _score(client, {"prompt": "a" * (limit + 1), "platform": "sora-2"}, 422)["detail"]
    assert detail[0]["loc"] == ["body", "prompt"] and str(limit) in detail[0]["msg"]
    many = {"items": [{"prompt": QUIET, "platform": "sora-2"}] * 51}
    detail = _score(client, many, 422)["detail"]
    assert detail[0]["loc"] == ["body", "items"] and "50" in detail[0]["msg"]


def test_request_form_is_checked(client):
    assert _score(client, {}, 422)["detail"][0]["loc"] == ["body"]
    both = {"prompt": QUIET, "platform": "sora-2", "items": [{"prompt": QUIET, "platform": "sora-2"}]}
    assert "not both" in _score(client, both, 422)["detail"][0]["msg"]
    assert _score(client, {"prompt": QUIET, "platform": "sora-2", "colour": 1}, 422)["detail"][0]["loc"] == ["body", "colour"]


def test_oversized_body_is_413(client):
    body = json.dumps({"prompt": "x" * (300 * 1024), "platform": "sora-2"})
    response = client.post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert "256 KB" in response.json()["detail"]


def test_oversized_chunked_body_is_413(client):
    def chunks():
        yield b'{"prompt": "'
        for _ in range(40):
            yield b"y" * 8192
        yield b'", "platform": "sora-2"}'

    response = client.post("/v1/score", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "256 KB" in response.json()["detail"]


def test_failure_modes(client, rules):
    modes = client.get("/v1/failure-modes").json()
    assert [m["id"] for m in modes] == list(rules.mode_ids)
    lip = next(m for m in modes if m["id"] == "lip_sync")
    assert lip == rules.mode("lip_sync").to_dict()
    assert lip["needs_audio"] is True and lip["symptoms"]


def test_platforms(client, rules):
    platforms = client.get("/v1/platforms").json()
    assert [p["id"] for p in platforms] == list(rules.platform_ids)
    sora = next(p for p in platforms if p["id"] == "sora-2")
    assert sora == rules.platform("sora-2").to_dict()
    assert sora["audio"] is True and sora["vendor"] == "OpenAI" and "Sora 2" in sora["aliases"]


def test_healthz(client, shipped_predictor):
    assert client.get("/healthz").json() == {"status": "ok", "model_version": shipped_predictor.version,
                                             "embedder_backend": "onnx"}


def test_openapi_documents_score(client):
    spec = client.get("/openapi.json").json()
    assert "post" in spec["paths"]["/v1/score"]
    assert {"/v1/failure-modes", "/v1/platforms", "/healthz"} <= set(spec["paths"])
    request = spec["components"]["schemas"]["ScoreRequest"]
    assert {"prompt", "platform", "items", "explain"} <= set(request["properties"])
    assert client.get("/docs").status_code == 200


def test_docs_pages_load_only_files_this_server_serves(client):
    import re

    for path, assets in (("/docs", ("swagger-ui-bundle.js", "swagger-ui.css")), ("/redoc", ("redoc.standalone.js",))):
        page = client.get(path)
        assert page.status_code == 200
        urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert urls and not [u for u in urls if "//" in u], f"{path} links off the server: {urls}"
        for asset in assets:
            assert f"/docs-assets/{asset}" in urls
            served = client.get(f"/docs-assets/{asset}")
            assert served.status_code == 200 and len(served.content) > 100_000
    assert "fonts.googleapis" not in client.get("/redoc").text
    assert client.get("/docs/oauth2-redirect").status_code == 200


def test_page_and_static_files(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="light"' in page.text and 'src="/static/app.js"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    script = client.get("/static/app.js")
    assert script.status_code == 200 and "/v1/score" in script.text
    assert client.get("/static/style.css").headers["content-type"].startswith("text/css")


def test_lifespan_loads_the_model_once(monkeypatch, shipped_predictor):
    import ava_model.api
    from ava_model.server.app import create_app

    calls = []

    def fake_load(uri=None):
        calls.append(uri)
        return shipped_predictor

    monkeypatch.setattr(ava_model.api, "load", fake_load)
    with TestClient(create_app(model_uri="models:/ava/1")) as c:
        assert c.get("/healthz").json()["model_version"] == shipped_predictor.version
        assert c.get("/v1/platforms").status_code == 200
    assert calls == ["models:/ava/1"]


def test_serve_subcommand_defaults():
    from ava_model.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.model) == ("127.0.0.1", 8000, None)
    args = build_parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "9001", "--model", "models:/ava/2"])
    assert (args.host, args.port, args.model) == ("0.0.0.0", 9001, "models:/ava/2")


def test_history_page_pluralises_its_counts():
    from ava_model.labels.history import UserHistory
    from ava_model.server.history_page import history_page

    def counts(scored: int, reported: int) -> str:
        page = history_page(UserHistory("ana", scored, 0, 0, reported, [], [], []))
        return " ".join(page.split())

    assert "1 prompt scored" in counts(1, 1) and "1 outcome reported" in counts(1, 1)
    assert "2 prompts scored" in counts(2, 0) and "0 outcomes reported" in counts(2, 0)
