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
        ("<evil>.txt", HOSTILE, [edit(HOSTILE, "午", "<i>子</i>", evidence=evil_evidence),
                                 (edit(HOSTILE, "工程", "<u>工程</u>", rule="lexicon_reading"), True)]),
    ])
    page = client.get(f"/review/documents/{ids['<evil>.txt']}")
    assert page.status_code == 200
    html = page.text
    assert "<script>window.pwned" not in html and "<img src=x" not in html and "<evil>" not in html
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in html
    assert "<i>子</i>" not in html and "</script><script>alert" not in html
    # the applied one reads as its (escaped) replacement
    assert "<u>" not in html and "&lt;u&gt;工程&lt;/u&gt;</span>" in html
    # the data for the script is JSON that parses back to what is stored: every proposal's
    # outline, and the evidence of the one to review
    outline = json.loads(re.search(r'<script type="application/json" id="proposal-outline">(.*?)</script>', html, re.S).group(1))
    rows = [dict(zip(outline["fields"], row)) for row in outline["rows"]]
    assert [(row["replacement"], row["auto"]) for row in rows] == [("<i>子</i>", False), ("<u>工程</u>", True)]
    details = json.loads(re.search(r'<script type="application/json" id="proposal-data">(.*?)</script>', html, re.S).group(1))
    assert list(details) == [str(rows[0]["id"])] and details[str(rows[0]["id"])]["evidence"] == evil_evidence


def test_document_page_puts_each_proposal_in_place(client, sqlite_url, store_edits):
    text = "甲乙丙丁戊己庚辛"
    edits = [edit(text, "乙", "一"), edit(text, "丁", ""), edit(text, "庚", "更", rule="majority_reading")]
    ids = store_edits(sqlite_url, [("t.txt", text, edits)])
    html = client.get(f"/review/documents/{ids['t.txt']}").text
    article = re.search(r'<article class="text[^"]*" id="text"[^>]*>(.*?)</article>', html, re.S).group(1)
    assert re.sub(r"<ins>.*?</ins>|<[^>]+>", "", article) == text  # the original, with nothing lost or doubled
    assert article.count('class="proposal') == 3


def test_document_page_reads_as_the_final_text_and_marks_only_what_needs_review(client, sqlite_url, store_edits):
    text = "甲乙丙丁戊己庚辛壬癸"
    edits = [edit(text, "乙", "一"),  # to review
             (edit(text, "丁", "", rule="remove_doubled_character"), True),  # a deletion applied by the policy
             (edit(text, "己", "已", rule="widen_punctuation", kind="normalisation"), True),  # rejected below
             edit(text, "辛", "新")]  # accepted below with the reviewer's own reading
    ids = store_edits(sqlite_url, [("t.txt", text, edits)])
    stored = {p["original"]: p for p in client.get(f"/v1/documents/{ids['t.txt']}/proposals").json()}
    client.patch(f"/v1/proposals/{stored['己']['id']}", json={"status": "rejected"}).raise_for_status()
    client.patch(f"/v1/proposals/{stored['辛']['id']}", json={"status": "accepted", "reading": "心"}).raise_for_status()
    html = client.get(f"/review/documents/{ids['t.txt']}").text
    article = re.search(r'<article class="text[^"]*" id="text"[^>]*>(.*?)</article>', html, re.S).group(1)
    # every proposal is an element with its id; only the one to review holds two readings
    assert sorted(map(int, re.findall(r'data-proposal-id="(\d+)"', article))) == sorted(p["id"] for p in stored.values())
    assert article.count("needs-review") == 1 and article.count("<ins>") == 1
    # without the reading it proposes, the page's text is the final text the API derives
    final = client.get(f"/v1/documents/{ids['t.txt']}/text").json()["text"]
    assert re.sub(r"<ins>.*?</ins>|<[^>]+>", "", article) == final == "甲乙丙戊己庚心壬癸"
    # what the page did not carry, it asks for when a proposal is opened
    details = client.get(f"/review/proposals/{stored['辛']['id']}/details").json()
    assert [(item["status"], item["reading"]) for item in details["history"]] == [("accepted", "心")]
    assert details["evidence"] == stored["辛"]["evidence"]
    missing = client.get("/review/proposals/424242/details")
    assert missing.status_code == 404 and "no proposal with id 424242" in missing.text


def test_queue_orders_what_most_needs_a_person_first_and_filters(client, sqlite_url, store_edits):
    text = "午午工程带光调联，建档立卡卡脱贫人口。"
    ids = store_edits(sqlite_url, [
        ("a.txt", text, [edit(text, "午", "子", confidence=0.9), edit(text, "调联", "联调", rule="lexicon_reading", confidence=0.55)]),
        ("b.txt", text, [edit(text, "卡", "", rule="remove_doubled_character", occurrence=1, confidence=0.6),
                         (edit(text, "，", ",", rule="widen_punctuation", kind="normalisation", confidence=0.97), True)]),
    ])
    page = client.get("/review/queue").text
    items = re.findall(r'<li class="queue-item" data-proposal-id="(\d+)">.*?<span class="document-name">([^<]+)</span> · (\w+)', page, re.S)
    # only what needs a person (the applied punctuation is not), lowest confidence first
    assert [(name, rule) for _, name, rule in items] == [("a.txt", "lexicon_reading"), ("b.txt", "remove_doubled_character"), ("a.txt", "fix_lookalike")]
    assert f"/review/documents/{ids['a.txt']}#p{items[0][0]}" in page
    assert re.findall(r"document-name\">([^<]+)<", client.get("/review/queue", params={"rule": "remove_doubled_character"}).text) == ["b.txt"]
    assert len(re.findall("queue-item", client.get("/review/queue", params={"text": "联调"}).text)) == 1
    assert len(re.findall("queue-item", client.get("/review/queue", params={"min_confidence": 0.8}).text)) == 1
    assert len(re.findall("queue-item", client.get("/review/queue", params={"status": "any"}).text)) == 4
    assert client.get("/review/queue", params={"status": "nonsense"}).headers["content-type"].startswith("text/html")


def test_review_errors_are_html_pages_and_api_errors_stay_json(client):
    missing = client.get("/review/documents/424242")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "no document with id 424242" in missing.text and "<!doctype html>" in missing.text
    assert client.get("/review/nothing-here").status_code == 404
    assert client.get("/review/nothing-here").headers["content-type"].startswith("text/html")
    assert client.get("/v1/documents/424242").json() == {"detail": "no document with id 424242"}
    assert client.get("/v1/nothing-here").json() == {"detail": "Not Found"}
    assert client.get("/favicon.ico").content[:4] == b"\x00\x00\x01\x00"


def test_document_page_carries_history_and_links_to_each_copys_place(client, sqlite_url, store_edits):
    text = "甲乙丙，午午工程。"
    witness = "甲乙丙,子午工程。"
    evidence = {"readings": [{"document": "t.txt", "reading": "午午工程", "self": True}, {"document": "w.txt", "reading": "子午工程"}],
                "chosen": "子午工程", "context": "乙丙[子午工程]"}
    ids = store_edits(sqlite_url, [("t.txt", text, [edit(text, "午", "子", rule="majority_reading", kind="consensus", evidence=evidence)]),
                                   ("w.txt", witness, [])])
    (proposal,) = client.get(f"/v1/documents/{ids['t.txt']}/proposals").json()
    client.patch(f"/v1/proposals/{proposal['id']}", json={"status": "accepted", "decided_by": "张三", "comment": "as printed"})
    html = client.get(f"/review/documents/{ids['t.txt']}").text
    # decided, it needs no review: the page does not carry its details, they come when it is opened
    assert json.loads(re.search(r'id="proposal-data">(.*?)</script>', html, re.S).group(1)) == {}
    data = client.get(f"/review/proposals/{proposal['id']}/details").json()
    assert [(item["status"], item["decided_by"], item["comment"]) for item in data["history"]] == [("accepted", "张三", "as printed")]
    assert data["places"] == [f"/review/documents/{ids['t.txt']}?at=4-8#place", f"/review/documents/{ids['w.txt']}?at=4-8#place"]
    marked = client.get(f"/review/documents/{ids['w.txt']}", params={"at": "4-8"}).text
    assert '<mark class="place" id="place" tabindex="-1">子午工程</mark>' in marked


def test_long_page_carries_the_first_details_and_is_sent_compressed(client, sqlite_url, store_edits):
    text = "午午工程带光调联，建档立卡脱贫人口继续实施就业帮扶。" * 150
    ids = store_edits(sqlite_url, [("t.txt", text, [edit(text, "午", "子", occurrence=index) for index in range(0, 300, 2)])])
    gzip = {"accept-encoding": "gzip"}
    page = client.get(f"/review/documents/{ids['t.txt']}", headers=gzip)
    assert page.headers["content-encoding"] == "gzip" and int(page.headers["content-length"]) < len(page.content) / 4
    # all 150 to review are marked; the details of the first 100 come with the page
    marked = [int(found) for found in re.findall(r'needs-review" tabindex="0" id="p(\d+)"', page.text)]
    details = json.loads(re.search(r'id="proposal-data">(.*?)</script>', page.text, re.S).group(1))
    assert len(marked) == 150 and sorted(int(key) for key in details) == marked[:100]
    assert client.get("/review/static/review.js", headers=gzip).headers["content-encoding"] == "gzip"
    assert "content-encoding" not in client.get(f"/review/documents/{ids['t.txt']}", headers={"accept-encoding": "identity"}).headers
    assert "content-encoding" not in client.get(f"/v1/documents/{ids['t.txt']}/proposals", headers=gzip).headers


def test_document_page_and_details_on_postgresql(postgres_url, make_settings, store_edits):
    from fastapi.testclient import TestClient

    from jiaokan.api.app import create_app

    text = "甲乙丙丁戊己庚辛壬癸"
    ids = store_edits(postgres_url, [("t.txt", text, [edit(text, "乙", "一"), (edit(text, "丁", "", rule="remove_doubled_character"), True)])])
    with TestClient(create_app(make_settings(postgres_url))) as client:
        html = client.get(f"/review/documents/{ids['t.txt']}").text
        article = re.search(r'<article class="text[^"]*" id="text"[^>]*>(.*?)</article>', html, re.S).group(1)
        assert re.sub(r"<ins>.*?</ins>|<[^>]+>", "", article) == "甲乙丙戊己庚辛壬癸" and article.count("needs-review") == 1
        details = json.loads(re.search(r'id="proposal-data">(.*?)</script>', html, re.S).group(1))
        (to_review,) = details
        applied = next(int(found) for found in re.findall(r'data-proposal-id="(\d+)"', article) if found != to_review)
        assert client.get(f"/review/proposals/{applied}/details").json()["evidence"]["readings"] == {"copy-1": "", "copy-2": "丁"}
