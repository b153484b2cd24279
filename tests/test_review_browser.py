"""The review page in a real headless Chromium (Debian's, through Playwright): it loads,
a click and a key press change the stored decision and the derived text, undo works,
hostile OCR text stays text. Skips when /usr/bin/chromium is absent."""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest
from conftest import edit

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TEXT = ("全球最大综合孔径射电望远镜巡天逐日、江门中微子实验大幕开启。\n\n"
        "高能同步辐射光源正式启动带光调联，建设进入冲刺阶段；午午工程二期、综合极端条件实验装置等通过验收。\n\n"
        "出现返贫风险的建档立卡卡脱贫人口继续实施就业帮扶<script>window.pwned=1</script>。")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(request, sqlite_url, make_settings):
    """The app under a real uvicorn on a free loopback port, in a thread (settings overrides may
    come as the fixture's parameter)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not installed (make browser installs it): review page browser tests skipped")
    import uvicorn

    from jiaokan.api.app import create_app

    app = create_app(make_settings(sqlite_url, **getattr(request, "param", {})))
    port = free_port()
    uvicorn_server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        yield page
        browser.close()


def stored_proposals(base_url, document_id):
    import httpx

    return {p["rule"]: p for p in httpx.get(f"{base_url}/v1/documents/{document_id}/proposals").json()}


def derived_text(base_url, document_id):
    import httpx

    return httpx.get(f"{base_url}/v1/documents/{document_id}/text").json()["text"]


def test_click_and_keys_change_decisions_and_text(server, browser_page, sqlite_url, store_edits, tmp_path):
    evidence = {"readings": {"002": "带光调联", "003": "带光调联", "004": "带光联调"}, "lexicon": "联调", "votes": [2, 1]}
    edits = [
        (edit(TEXT, "调联", "联调", rule="lexicon_reading", kind="consensus", confidence=0.86, evidence=evidence), True),
        edit(TEXT, "午", "子", rule="majority_reading", kind="consensus", confidence=0.72,
             evidence={"readings": {"002": "子午工程", "003": "子午工程", "004": "午午工程"}}),
        (edit(TEXT, "卡", "", rule="remove_doubled_character", occurrence=1, confidence=0.95,
              evidence={"context": "建档立卡卡脱贫人口"}), True),
    ]
    ids = store_edits(sqlite_url, [("2025/xinhua-004.txt", TEXT, edits)])
    document_id = ids["2025/xinhua-004.txt"]
    page = browser_page

    page.goto(f"{server}/review")
    page.click("text=2025/xinhua-004.txt")
    page.wait_for_selector("#text .proposal")
    assert page.locator("#text .proposal").count() == 3
    assert page.evaluate("window.pwned") is None
    assert "<script>window.pwned=1</script>" in page.inner_text("#text")

    # a click on a proposal shows its evidence, the Accept button stores the decision
    page.click("#text .proposal >> nth=1")
    page.wait_for_selector("#current-body .evidence")
    assert "子午工程" in page.inner_text("#current-body")
    page.click("#accept-button")
    page.wait_for_function("document.querySelectorAll('#text .proposal.status-accepted').length === 1")
    assert stored_proposals(server, document_id)["majority_reading"]["status"] == "accepted"
    assert "子午工程" in derived_text(server, document_id)

    # keys: "visit" starts at "to review" (the one not auto-applied, now decided), so k finds
    # nothing before it; K visits every proposal: it goes to 带光调联, and r rejects it
    assert page.input_value("#focus-mode") == "review"
    page.keyboard.press("k")
    assert "no more" in page.inner_text("#message")
    page.keyboard.press("K")
    page.keyboard.press("r")
    page.wait_for_function("document.querySelectorAll('#text .proposal.status-rejected').length === 1")
    rejected = [rule for rule, p in stored_proposals(server, document_id).items() if p["status"] == "rejected"]
    assert rejected == ["lexicon_reading"]
    assert "带光调联" in derived_text(server, document_id)
    page.wait_for_function("!document.getElementById('final-text').textContent.includes('带光联调')")

    # u undoes the rejection
    page.keyboard.press("u")
    page.wait_for_function("document.querySelectorAll('#text .proposal.status-rejected').length === 0")
    assert stored_proposals(server, document_id)["lexicon_reading"]["status"] == "pending"
    assert "带光联调" in derived_text(server, document_id)

    # hover shows the evidence popover; t shows the final text
    page.hover("#text .proposal >> nth=0")
    page.wait_for_selector("#popover:not([hidden])")
    assert "带光调联" in page.inner_text("#popover")
    page.screenshot(path=str(tmp_path / "review.png"), full_page=False)
    shutil.copy(tmp_path / "review.png", os.environ.get("JIAOKAN_SCREENSHOT", str(tmp_path / "review-copy.png")))
    page.mouse.move(5, 5)
    page.keyboard.press("t")
    assert page.is_visible("#final-text") and "子午工程" in page.inner_text("#final-text")
    assert "建档立卡脱贫" in page.inner_text("#final-text")


def test_page_with_hundreds_of_proposals_works(server, browser_page, sqlite_url, store_edits):
    from jiaokan.edits import Edit

    unit = "午午工程带光调联。"
    text = unit * 600
    edits = [Edit(len(unit) * index, len(unit) * index + 1, "午", "子", "fix_lookalike", "repair", 0.5 + (index % 50) / 100,
                  {"readings": {"a": "子午", "b": "午午"}}) for index in range(600)]
    ids = store_edits(sqlite_url, [("big.txt", text, edits)])
    page = browser_page
    page.goto(f"{server}/review/documents/{ids['big.txt']}")
    assert page.locator("#text .proposal").count() == 600
    assert page.inner_text("#count-review") == "600"
    for _ in range(300):
        page.keyboard.press("j")
    assert page.inner_text("#current-position").startswith("300 /")
    page.keyboard.press("a")
    page.wait_for_function("document.getElementById('count-accepted').textContent === '1'")
    # bulk accept of a rule above a confidence
    page.fill("#bulk-confidence", "0.9")
    page.click("#bulk-form button")
    page.wait_for_function("document.getElementById('count-accepted').textContent !== '1'")
    accepted = int(page.inner_text("#count-accepted"))
    expected = 1 + sum(1 for index in range(600) if 0.5 + (index % 50) / 100 >= 0.9 and index != 299)
    assert accepted == expected
