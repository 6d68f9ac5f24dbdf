"""The failure reference: GET /v1/modes/{mode} (JSON), /modes/{mode} and /modes (server-rendered HTML).

The browser checks at the end (prefill from ?prompt=, the link from a result, a phone-width page)
need Debian's chromium; set AVA_UPDATE_SCREENSHOT=1 to also write docs/reference-lip_sync-sora-2.png.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="fastapi is a runtime dependency: pip install -e '.[test]'")

from fastapi.testclient import TestClient  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-sync"]
SPOKEN = ("A man in a suit looks into the camera and says 'I have worked at this company for twenty years and "
          "I have never seen anything like what happened here today' before walking away")


@pytest.fixture(scope="module")
def client(shipped_predictor):
    from ava_model.server.app import create_app

    with TestClient(create_app(shipped_predictor)) as c:
        yield c


def _page(client, mode: str, platform: str, status: int = 200) -> str:
    response = client.get(f"/modes/{mode}", params={"platform": platform})
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _section(page: str, section_id: str) -> str:
    match = re.search(rf'<section class="card" id="{section_id}">(.*?)</section>', page, re.S)
    assert match, f"no section #{section_id}"
    return match.group(1)


def _risks(fragment: str, tag: str) -> dict[str, float]:
    """Return platform -> data-risk of the <tag data-platform=... data-risk=...> elements in fragment."""
    return {p: float(r) for p, r in re.findall(rf'<{tag} data-platform="([^"]+)" data-risk="([0-9.]+)"', fragment)}


# --- HTML pages ---------------------------------------------------------------


def test_every_mode_on_every_platform_renders(client, shipped_predictor):
    rules = shipped_predictor.rules
    for mode in rules.mode_ids:
        failure = rules.mode(mode)
        for platform in rules.platform_ids:
            page = _page(client, mode, platform)
            assert html.escape(failure.technical_term) in page, (mode, platform)
            assert html.escape(rules.platform(platform).name) in page, (mode, platform)
            assert "Pick a different tool" in page and "Related failures across models" in page
            others = [p for p in rules.platform_ids if p != platform]
            assert any(f'href="/modes/{mode}?platform={p}"' in page for p in others), (mode, platform)
            assert "<script" not in page.lower()


def test_lip_sync_page_sections(client, shipped_predictor):
    from ava_model.answer.reference import mode_reference

    ref = mode_reference(shipped_predictor, "lip_sync", "sora-2")
    page = _page(client, "lip_sync", "sora-2")
    assert "<title>Audio-Visual Lip Sync &amp; Phoneme Alignment Failure on Sora 2" in page
    for heading in ("How to identify it", "What raises it", "Real examples", "Prevention",
                    "Rewrite strategies AVA tries", "Evidence to capture", "Support ticket", "Score your prompt"):
        assert heading in page
    for text in (*ref.symptoms, *ref.risk_factors, *ref.prevention, *ref.escalation.evidence):
        assert html.escape(text) in page
    for sid, description in ref.rewrite_strategies:
        assert f"<code>{sid}</code>" in page and html.escape(description) in page
    kit = ref.escalation
    assert f'class="pill strength-{kit.documentation_strength.lower()}">Documentation: {kit.documentation_strength}' in page
    assert html.escape(kit.strength_reason) in page and html.escape(kit.caveat) in page
    assert f'<pre id="ticket">{html.escape(kit.ticket)}</pre>' in page
    if not ref.examples:
        assert "No labelled generation with a timestamp yet for this mode on this platform" in page
        assert "<code>ava label add</code>" in page
    # Across platforms: every platform once, silent ones marked as not suitable for speech.
    across = _section(page, "across")
    assert across.count("<tr data-platform=") == len(shipped_predictor.rules.platform_ids)
    assert re.search(r'data-platform="animatediff"[^>]* class="unsuitable"', across)
    assert "Not suitable: no native audio" in across
    assert '<a href="/modes/lip_sync?platform=sora-2" aria-current="page">Sora 2</a>' in across
    for mode, share in ref.related_modes:
        if share > 0:
            assert f'href="/modes/{mode}?platform=sora-2"' in across
            assert f"{share:.0%} of prompts that exercise this mode also exercise it" in across


def test_real_examples_come_from_label_files(client, tmp_path, monkeypatch):
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "prompt,platform,mode,label,at_second,note,generation_id,labelled_at\n"
        '"Two chefs argue, one says \'<b>Out of my kitchen</b>\'",sora-2,lip_sync,1,2.5,"lips lag <i>behind</i>",'
        "gen-42,2025-10-01\n"
        "A quiet beach at dawn,sora-2,lip_sync,0,1.0,,gen-43,2025-10-02\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AVA_LABELS", str(labels))
    examples = _section(_page(client, "lip_sync", "sora-2"), "examples")
    assert "&lt;b&gt;Out of my kitchen&lt;/b&gt;" in examples and "<b>" not in examples
    assert "first appeared at 2.5 s" in examples and "generation gen-42" in examples
    assert "lips lag &lt;i&gt;behind&lt;/i&gt;" in examples
    assert "quiet beach" not in examples  # label 0: it did not fail
    assert "No labelled generation" not in examples
    assert "No labelled generation" in _section(_page(client, "lip_sync", "veo-3"), "examples")


def test_score_box_sends_the_prompt_to_the_main_page(client):
    score = _section(_page(client, "anatomy", "veo-3"), "score")
    assert '<form method="get" action="/">' in score
    assert 'name="prompt"' in score and "<textarea" in score
    assert '<input type="hidden" name="platform" value="veo-3">' in score
    script = client.get("/static/app.js").text
    assert 'query.get("prompt")' in script and "requestSubmit" in script
    assert "Reference: " in script and "/modes/" in script


def test_safer_tools_score_lower(client, shipped_predictor):
    rules = shipped_predictor.rules
    page = _page(client, "lip_sync", "sora-2")
    here = _risks(_section(page, "across"), "tr")["sora-2"]
    tools = _section(page, "tools")
    listed = _risks(tools, "li")
    for platform, risk in listed.items():
        assert risk < here, platform
        assert rules.platform(platform).audio, f"{platform} cannot voice the line"
    if not listed:
        assert "No suitable platform scores lower for this mode than Sora 2" in tools
    # Non-vacuous: some pages do list safer tools, and every one listed scores lower and is suitable.
    seen = 0
    for mode in rules.mode_ids:
        for platform in ("sora-2", "veo-3", "runway-gen-2"):
            page = _page(client, mode, platform)
            across = _risks(_section(page, "across"), "tr")
            for other, risk in _risks(_section(page, "tools"), "li").items():
                assert risk == across[other] < across[platform], (mode, platform, other)
                assert 'class="unsuitable"' not in re.search(rf'<tr data-platform="{other}"[^>]*>', page).group(0)
                seen += 1
    assert seen > 0


def test_index_lists_every_mode_for_the_platform(client, shipped_predictor):
    rules = shipped_predictor.rules
    response = client.get("/modes", params={"platform": "veo-3"})
    assert response.status_code == 200 and "Failure modes on Veo 3" in response.text
    for mode in rules.mode_ids:
        assert f'href="/modes/{mode}?platform=veo-3"' in response.text
    assert '<form method="get" action="/modes"' in response.text
    assert '<option value="veo-3" selected>' in response.text
    assert 'href="/modes/lip_sync?platform=sora-2"' in client.get("/modes").text  # defaults to sora-2
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_unknown_mode_or_platform_is_404(client, shipped_predictor):
    rules = shipped_predictor.rules
    page = _page(client, "lipsync", "sora-2", status=404)
    assert "Unknown failure mode &#x27;lipsync&#x27;" in page and "Valid modes:" in page
    assert all(m in page for m in rules.mode_ids)
    page = _page(client, "lip_sync", "sora-9", status=404)
    assert "Unknown platform &#x27;sora-9&#x27;" in page and "Valid platforms:" in page and "veo-3" in page
    assert client.get("/modes", params={"platform": "sora-9"}).status_code == 404

    for url, needle, valid in (("/v1/modes/lipsync", "'lipsync'", "Valid modes: lip_sync"),
                               ("/v1/modes/lip_sync?platform=sora-9", "'sora-9'", "Valid platforms: sora-2")):
        response = client.get(url)
        assert response.status_code == 404 and response.headers["content-type"] == "application/json"
        detail = response.json()["detail"]
        assert needle in detail and valid in detail


def test_json_route_equals_mode_reference(client, shipped_predictor):
    from ava_model.answer.reference import mode_reference

    expected = json.loads(json.dumps(mode_reference(shipped_predictor, "object_count", "kling").to_dict()))
    response = client.get("/v1/modes/object_count", params={"platform": "kling"})
    assert response.status_code == 200 and response.json() == expected
    default = client.get("/v1/modes/lip_sync").json()
    assert default["platform"] == "sora-2" and default["platform_name"] == "Sora 2"
    assert "/v1/modes/{mode}" in client.get("/openapi.json").json()["paths"]


def test_strings_are_escaped(client, shipped_predictor):
    from ava_model.answer.reference import Example, mode_reference
    from ava_model.server.pages import reference_page

    page = _page(client, "lip_sync", "sora-2")
    assert "&lt;your prompt&gt;" in page and "<your prompt>" not in page  # ticket placeholders
    hostile = "<script>alert(1)</script>"
    page = _page(client, "<script>alert(1)", "sora-2", status=404)  # no '/': it would split the path
    assert "<script" not in page and "&lt;script&gt;alert(1)" in page
    assert "<script" not in _page(client, "lip_sync", hostile, status=404)

    ref = mode_reference(shipped_predictor, "lip_sync", "sora-2")
    bad = dataclasses.replace(
        ref, name=hostile, symptoms=(hostile,), rewrite_strategies=(("x", hostile),),
        examples=(Example(hostile, "sora-2", 3.5, '"><img src=x onerror=alert(1)>', hostile, "2025-01-01"),),
    )
    page = reference_page(bad, shipped_predictor.rules)
    assert "<script" not in page and "<img" not in page
    assert "first appeared at 3.5 s" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- in a real browser ----------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


def test_score_box_and_result_link_in_browser(browser, server_url):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1024, "height": 800})
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server_url}/modes/lip_sync?platform=veo-3")
    page.fill("#score-prompt", SPOKEN)
    page.click("#score button[type=submit]")
    # The main page reads ?prompt=&platform=, fills the form and checks the prompt.
    expect(page.locator("#light")).not_to_have_text("—", timeout=60_000)
    assert page.locator("#prompt").input_value() == SPOKEN
    assert page.locator("#platform").input_value() == "veo-3"
    link = page.locator("#reference-link a")
    expect(link).to_have_text("Reference: Lip sync on Veo 3")
    assert link.get_attribute("href") == "/modes/lip_sync?platform=veo-3"
    link.click()
    expect(page.locator("h1")).to_have_text("Audio-Visual Lip Sync & Phoneme Alignment Failure")
    assert errors == []
    page.close()


def test_reference_page_fits_a_phone(browser, server_url, tmp_path):
    page = browser.new_page(viewport={"width": 375, "height": 812})
    page.goto(f"{server_url}/modes/lip_sync?platform=sora-2")
    assert page.locator("h1").inner_text().startswith("Audio-Visual Lip Sync")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide at a 375px viewport"
    shot = tmp_path / "reference.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()
    if os.environ.get("AVA_UPDATE_SCREENSHOT") == "1":
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"{server_url}/modes/lip_sync?platform=sora-2")
        (REPO / "docs").mkdir(exist_ok=True)
        page.screenshot(path=str(REPO / "docs" / "reference-lip_sync-sora-2.png"), full_page=True)
        page.close()
