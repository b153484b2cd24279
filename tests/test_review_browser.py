"""The review page in a real headless Chromium (Debian's, through Playwright): it loads, a
click and a key press change the stored decision and the derived text, undo works (a bulk
decision as one step), a typed reading changes the text, the apparatus lists every copy's
reading, the page fits 400 px, the API docs load nothing from off the server, and hostile OCR
text stays text. Skips when /usr/bin/chromium is absent.

``JIAOKAN_SCREENSHOTS=DIR`` keeps the seed page's screenshots (desktop and 400 px) in DIR
(``docs/`` holds the committed ones)."""
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


class RunningServer:
    """The app on ``database_url`` (with settings ``overrides``) under a real uvicorn on a free
    loopback port, in a thread;
    `restart` stops it and serves the same database from a new app (a restart of the service)."""

    def __init__(self, database_url: str, make_settings, overrides: dict | None = None) -> None:
        self.database_url = database_url
        self.make_settings = make_settings
        self.overrides = overrides or {}
        self.port = free_port()  # kept across a restart: the browser's stored reviewer name is per origin
        self.start()

    def start(self) -> None:
        import uvicorn

        from jiaokan.api.app import create_app

        self.app = create_app(self.make_settings(self.database_url, **self.overrides))
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                pytest.fail("uvicorn did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.state.engine.dispose()

    def restart(self) -> str:
        self.stop()
        self.start()
        return self.url


def needs_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not installed (make browser installs it): review page browser tests skipped")


@pytest.fixture
def running(request, sqlite_url, make_settings):
    """A `RunningServer` on a temporary SQLite store (settings overrides may come as the
    fixture's parameter)."""
    needs_chromium()
    server = RunningServer(sqlite_url, make_settings, getattr(request, "param", None))
    yield server
    server.stop()


@pytest.fixture
def server(running):
    """The running app's base URL."""
    return running.url


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        yield page
        browser.close()
        assert not problems, f"the page raised: {problems}"


def stored_proposals(base_url, document_id):
    import httpx

    return {p["rule"]: p for p in httpx.get(f"{base_url}/v1/documents/{document_id}/proposals").json()}


def derived_text(base_url, document_id):
    import httpx

    return httpx.get(f"{base_url}/v1/documents/{document_id}/text").json()["text"]




def wait_for_status(page, proposal_id, status):
    page.wait_for_function(f"window.jiaokanReview.proposals['{proposal_id}'].status === '{status}'")


def test_click_and_keys_change_decisions_and_text(server, browser_page, sqlite_url, store_edits):
    evidence = {"readings": [{"document": "2025/xinhua-004.txt", "reading": "带光调联", "self": True},
                             {"document": "002", "reading": "带光联调"}, {"document": "003", "reading": "带光联调"}],
                "chosen": "带光联调", "lexicon": [{"term": "联调", "source": "domain.txt"}], "copies": 2, "copies_for": 2}
    edits = [
        (edit(TEXT, "调联", "联调", rule="lexicon_reading", kind="consensus", confidence=0.86, evidence=evidence), True),
        edit(TEXT, "午", "子", rule="majority_reading", kind="consensus", confidence=0.72,
             evidence={"readings": {"002": "子午工程", "003": "子午工程", "004": "午午工程"}}),
        (edit(TEXT, "卡", "", rule="remove_doubled_character", occurrence=1, confidence=0.95,
              evidence={"context": "建档立卡卡脱贫人口"}), True),
    ]
    ids = store_edits(sqlite_url, [("2025/xinhua-004.txt", TEXT, edits)])
    document_id = ids["2025/xinhua-004.txt"]
    by_rule = stored_proposals(server, document_id)
    page = browser_page

    page.goto(f"{server}/review")
    page.click("text=2025/xinhua-004.txt")
    page.wait_for_selector("#text .proposal")
    assert page.locator("#text [data-proposal-id]").count() == 3
    assert page.evaluate("window.pwned") is None
    assert "<script>window.pwned=1</script>" in page.inner_text("#text")
    # the text reads as the final text: only the one to review shows both readings
    assert page.locator("#text .proposal.needs-review").count() == 1
    assert "带光联调" in page.inner_text("#text") and "带光调联" not in page.inner_text("#text")
    assert page.inner_text("#count-review") == "1"

    # a click shows the apparatus in words (no JSON); Accept stores the decision with the reviewer
    page.fill("#reviewer-name", "王五")
    page.press("#reviewer-name", "Enter")
    page.click("#text .proposal.needs-review")
    page.wait_for_selector("#current-body table.apparatus")
    body = page.inner_text("#current-body")
    assert "子午工程" in body and "{" not in body and "1 of 1 to review" in page.inner_text("#bar-position")
    page.click("#accept-button")
    wait_for_status(page, by_rule["majority_reading"]["id"], "accepted")
    stored = stored_proposals(server, document_id)["majority_reading"]
    assert (stored["status"], stored["decided_by"]) == ("accepted", "王五")
    assert "子午工程" in derived_text(server, document_id)
    # after the last one, j says where the next work is; here none is left anywhere
    assert "Nothing left to review" in page.inner_text("#message")

    # K visits every proposal: back to 带光调联 (applied by the policy, its evidence fetched
    # when it is shown), r rejects it
    page.keyboard.press("K")
    page.wait_for_selector("#current-body table.apparatus")
    assert "带光联调" in page.inner_text("#current-body") and "Lexicon entry" in page.inner_text("#current-body")
    page.keyboard.press("r")
    wait_for_status(page, by_rule["lexicon_reading"]["id"], "rejected")
    assert stored_proposals(server, document_id)["lexicon_reading"]["status"] == "rejected"
    assert "带光调联" in derived_text(server, document_id)

    # u undoes the rejection
    page.keyboard.press("u")
    wait_for_status(page, by_rule["lexicon_reading"]["id"], "pending")
    assert stored_proposals(server, document_id)["lexicon_reading"]["status"] == "pending"
    assert "带光联调" in derived_text(server, document_id)

    # t marks every applied edit; ? opens the keyboard help, Escape closes it
    page.keyboard.press("t")
    assert page.locator("#text .proposal.shown").count() == 3
    # each shown with both readings, the applied deletion of 卡 too
    assert page.locator("#text .proposal.shown del").count() == 3 and page.locator("#text .proposal.shown del", has_text="卡").count() == 1
    page.keyboard.press("?")
    assert page.is_visible("#help") and "undo the last decision" in page.inner_text("#help")
    page.keyboard.press("Escape")
    assert not page.is_visible("#help")


def test_typed_correction_changes_the_text_and_survives_a_restart(running, browser_page, sqlite_url, store_edits):
    import httpx

    # an applied edit that shortens the text before the selection below: the page holds it as its
    # final reading only, and the selection's place in the original must still come out right
    applied = (edit(TEXT, "逐日、", "、", rule="remove_doubled_character", confidence=0.97), True)
    ids = store_edits(sqlite_url, [("a.txt", TEXT, [edit(TEXT, "午", "子", confidence=0.6), applied])])
    page = browser_page
    page.goto(f"{running.url}/review/documents/{ids['a.txt']}")
    assert "巡天、江门" in page.inner_text("#text")
    page.fill("#reviewer-name", "李四")
    page.press("#reviewer-name", "Enter")
    page.keyboard.press("j")
    page.fill("#comment-input", "1998 edition reads 丑")
    page.press("#comment-input", "Enter")  # leaves the field: the keys work again
    page.keyboard.press("c")
    page.fill("#correction-input", "丑")
    page.keyboard.press("Enter")
    proposal_id = page.evaluate("Object.values(window.jiaokanReview.proposals).find((p) => p.original === '午').id")
    page.wait_for_function(f"window.jiaokanReview.proposals['{proposal_id}'].reading === '丑'")
    assert "丑午工程" in derived_text(running.url, ids["a.txt"])

    # select 冲刺 in the text (no proposal there), c, type: the reviewer's own reading goes in
    page.evaluate("""() => {
        const box = document.getElementById('text');
        const node = Array.from(box.childNodes).find((child) => child.nodeType === 3 && child.textContent.includes('冲刺'));
        const range = document.createRange();
        range.setStart(node, node.textContent.indexOf('冲刺'));
        range.setEnd(node, node.textContent.indexOf('冲刺') + 2);
        getSelection().removeAllRanges(); getSelection().addRange(range);
    }""")
    page.keyboard.press("c")
    assert "「冲刺」" in page.inner_text("#correction-label")
    page.fill("#correction-input", "冲锋")
    page.keyboard.press("Enter")
    page.wait_for_selector("#text .proposal.kind-review")
    assert "冲锋阶段" in derived_text(running.url, ids["a.txt"]) and "冲锋" in page.inner_text("#text")

    base = running.restart()
    export = [line for line in httpx.get(f"{base}/v1/collections/default/export").text.splitlines() if line]
    record = __import__("json").loads(export[0])
    by_rule = {item["rule"]: item for item in record["proposals"]}
    typed, proposal = by_rule["reviewer_reading"], by_rule["fix_lookalike"]
    assert (proposal["reading"], proposal["decided_by"], proposal["status"]) == ("丑", "李四", "accepted")
    assert (typed["rule"], typed["replacement"], typed["decided_by"]) == ("reviewer_reading", "冲锋", "李四")
    assert proposal["history"][-1]["comment"] == "1998 edition reads 丑" and "丑午工程" in record["text"] and "冲锋阶段" in record["text"]
    # the page after the restart shows the decision in the history, and the name stays in the browser
    page.goto(f"{base}/review/documents/{ids['a.txt']}#p{proposal_id}")
    page.wait_for_selector("#current-body .history")
    page.click("#current-body .history summary")
    assert "丑" in page.inner_text("#current-body .history") and "李四" in page.inner_text("#current-body .history")
    assert page.input_value("#reviewer-name") == "李四"


def test_page_with_hundreds_of_proposals_bulk_decides_and_undoes_as_one_step(server, browser_page, sqlite_url, store_edits):
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
    assert page.inner_text("#bar-position").startswith("300 of 600 to review")
    page.wait_for_selector("#current-body table.apparatus")  # beyond the first 100: its details fetched
    page.keyboard.press("a")
    page.wait_for_function("document.getElementById('count-accepted').textContent === '1'")

    # bulk: the count first, nothing changes until confirmed
    page.select_option("#bulk-rule", "fix_lookalike")
    page.fill("#bulk-min", "0.9")
    page.click("#bulk-count")
    expected = sum(1 for index in range(600) if 0.5 + (index % 50) / 100 >= 0.9 and index != 299)
    page.wait_for_function("document.getElementById('bulk-preview').textContent !== ''")
    assert page.inner_text("#bulk-preview").startswith(f"{expected} pending")
    assert page.inner_text("#count-accepted") == "1"
    page.click("#bulk-reject")
    page.wait_for_function(f"document.getElementById('count-rejected').textContent === '{expected}'")
    rejected = [p for p in httpx_proposals(server, ids["big.txt"]) if p["status"] == "rejected"]
    assert len(rejected) == expected

    # u undoes the whole bulk decision as one step; the single acceptance stays
    page.keyboard.press("u")
    page.wait_for_function("document.getElementById('count-rejected').textContent === '0'")
    statuses = [p["status"] for p in httpx_proposals(server, ids["big.txt"])]
    assert statuses.count("rejected") == 0 and statuses.count("accepted") == 1 and statuses.count("pending") == 599


def httpx_proposals(base_url, document_id):
    import httpx

    return httpx.get(f"{base_url}/v1/documents/{document_id}/proposals").json()


def test_narrow_window_has_no_overflow_and_keeps_the_decision_bar_in_view(server, browser_page, sqlite_url, store_edits):
    text = TEXT * 30
    edits = [edit(text, "午", "子", occurrence=index, confidence=0.6) for index in range(0, 60, 7)]
    ids = store_edits(sqlite_url, [("a-rather-long-document-name-from-a-scanner/2025-12-03/page-0042.txt", text, edits)])
    page = browser_page
    page.set_viewport_size({"width": 400, "height": 800})
    document_path = f"/review/documents/{ids['a-rather-long-document-name-from-a-scanner/2025-12-03/page-0042.txt']}"
    for path in ("/review", "/review/queue", "/review/documents/999", document_path):
        page.goto(server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 400, path
    for _ in range(5):
        page.keyboard.press("j")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    for button in ("#accept-button", "#reject-button"):
        box = page.locator(button).bounding_box()
        assert box and 0 <= box["y"] and box["y"] + box["height"] <= 800 and box["x"] + box["width"] <= 400, button
    # the current proposal is visible above the sheet and the bar
    mark = page.locator("#text .proposal.current").bounding_box()
    sheet = page.locator("#current").bounding_box()
    assert mark and sheet and 0 <= mark["y"] and mark["y"] + mark["height"] <= sheet["y"]


def test_docs_are_served_offline_with_a_favicon_and_review_errors_are_pages(server, browser_page):
    import httpx

    page = browser_page
    requested, answered = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("response", lambda response: answered.append(response.url))
    page.goto(f"{server}/docs")
    page.wait_for_selector(".swagger-ui .info", timeout=20000)
    # Swagger UI asks for nothing off the server
    assert requested and all(url.startswith(server) for url in requested), [url for url in requested if not url.startswith(server)]
    page.goto(f"{server}/redoc")
    page.wait_for_selector("redoc h1, .api-info h1, [class*=api-info] h1", timeout=20000)
    page.wait_for_timeout(500)
    # ReDoc's bundle names its maker's logo on a CDN: the page's policy blocks it, nothing leaves
    assert all(url.startswith((server, "blob:" + server)) for url in answered), answered
    html = httpx.get(f"{server}/docs").text + httpx.get(f"{server}/redoc").text
    assert "cdn" not in html and "googleapis" not in html and "tiangolo" not in html
    favicon = httpx.get(f"{server}/favicon.ico")
    assert favicon.status_code == 200 and favicon.headers["content-type"] == "image/x-icon"

    missing = httpx.get(f"{server}/review/documents/999999")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "no document with id 999999" in missing.text
    assert httpx.get(f"{server}/review/documents/abc").headers["content-type"].startswith("text/html")
    assert httpx.get(f"{server}/v1/documents/999999").json() == {"detail": "no document with id 999999"}


@pytest.fixture(scope="module")
def seeds_database(tmp_path_factory):
    """The seed pages stored and corrected once (the engine's run), copied for each test."""
    needs_chromium()
    from conftest import SEEDS

    from jiaokan.settings import Settings
    from jiaokan.store import repository
    from jiaokan.store.database import open_store
    from jiaokan.store.runs import load_folder

    path = tmp_path_factory.mktemp("seeds") / "seeds.db"
    engine, session_factory = open_store(f"sqlite:///{path}")
    settings = Settings(_env_file=None, database_url=f"sqlite:///{path}", warm_up=False)
    with session_factory() as session, repository.write_transaction(session):
        load_folder(session, SEEDS, collection="seeds", config=settings.engine_config(repository.term_strings(session)))
    engine.dispose()
    return path


def three_copy_decisions(base_url):
    import httpx

    found = []
    for document in httpx.get(f"{base_url}/v1/documents", params={"limit": 100}).json()["items"]:
        for proposal in httpx.get(f"{base_url}/v1/documents/{document['id']}/proposals").json():
            if len(proposal["evidence"].get("readings") or ()) >= 3:
                found.append(proposal)
    return found


def test_apparatus_lists_every_copys_reading_for_a_seed_three_copy_decision(seeds_database, tmp_path, make_settings, browser_page):
    shutil.copy(seeds_database, tmp_path / "store.db")
    server = RunningServer(f"sqlite:///{tmp_path / 'store.db'}", make_settings)
    try:
        decisions = three_copy_decisions(server.url)
        assert decisions, "the seeds hold three-copy decisions"
        # one that needs a person, if any (the screenshots show it), else the first
        decision = next((p for p in decisions if not p["auto"]), decisions[0])
        page = browser_page
        page.goto(f"{server.url}/review/documents/{decision['document_id']}")
        page.focus(f"[data-proposal-id='{decision['id']}']")
        page.wait_for_selector("#current-body table.apparatus")
        apparatus = page.inner_text("#current-body")
        rows = page.locator("#current-body table.apparatus tbody tr")
        assert rows.count() == len(decision["evidence"]["readings"]) >= 3
        for index, reading in enumerate(decision["evidence"]["readings"]):
            row = rows.nth(index).inner_text()
            assert reading["document"] in row and "".join(reading["reading"].split()) in "".join(row.split())
            assert "%" in row  # the copy's reliability
        assert "copies read" in apparatus and "Calibrated confidence" in apparatus and "OCR channel" in apparatus
        assert "{" not in apparatus and '"document"' not in apparatus
        # every piece of evidence the engine wrote for it is said in words (none left as a bare key)
        assert page.locator("#current-body dl.facts.other").count() == 0, page.inner_text("#current-body dl.facts.other")
        assert page.locator("#current-body table.apparatus tr.chosen").count() >= 1

        # each copy's name links to that place in it
        other = decision["evidence"]["readings"][1]
        link = rows.nth(1).locator("a")
        assert "?at=" in link.get_attribute("href")
        if os.environ.get("JIAOKAN_SCREENSHOTS"):
            page.set_viewport_size({"width": 1400, "height": 900})
            page.locator(".proposal.current").scroll_into_view_if_needed()
            page.screenshot(path=os.path.join(os.environ["JIAOKAN_SCREENSHOTS"], "review-desktop.png"))
            page.set_viewport_size({"width": 400, "height": 800})
            page.goto(f"{server.url}/review/documents/{decision['document_id']}")
            page.keyboard.press("j")
            page.wait_for_selector("#current-body .change")
            page.screenshot(path=os.path.join(os.environ["JIAOKAN_SCREENSHOTS"], "review-400px.png"))
            page.set_viewport_size({"width": 1400, "height": 900})
            page.goto(f"{server.url}/review/documents/{decision['document_id']}")
            page.focus(f"[data-proposal-id='{decision['id']}']")
        page.locator("#current-body table.apparatus tbody tr").nth(1).locator("a").click()
        page.wait_for_selector("mark.place")
        assert "".join(ch for ch in other["reading"] if ch.isalnum())[:4] in page.inner_text("mark.place")

        # one applied by the policy comes as its final reading only; focused, it shows the same
        # apparatus (its details fetched then)
        applied = next((p for p in decisions if p["auto"]), None)
        if applied is not None:
            page.goto(f"{server.url}/review/documents/{applied['document_id']}")
            mark = page.locator(f"[data-proposal-id='{applied['id']}']")
            assert mark.locator("ins").count() == 0
            page.focus(f"[data-proposal-id='{applied['id']}']")
            page.wait_for_selector("#current-body table.apparatus")
            rows = page.locator("#current-body table.apparatus tbody tr")
            assert rows.count() == len(applied["evidence"]["readings"])
            for index, reading in enumerate(applied["evidence"]["readings"]):
                assert reading["document"] in rows.nth(index).inner_text()
            assert "{" not in page.inner_text("#current-body") and mark.locator("ins").count() == 1
    finally:
        server.stop()


def test_n_after_the_last_one_opens_the_next_document_with_work(server, browser_page, sqlite_url, store_edits):
    ids = store_edits(sqlite_url, [
        ("a.txt", TEXT, [edit(TEXT, "午", "子", confidence=0.6)]),
        ("b.txt", TEXT, []),  # nothing to review: skipped
        ("c.txt", TEXT, [edit(TEXT, "调联", "联调", rule="lexicon_reading", confidence=0.6)]),
    ])
    page = browser_page
    page.goto(f"{server}/review/documents/{ids['a.txt']}")
    page.keyboard.press("n")
    assert page.inner_text("#bar-position").startswith("1 of 1 to review")
    page.keyboard.press("a")
    page.wait_for_function("document.getElementById('count-review').textContent === '0'")
    assert "c.txt" in page.inner_text("#message")
    page.keyboard.press("n")
    page.wait_for_url(f"**/review/documents/{ids['c.txt']}")
    assert page.inner_text("#count-review") == "1"
