"""The review page as HTML (no browser): lists, proposals in place, everything escaped."""
from __future__ import annotations

import json
import re

from conftest import edit

HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">午午工程'


def test_index_lists_documents_with_pending_counts(client, sqlite_url, store_edits):
    store_edits(sqlite_url, [("a.txt", HOSTILE, [edit(HOSTILE, "午", "子")]), ("b.txt", "无误。", [])])
    page = client.get("/review")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "a.txt" in page.text and "b.txt" in page.text
    assert re.search(r'class="pending-count\s*">1<', page.text)


def test_document_page_escapes_ocr_text_everywhere(client, sqlite_url, store_edits):
    evil_evidence = {"readings": {"copy</script><script>alert(1)</script>": "<b>午</b>"}}
    ids = store_edits(sqlite_url, [
        ("<evil>.txt", HOSTILE, [edit(HOSTILE, "午", "<i>子</i>", evidence=evil_evidence)]),
    ])
    page = client.get(f"/review/documents/{ids['<evil>.txt']}")
    assert page.status_code == 200
    html = page.text
    assert "<script>window.pwned" not in html and "<img src=x" not in html and "<evil>" not in html
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in html
    assert "<i>子</i>" not in html and "</script><script>alert" not in html
    # the proposal data for the script is JSON that parses back to the stored evidence
    data = re.search(r'<script type="application/json" id="proposal-data">(.*?)</script>', html, re.S).group(1)
    (proposal,) = json.loads(data).values()
    assert proposal["evidence"] == evil_evidence and proposal["replacement"] == "<i>子</i>"


def test_document_page_puts_each_proposal_in_place(client, sqlite_url, store_edits):
    text = "甲乙丙丁戊己庚辛"
    edits = [edit(text, "乙", "一"), edit(text, "丁", ""), edit(text, "庚", "更", rule="majority_reading")]
    ids = store_edits(sqlite_url, [("t.txt", text, edits)])
    html = client.get(f"/review/documents/{ids['t.txt']}").text
    article = re.search(r'<article class="text[^"]*" id="text"[^>]*>(.*?)</article>', html, re.S).group(1)
    assert re.sub(r"<ins>.*?</ins>|<[^>]+>", "", article) == text  # the original, with nothing lost or doubled
    assert article.count('class="proposal') == 3
