"""The HTML renderers are Jinja2 templates: autoescaped, strict about missing variables, shipped with the package.

Every page gets the same hostile string where data or users put text (prompts, user ids, mode and
platform names, labels) and must show it as text, never as markup.
"""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from jinja2 import StrictUndefined, UndefinedError

REPO = Path(__file__).resolve().parents[2]
HOSTILE = "<script>alert(1)</script>\"'&"
ESCAPED = html.escape(HOSTILE, quote=True)  # the server pages spell entities as html.escape does


def _environments():
    from ava_model.answer import render
    from ava_model.server import pages
    from ava_evaluation import report_html

    return {"server": pages.environment(), "answer": render.environment(), "evaluation": report_html.environment()}


def _no_markup_from_data(page: str) -> None:
    """Assert that HOSTILE reached the page only escaped."""
    assert "<script" not in page.lower()
    assert "alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- the environments -----------------------------------------------------------


@pytest.mark.parametrize("name", ["server", "answer", "evaluation"])
def test_environment_escapes_and_is_strict(name):
    env = _environments()[name]
    assert env.autoescape is True and env.undefined is StrictUndefined
    out = env.from_string("{{ x }}").render(x=HOSTILE)
    assert out.startswith("&lt;script&gt;alert(1)&lt;/script&gt;") and out.endswith("&amp;")
    assert not set("<>\"'") & set(out)  # quotes too: the same escaping is safe inside attributes
    with pytest.raises(UndefinedError):
        env.from_string("{{ missing }}").render()
    with pytest.raises(UndefinedError):
        env.from_string("{% if missing %}x{% endif %}").render()


@pytest.mark.parametrize("name", ["server", "answer", "evaluation"])
def test_every_template_compiles(name):
    env = _environments()[name]
    names = env.list_templates()
    assert names and all(n.endswith(".html") for n in names)
    for template in names:
        env.get_template(template)


def test_a_template_with_a_missing_variable_raises():
    from ava_model.server.pages import render
    from ava_evaluation.report_html import render_template

    with pytest.raises(UndefinedError, match="message"):
        render("not_found.html")
    with pytest.raises(UndefinedError):
        render("history.html", history=None)  # 'chart' and 'red_prompts' missing
    with pytest.raises(UndefinedError):
        render_template("drift.html", drifted=True)
    assert "Not found" in render("not_found.html", message="gone")


def test_templates_are_not_ignored_by_git():
    """A template git ignores would be missing from a fresh clone (tests/test_wheel.py checks the wheel carries them)."""
    ignored = (REPO / ".gitignore").read_text().split()
    assert not any(p in ignored for p in ("*.html", "templates", "templates/"))


def test_app_js_inserts_no_html():
    script = (REPO / "ava_model" / "server" / "static" / "app.js").read_text(encoding="utf-8")
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("//"))
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in code, sink
    assert "textContent" in code


# --- the server pages -------------------------------------------------------------


def test_reference_page_escapes_every_data_string(shipped_predictor):
    from ava_model.answer.reference import Example, mode_reference
    from ava_model.server.pages import reference_page

    rules = shipped_predictor.rules
    ref = mode_reference(shipped_predictor, "lip_sync", "sora-2")
    bad = dataclasses.replace(
        ref, name=HOSTILE, technical_term=HOSTILE, platform=HOSTILE, platform_name=HOSTILE, symptoms=(HOSTILE,),
        risk_factors=(HOSTILE,), prevention=(HOSTILE,), rewrite_strategies=((HOSTILE, HOSTILE),),
        examples=(Example(HOSTILE, "sora-2", 2.0, HOSTILE, HOSTILE, HOSTILE),),
        escalation=dataclasses.replace(ref.escalation, technical_term=HOSTILE, ticket=HOSTILE, caveat=HOSTILE,
                                       support_channel=HOSTILE, support_contact="javascript:alert(1)",
                                       evidence=(HOSTILE,), documentation_strength=HOSTILE),
        across_platforms=tuple(dataclasses.replace(r, name=HOSTILE, sources=(HOSTILE,)) for r in ref.across_platforms),
        this_platform=dataclasses.replace(ref.this_platform, sources=(HOSTILE,)),
    )
    page = reference_page(bad, rules)
    _no_markup_from_data(page)
    assert f"<h1>{ESCAPED}</h1>" in page and f'<pre id="ticket">{ESCAPED}</pre>' in page
    assert f"<title>{ESCAPED} on {ESCAPED} — AVA failure reference</title>" in page
    # The score box echoes the platform into an attribute: escaped, quotes included.
    score = re.search(r'<section class="card" id="score">(.*?)</section>', page, re.S).group(1)
    assert f'<input type="hidden" name="platform" value="{ESCAPED}">' in score
    assert f"Check on {ESCAPED}</button>" in score
    assert 'href="javascript:' not in page and "(javascript:alert(1))" in page  # not a web or mail address: text
    assert 'href="/modes?platform=%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%27%26"' in page  # links percent-encoded


def test_modes_index_and_404_escape(shipped_predictor, client):
    from ava_model.answer.reference import mode_reference
    from ava_model.server.pages import modes_index, not_found_page

    rules = shipped_predictor.rules
    ref = mode_reference(shipped_predictor, "physics", "veo-3")
    bad = dataclasses.replace(ref, name=HOSTILE, technical_term=HOSTILE,
                              this_platform=dataclasses.replace(ref.this_platform, suitable=False, note=HOSTILE))
    _no_markup_from_data(modes_index([bad], rules, "veo-3"))
    page = not_found_page(HOSTILE)
    _no_markup_from_data(page)
    assert f'<p class="error" role="alert">{ESCAPED}</p>' in page
    response = client.get(f"/modes/{HOSTILE.replace('/', '')}", params={"platform": HOSTILE})
    assert response.status_code == 404 and "<script" not in response.text.lower()


@pytest.fixture(scope="module")
def client(shipped_predictor):
    from fastapi.testclient import TestClient

    from ava_model.server.app import create_app

    with TestClient(create_app(shipped_predictor)) as c:
        yield c


def _hostile_history():
    from ava_model.labels.history import UserHistory

    return UserHistory(
        user=HOSTILE, scored=3, red=1, rewrites_offered=1, reported=1,
        by_mode=[{"mode": HOSTILE, "platform": HOSTILE, "reports": 1, "observed_rate": 1.0, "predicted_risk": None}],
        weekly=[{"week": HOSTILE, "scored": 3, "red": 1, "reported": 1, "failed": 1}],
        red_prompts=[{"timestamp": "2025-01-01T00:00:00Z", "prompt": HOSTILE, "platform": HOSTILE, "top_mode": HOSTILE,
                      "risk": 0.8, "rewrite_offered": True, "rewrite_used": False}],
    )


def test_history_page_escapes_user_prompts_and_chart_labels():
    from ava_model.server.history_page import history_page

    page = history_page(_hostile_history())
    _no_markup_from_data(page)
    assert f"<h1>History of {ESCAPED}</h1>" in page and f"<title>AVA history: {ESCAPED}</title>" in page
    assert f"<title>{ESCAPED}: scored 3</title>" in page and f"<text x='10' y='126' font-size='9'>{ESCAPED}</text>" in page
    assert f"<span class='muted'>{ESCAPED}</span>" in page and "rewrite offered" in page
    assert "<svg" in page and "height='100'" in page  # the chart is still drawn from the numbers


def test_history_page_over_http_escapes_the_user_id(client, tmp_path, monkeypatch):
    monkeypatch.setenv("AVA_SCORE_LOG", str(tmp_path / "scores.jsonl"))
    monkeypatch.setenv("AVA_LABEL_STORE", str(tmp_path / "labels.db"))
    monkeypatch.delenv("AVA_ACCOUNTS", raising=False)
    prompt = f"A woman says {HOSTILE} to the camera, close-up"
    assert client.post("/v1/score", json={"prompt": prompt, "platform": "sora-2", "user": HOSTILE}).status_code == 200
    page = client.get("/history", params={"user": HOSTILE})
    assert page.status_code == 200, page.text[:300]
    _no_markup_from_data(page.text)
    assert f"History of {ESCAPED}" in page.text


# --- the notebook report ----------------------------------------------------------


def test_notebook_report_escapes():
    from ava_model.answer.report import Alternative, Driver, EscalationKit, Rewrite, RiskReport

    kit = EscalationKit(HOSTILE, HOSTILE, (HOSTILE,), HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE)
    report = RiskReport(
        prompt=HOSTILE, platform=HOSTILE, risks={HOSTILE: 0.7, "physics": 0.01}, light="red", top_mode=HOSTILE,
        exercise={}, model_version="test", drivers={HOSTILE: (Driver(HOSTILE, 0, 3, 0.2),)},
        rewrite=Rewrite(True, HOSTILE, HOSTILE, prompt=HOSTILE),
        alternatives=(Alternative("x", HOSTILE, 0.0, "green", "physics", {}, HOSTILE),), escalation=kit,
    )
    out = report._repr_html_()
    _no_markup_from_data(out)
    assert "<table>" in out and "width:140px" in out and "<mark>" in out
    assert "Safer rewrite" in out and "Safer platforms" in out and "If it fails anyway" in out
    assert "physics" not in out  # below the shown threshold and not the top mode
    assert report.to_dict()["prompt"] == HOSTILE  # the data is untouched


# --- the evaluation reports -------------------------------------------------------


def _evaluation_report():
    from ava_evaluation.evaluate import EvalConfig, EvaluationReport

    rng = np.random.default_rng(0)
    modes, predictors = ["physics", HOSTILE], ["ava", "tfidf_lr", "setfit_lr"]
    rows = [dict(mode=m, predictor=p, n=40, positives=20.0, roc_auc=auc, auc_lo=auc - 0.1, auc_hi=auc + 0.1,
                 pr_auc=0.5, brier=0.2, brier_lo=0.1, brier_hi=0.3, log_loss=0.6, ece=np.nan)
            for m in modes for p, auc in zip(predictors, (0.7, 0.8, 0.6))]
    return EvaluationReport(
        table=pd.DataFrame(rows), bins={},
        platform=pd.DataFrame({"platform": [HOSTILE], "mode": ["physics"], "n": [3], "observed": [0.5]}),
        factors=pd.DataFrame({m: [0.1, 0.7] for m in modes}, index=pd.Index(["sora-2", HOSTILE], name="platform")),
        config=EvalConfig(n_bootstrap=10, seed=0),
        labels={m: rng.integers(0, 2, 40) for m in modes}, weights={m: np.ones(40) for m in modes},
        predictions={m: {p: rng.random(40) for p in predictors} for m in modes},
        published=pd.DataFrame({"platform": [HOSTILE], "mode": [HOSTILE], "observed_rate": [0.3]}),
    )


def test_evaluation_report_escapes(tmp_path):
    from ava_evaluation.report_html import render_evaluation_html

    loso = pd.DataFrame({"source": [HOSTILE] * 2, "mode": [HOSTILE] * 2, "predictor": ["ava", "tfidf_lr"],
                         "n": [10, 10], "positives": [4.0, 4.0], "roc_auc": [0.5, 0.9], "brier": [0.2, 0.25]})
    text = render_evaluation_html(_evaluation_report(), loso, tmp_path / "eval.html").read_text(encoding="utf-8")
    _no_markup_from_data(text)
    assert text.count('<img src="data:image/png;base64,') == 3
    assert "Where AVA does NOT beat a baseline" in text and "Where AVA does NOT beat the TF-IDF baseline" in text
    assert "<td>20</td>" in text and "<td>–</td>" in text and "<td>40</td>" in text  # pandas-like cells


def test_drift_report_escapes(tmp_path):
    from ava_evaluation.drift import ClusterShift, DriftReport, TestResult
    from ava_evaluation.drift_report import render_drift_html

    shares = {"reference": {"green": 0.5, "yellow": 0.3, "red": 0.2}, "current": {"green": 0.4, "yellow": 0.3, "red": 0.3},
              "change": {"green": -0.1, "yellow": 0.0, "red": 0.1}}
    report = DriftReport(
        tests=[TestResult(HOSTILE, 1.5, 0.01, True, {HOSTILE: 0.5})],
        output={HOSTILE: {"psi": 0.4, "ks_statistic": 0.2, "ks_p_adjusted": 0.01, "mean_reference": 0.2,
                          "mean_current": 0.3, "drifted": True}},
        light_shares=shares, clusters=[ClusterShift(0, 5, 10, 0.2, 0.4, 0.2, (HOSTILE, "a calm lake"))],
        verdicts={HOSTILE: True, "output_psi": True}, drifted=True, n_reference=10, n_current=12,
        histograms={HOSTILE: {"edges": [0, 0.5, 1], "reference": [0.5, 0.5], "current": [0.2, 0.8]}},
        config={"alpha": 0.05, "psi_threshold": 0.2},
    )
    text = render_drift_html(report, tmp_path / "drift.html").read_text(encoding="utf-8")
    _no_markup_from_data(text)
    assert text.count('<img src="data:image/png;base64,') == 3
    assert "Drift detected" in text and '<span class="yes">drift</span>' in text and "<br>a calm lake" in text


# --- the score page in a browser ------------------------------------------------------


def test_prefilled_hostile_prompt_shows_as_text_in_browser(server_url):
    """/?prompt=... fills the form and scores it: the prompt comes back as text, no script runs."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip(f"{chromium} not found: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    from urllib.parse import urlencode

    prompt = f"A woman looks into the camera and says {HOSTILE} thank you all for coming, close-up"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox",
                                                                                  "--disable-gpu"])
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{server_url}/?{urlencode({'prompt': prompt, 'platform': 'sora-2'})}")
            sync_api.expect(page.locator("#light")).not_to_have_text("—", timeout=60_000)
            assert page.locator("#highlighted").inner_text() == prompt
            assert page.locator("#results script").count() == 0 and dialogs == []
        finally:
            browser.close()
