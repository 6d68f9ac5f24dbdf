"""The web page in a real browser: Debian's chromium driven by Playwright against a live uvicorn server.

Set AVA_UPDATE_SCREENSHOT=1 to also write docs/screenshot-red.png and docs/api-docs.png.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} not found: apt-get install chromium (.ci/run does)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test extra: pip install -e '.[test]'")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is a runtime dependency: pip install -e .")

REPO = Path(__file__).resolve().parents[3]
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
# Prompts that should come out RED on sora-2 with a rewrite that helps; the first that does is used,
# so a retrained model moves the test to another prompt instead of breaking the page check.
RED_CANDIDATES = (
    "A man in a suit looks into the camera and says 'I have worked at this company for twenty years and I have "
    "never seen anything like what happened here today, and I will never forget it' before walking away, "
    "close-up, 10 seconds",
    "Two men argue in a crowded bar; one yells 'You lied to me for years and I trusted you with everything I had' "
    "while the other says 'I did it to protect you', close-up on their faces",
    "A news anchor looks into the camera and says 'Good evening, tonight we bring you the story of a town that "
    "lost everything in the flood and rebuilt it in a single year', close-up",
    "Two sisters argue at the kitchen table; one says 'You always do this, you never listen to a word I say and "
    "then you act surprised' and the other shouts back, close-up, 10 seconds",
)
TIMEOUT_MS = 60_000
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def red_prompt(shipped_predictor) -> str:
    """Return the first candidate that is RED on sora-2 with a helpful rewrite."""
    for prompt in RED_CANDIDATES:
        report = shipped_predictor.predict(prompt, "sora-2")
        if report.light == "red" and report.rewrite is not None and report.rewrite.helped:
            return prompt
    pytest.fail("No RED_CANDIDATES prompt is red on sora-2 with a helpful rewrite; add one that is.")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


def _open(browser, url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    # The select is filled from /v1/platforms once the script has run. (A locator, not
    # wait_for_function: the page's Content-Security-Policy forbids the eval that needs.)
    page.locator("#platform option[value='veo-3']").wait_for(state="attached")
    return page, errors


def _check(page, prompt: str, platform: str = "sora-2") -> None:
    page.fill("#prompt", prompt)
    page.select_option("#platform", platform)
    page.click("#submit")


def test_red_prompt_renders_the_whole_report(browser, server_url, red_prompt, tmp_path, rules):
    expect = sync_api.expect
    page, errors = _open(browser, server_url, 1280, 900)
    _check(page, red_prompt)
    expect(page.locator("#light")).to_have_text("RED", timeout=TIMEOUT_MS)
    expect(page.locator("#light")).to_have_class("light red")
    expect(page.locator("#rewrite")).to_be_visible()
    rewritten = page.locator("#rewrite-prompt").inner_text().strip()
    assert rewritten and rewritten != red_prompt
    assert page.locator("#rewrite-light").inner_text().startswith("now ")
    assert page.locator("#advice li").count() >= 1

    assert page.locator("#bars .bar").count() == len(rules.mode_ids)
    assert page.locator("#bars .bar").first.get_attribute("data-mode") == "lip_sync"
    # The prompt is shown verbatim, with the quoted line marked and its risk change in the title.
    assert page.locator("#highlighted").inner_text() == red_prompt
    marks = page.locator("#highlighted mark")
    assert marks.count() >= 1
    assert "Lip sync risk" in marks.first.get_attribute("title")

    alternatives = page.locator("#alternatives li")
    assert 1 <= alternatives.count() <= 5
    assert page.locator("#alternatives li[data-platform='sora-2']").count() == 0
    assert page.locator("#flagged [data-platform]").count() >= 1  # silent platforms cannot voice the line
    expect(page.locator("#escalation")).to_be_visible()
    assert red_prompt in page.locator("#ticket").inner_text()
    assert page.locator("#strength").inner_text().split()[-1] in ("HIGH", "MEDIUM", "LOW")
    assert page.locator("#evidence li").count() >= 1
    assert errors == []

    shot = tmp_path / "screenshot-red.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("AVA_UPDATE_SCREENSHOT") == "1":
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, REPO / "docs" / "screenshot-red.png")
    page.close()


def test_driver_deltas_on_the_page_match_the_json(browser, server_url, red_prompt, shipped_predictor):
    from ava_model.answer.render import format_delta

    page, errors = _open(browser, server_url, 1280, 900)
    _check(page, red_prompt)
    sync_api.expect(page.locator("#light")).to_have_text("RED", timeout=TIMEOUT_MS)
    report = shipped_predictor.predict(red_prompt, "sora-2").to_dict()
    expected = sorted((d for ds in report["drivers"].values() for d in ds), key=lambda d: -d["delta"])[:8]
    items = page.locator("#drivers li").all_inner_texts()
    assert expected and len(items) == len(expected)
    for item, driver in zip(items, expected):  # the JSON's number, with its sign, and what it means
        assert f"adds {format_delta(driver['delta'])} to the " in item, (item, driver)
        assert "−" not in item.split("without it")[0]
    assert "adds +" in page.locator("#highlighted mark").first.get_attribute("title")
    assert errors == []
    page.close()


def test_api_docs_render_offline(browser, server_url, tmp_path):
    """/docs draws Swagger UI from files the server itself serves: no request leaves the machine."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server_url}/docs")
    sync_api.expect(page.locator(".swagger-ui .info .title")).to_contain_text("AVA")
    score = page.locator(".opblock-summary-path", has_text="/v1/score")
    sync_api.expect(score).to_be_visible()
    assert page.locator(".opblock").count() >= 5  # score, failure modes, platforms, modes, history, healthz
    assert page.locator(".swagger-ui .models, .swagger-ui section.schemes, .swagger-ui .opblock-tag").count() >= 1
    assert "Failed to load API definition" not in page.inner_text("body")
    outside = [url for url in requested if not url.startswith(server_url) and not url.startswith("data:")]
    assert outside == [], f"/docs asked for files from elsewhere: {outside}"
    assert f"{server_url}/docs-assets/swagger-ui-bundle.js" in requested
    assert errors == []
    shot = tmp_path / "api-docs.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("AVA_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, REPO / "docs" / "api-docs.png")

    requested.clear()
    page.goto(f"{server_url}/redoc")
    sync_api.expect(page.locator("h1", has_text="AVA")).to_be_visible()
    sync_api.expect(page.get_by_text("/v1/score").first).to_be_attached()
    # ReDoc's bundle links one decorative "Redocly" logo, an <img> that removes itself when it fails to load.
    outside = [url for url in requested if not url.startswith((server_url, f"blob:{server_url}", "data:"))
               and url != REDOC_LOGO]
    assert outside == [], f"/redoc asked for files from elsewhere: {outside}"
    page.close()


def test_phone_width_has_no_horizontal_scroll(browser, server_url, red_prompt, tmp_path):
    page, errors = _open(browser, server_url, 390, 844)
    _check(page, red_prompt)
    sync_api.expect(page.locator("#light")).to_have_text("RED", timeout=TIMEOUT_MS)
    sync_api.expect(page.locator("#escalation")).to_be_visible()
    page.locator("#flagged-box summary").click()  # open the longest list too
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width}px wide at a 390px viewport"
    page.screenshot(path=str(tmp_path / "screenshot-phone.png"), full_page=True)
    assert errors == []
    page.close()


def test_api_errors_show_inline(browser, server_url):
    page, _ = _open(browser, server_url, 1024, 768)
    # A platform the server does not know, as a stale page or a hand-edited request would send.
    page.evaluate("""() => {
        const option = document.createElement('option');
        option.value = 'sora-9'; option.textContent = 'Sora 9';
        document.querySelector('#platform').append(option);
    }""")
    _check(page, "A red ball rolls across a wooden floor", platform="sora-9")
    error = page.locator("#error")
    sync_api.expect(error).to_be_visible(timeout=TIMEOUT_MS)
    assert "items" not in error.inner_text()
    assert "platform: Unknown platform 'sora-9'" in error.inner_text()
    assert "Valid platforms:" in error.inner_text()
    assert page.locator("#platform").get_attribute("aria-invalid") == "true"
    assert page.locator("#results").is_hidden()
    page.close()


def test_prompt_text_is_escaped(browser, server_url, shipped_predictor):
    page, errors = _open(browser, server_url, 1024, 768)
    prompt = ("🙂🙂 A woman looks into the camera and says 'Welcome to <b>our</b> grand opening & "
              "<script>window.pwned=1</script> thank you all for coming tonight', close-up")
    _check(page, prompt)
    sync_api.expect(page.locator("#light")).not_to_have_text("—", timeout=TIMEOUT_MS)
    assert page.locator("#highlighted").inner_text() == prompt
    assert page.locator("#highlighted b, #highlighted script").count() == 0
    assert page.evaluate("window.pwned === undefined")
    # Driver offsets count code points, as Python does, so the marks line up after the emoji.
    report = shipped_predictor.predict(prompt, "sora-2")
    spans = [d.text for drivers in report.drivers.values() for d in drivers]
    marks = page.locator("#highlighted mark").all_inner_texts()
    assert len(marks) >= 1 if spans else not marks
    assert all(any(mark in span for span in spans) for mark in marks), (marks, spans)
    assert errors == []
    page.close()
