"""The review page on a server that needs access tokens: the first decision asks for the token
once (review/static/signin.js), then decisions go through; a wrong token is refused."""
from __future__ import annotations

import pytest
from conftest import edit
from test_review_browser import TEXT, browser_page, running, server, stored_proposals  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
TOKEN = "review-token-0123456789abcdef"


@pytest.mark.parametrize("running", [{"access_tokens": (TOKEN,)}], indirect=True)
def test_the_page_asks_for_the_token_once_and_then_decides(server, browser_page, sqlite_url, store_edits):
    import httpx

    edits = [edit(TEXT, "午", "子", rule="majority_reading", kind="consensus", confidence=0.72,
                  evidence={"readings": {"002": "子午工程", "004": "午午工程"}}),
             edit(TEXT, "调联", "联调", rule="lexicon_reading", kind="consensus", confidence=0.86, evidence={"lexicon": "联调"})]
    document_id = store_edits(sqlite_url, [("a.txt", TEXT, edits)])["a.txt"]
    assert httpx.patch(f"{server}/v1/proposals/1", json={"status": "accepted"}).status_code == 401
    page = browser_page
    page.goto(f"{server}/review/documents/{document_id}")
    page.click("#text .proposal >> nth=0")
    page.click("#accept-button")
    page.wait_for_selector("dialog.signin[open]")
    page.fill("dialog.signin input", TOKEN)
    page.click("dialog.signin button[value=sign-in]")
    page.wait_for_function("document.querySelectorAll('#text .proposal.status-accepted').length === 1")
    assert sorted(p["status"] for p in stored_proposals(server, document_id).values()) == ["accepted", "pending"]
    # signed in: the next decision goes through without asking
    page.click("#text .proposal >> nth=1")
    page.click("#accept-button")
    page.wait_for_function("document.querySelectorAll('#text .proposal.status-accepted').length === 2")
    assert page.locator("dialog.signin").count() == 0
    assert [p["status"] for p in stored_proposals(server, document_id).values()] == ["accepted", "accepted"]
