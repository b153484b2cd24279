"""The HTTP API's contract: documents, proposals, decisions, texts, export, lexicon, OpenAPI.

Proposals here are edits the tests construct (stored through `load_run`), so these
tests do not depend on what the engine proposes; `test_api_engine.py` covers that.
"""
from __future__ import annotations

import json
import threading

import pytest
from conftest import edit

TEXT = "建档立卡卡脱贫人口继续实施就业帮扶，午午工程二期建设进入冲刺阶段。"

OPERATION_IDS = {
    "health", "correct_text", "create_document", "list_documents", "read_document", "delete_document",
    "read_document_text", "list_collections", "export_collection", "recompute_collection", "list_proposals",
    "decide_proposal", "decide_proposals", "list_terms", "add_term", "remove_term",
}


@pytest.fixture
def stored(client, sqlite_url, store_edits):
    """One document with three constructed proposals: an auto-applied one and two pending."""
    doubled = edit(TEXT, "卡", "", rule="remove_doubled_character", occurrence=1, confidence=0.95)
    lookalike = edit(TEXT, "午", "子", rule="fix_lookalike", confidence=0.7)
    term = edit(TEXT, "冲刺", "冲次", rule="match_domain_term", confidence=0.2)
    ids = store_edits(sqlite_url, [("news/a.txt", TEXT, [(doubled, True), lookalike, term])])
    document_id = ids["news/a.txt"]
    proposals = client.get(f"/v1/documents/{document_id}/proposals").json()
    return document_id, {proposal["rule"]: proposal for proposal in proposals}


def test_health(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["database"] == "ok"


def test_openapi_has_stable_operation_ids_and_examples(client):
    schema = client.get("/openapi.json").json()
    operations = {
        operation["operationId"]
        for path in schema["paths"].values()
        for operation in path.values()
    }
    assert OPERATION_IDS <= operations
    components = schema["components"]["schemas"]
    for name in ("CorrectRequest", "CorrectResponse", "DocumentCreate", "ProposalDecision", "BulkDecision", "TermCreate"):
        assert components[name].get("examples"), name
    assert not any(path.startswith("/review") for path in schema["paths"])


def test_correct_returns_text_and_edits_with_offsets_into_the_posted_text(client):
    from jiaokan.edits import Edit, apply_edits

    response = client.post("/v1/correct", json={"text": TEXT})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"text", "edits", "variants"}
    for record in body["edits"]:
        assert set(record) >= {"start", "end", "original", "replacement", "rule", "confidence", "evidence", "status"}
        assert TEXT[record["start"]:record["end"]] == record["original"]
    applied = [Edit.from_dict(record) for record in body["edits"] if record["status"] == "applied"]
    assert apply_edits(TEXT, applied) == body["text"]


def test_correct_passes_options_and_lexicon_terms_to_the_engine(client, monkeypatch):
    import jiaokan
    from jiaokan.result import Correction

    seen = []

    def fake_correct_text(text, witnesses=(), *, config):
        seen.append((list(witnesses), config))
        return Correction.from_edits("text", text, [edit(text, "午", "子", confidence=0.95)], config)

    monkeypatch.setattr(jiaokan, "correct_text", fake_correct_text)
    monkeypatch.setattr("jiaokan.api.engine_configs.prepare_engine", lambda config: None)  # no tables to build for it
    body = client.post("/v1/correct", json={"text": TEXT, "witnesses": ["甲", "乙"], "options": {"auto_apply_threshold": 0.99}}).json()
    assert body["text"] == TEXT and body["edits"][0]["status"] == "proposed"
    assert seen[-1][0] == ["甲", "乙"] and seen[-1][1].auto_apply_threshold == 0.99

    def correct_once_prepared(options=None):
        """A correction after the lexicon change is prepared (the first one starts preparing it)."""
        for _ in range(2):
            client.post("/v1/correct", json={"text": TEXT} | ({"options": options} if options else {}))
            client.app.state.engine_configs.wait()

    assert client.post("/v1/lexicon/terms", json={"term": "子午工程"}).status_code == 201
    correct_once_prepared({"extra_terms": ["冲刺阶段"]})
    assert seen[-1][1].extra_terms == ("冲刺阶段", "子午工程")
    assert client.delete("/v1/lexicon/terms/子午工程").status_code == 204
    correct_once_prepared()
    assert seen[-1][1].extra_terms == ()


def test_document_lifecycle(client):
    created = client.post("/v1/documents", json={"name": "a/b.txt", "text": TEXT, "collection": "news"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["outcome"] == "created" and body["name"] == "a/b.txt" and body["collection"] == "news"
    assert body["original"] == TEXT and body["length"] == len(TEXT)

    again = client.post("/v1/documents", json={"name": "a/b.txt", "text": TEXT, "collection": "news"})
    assert again.status_code == 200 and again.json()["id"] == body["id"] and again.json()["outcome"] == "unchanged"
    conflict = client.post("/v1/documents", json={"name": "a/b.txt", "text": TEXT + "。", "collection": "news"})
    assert conflict.status_code == 409 and "detail" in conflict.json()

    for index in range(5):
        assert client.post("/v1/documents", json={"name": f"p{index}.txt", "text": f"第{index}篇。"}).status_code == 201
    page = client.get("/v1/documents", params={"offset": 2, "limit": 3}).json()
    assert page["total"] == 6 and page["offset"] == 2 and page["limit"] == 3 and len(page["items"]) == 3
    assert all("pending" in item["counts"] for item in page["items"])
    assert client.get("/v1/documents", params={"collection": "news"}).json()["total"] == 1
    assert client.get(f"/v1/documents/{body['id']}").json()["original"] == TEXT
    assert [c["name"] for c in client.get("/v1/collections").json()] == ["default", "news"]

    assert client.delete(f"/v1/documents/{body['id']}").status_code == 204
    assert client.get(f"/v1/documents/{body['id']}").status_code == 404


def test_proposals_filter_decide_and_derive_text(client, stored):
    document_id, by_rule = stored
    assert client.get(f"/v1/documents/{document_id}/text").json() == {"text": TEXT.replace("卡卡", "卡", 1)}

    def rules(**params):
        return {p["rule"] for p in client.get(f"/v1/documents/{document_id}/proposals", params=params).json()}

    assert rules(min_confidence=0.5) == {"remove_doubled_character", "fix_lookalike"}
    assert rules(max_confidence=0.5) == {"match_domain_term"}
    assert rules(rule="fix_lookalike") == {"fix_lookalike"}

    lookalike = by_rule["fix_lookalike"]
    accepted = client.patch(f"/v1/proposals/{lookalike['id']}", json={"status": "accepted", "version": lookalike["version"]})
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted" and accepted.json()["version"] == lookalike["version"] + 1
    stale = client.patch(f"/v1/proposals/{lookalike['id']}", json={"status": "rejected", "version": lookalike["version"]})
    assert stale.status_code == 409
    rejected = client.patch(f"/v1/proposals/{by_rule['remove_doubled_character']['id']}", json={"status": "rejected"})
    assert rejected.json()["applies"] is False

    text = client.get(f"/v1/documents/{document_id}/text").json()["text"]
    assert text == TEXT.replace("午午", "子午")  # the rejected auto edit stays out, the accepted one is in
    assert rules(status="pending") == {"match_domain_term"}
    counts = client.get(f"/v1/documents/{document_id}").json()["counts"]
    assert counts == {"pending": 1, "accepted": 1, "rejected": 1, "auto": 0, "total": 3}

    back = client.patch(f"/v1/proposals/{by_rule['remove_doubled_character']['id']}", json={"status": "pending"})
    assert back.json()["decided_at"] is None and back.json()["applies"] is True


def test_bulk_decision_by_filter(client, stored):
    document_id, by_rule = stored
    client.patch(f"/v1/proposals/{by_rule['fix_lookalike']['id']}", json={"status": "rejected"})
    bulk = {"status": "accepted", "document_id": document_id, "min_confidence": 0.1}
    preview = client.post("/v1/proposals/decisions", json=bulk | {"preview": True})
    assert preview.json() == {"updated": 2, "batch": None}
    statuses = {p["rule"]: p["status"] for p in client.get(f"/v1/documents/{document_id}/proposals").json()}
    assert statuses == {"remove_doubled_character": "pending", "fix_lookalike": "rejected", "match_domain_term": "pending"}
    response = client.post("/v1/proposals/decisions", json=bulk, headers={"X-Jiaokan-Reviewer": "%E5%BC%A0%E4%B8%89"})
    assert response.status_code == 200 and response.json()["updated"] == 2
    statuses = {p["rule"]: (p["status"], p["decided_by"]) for p in client.get(f"/v1/documents/{document_id}/proposals").json()}
    assert statuses == {"remove_doubled_character": ("accepted", "张三"), "fix_lookalike": ("rejected", None),
                        "match_domain_term": ("accepted", "张三")}
    assert client.post("/v1/proposals/decisions", json={"status": "accepted", "collection": "nope"}).status_code == 404

    # undone as one step: both back to pending, the person's earlier rejection untouched
    undo = client.post(f"/v1/proposals/decisions/{response.json()['batch']}/undo", json={})
    assert undo.json() == {"restored": 2}
    statuses = {p["rule"]: p["status"] for p in client.get(f"/v1/documents/{document_id}/proposals").json()}
    assert statuses == {"remove_doubled_character": "pending", "fix_lookalike": "rejected", "match_domain_term": "pending"}
    history = client.get(f"/v1/proposals/{by_rule['match_domain_term']['id']}/history").json()
    assert [(item["status"], item["previous_status"]) for item in history] == [("accepted", "pending"), ("pending", "accepted")]
    assert client.post("/v1/proposals/decisions/00ff/undo", json={}).status_code == 404
    assert client.post("/v1/proposals/decisions", json=bulk, headers={"X-Jiaokan-Reviewer": "%FF"}).status_code == 422


def test_typed_reading_comment_and_reviewer_change_the_text_and_the_export(client, stored):
    document_id, by_rule = stored
    proposal_id = by_rule["fix_lookalike"]["id"]
    decided = client.patch(f"/v1/proposals/{proposal_id}",
                           json={"status": "accepted", "reading": "丑", "comment": "the 1998 edition", "decided_by": "李四"})
    assert decided.status_code == 200
    assert (decided.json()["reading"], decided.json()["comment"], decided.json()["decided_by"]) == ("丑", "the 1998 edition", "李四")
    assert "丑午工程" in client.get(f"/v1/documents/{document_id}/text").json()["text"]
    assert client.patch(f"/v1/proposals/{proposal_id}", json={"status": "rejected", "reading": "丑"}).status_code == 422
    import json

    record = json.loads(client.get("/v1/collections/default/export").text.splitlines()[0])
    exported = next(p for p in record["proposals"] if p["id"] == proposal_id)
    assert exported["reading"] == "丑" and exported["decided_by"] == "李四"
    assert exported["history"][-1]["comment"] == "the 1998 edition" and "丑午工程" in record["text"]


def test_export_is_json_lines_with_texts_and_decisions(client, stored):
    document_id, by_rule = stored
    client.patch(f"/v1/proposals/{by_rule['fix_lookalike']['id']}", json={"status": "accepted"})
    response = client.get("/v1/collections/default/export")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    (line,) = response.text.splitlines()
    record = json.loads(line)
    assert record["name"] == "news/a.txt" and record["original"] == TEXT
    assert record["text"] == client.get(f"/v1/documents/{document_id}/text").json()["text"]
    assert {p["rule"]: p["status"] for p in record["proposals"]}["fix_lookalike"] == "accepted"
    assert client.get("/v1/collections/nope/export").status_code == 404


def test_lexicon_add_list_remove(client):
    assert client.get("/v1/lexicon/terms").json() == []
    assert client.post("/v1/lexicon/terms", json={"term": " 钍基熔盐堆 "}).status_code == 201
    assert client.post("/v1/lexicon/terms", json={"term": "钍基熔盐堆"}).status_code == 200
    assert [t["term"] for t in client.get("/v1/lexicon/terms").json()] == ["钍基熔盐堆"]
    assert client.post("/v1/lexicon/terms", json={"term": "两个 词"}).status_code == 422
    assert client.delete("/v1/lexicon/terms/钍基熔盐堆").status_code == 204
    assert client.delete("/v1/lexicon/terms/钍基熔盐堆").status_code == 404


def test_a_decision_survives_a_restart(sqlite_url, make_settings, store_edits):
    from fastapi.testclient import TestClient

    from jiaokan.api.app import create_app

    ids = store_edits(sqlite_url, [("a.txt", TEXT, [edit(TEXT, "午", "子")])])
    first = create_app(make_settings(sqlite_url))
    with TestClient(first) as client:
        (proposal,) = client.get(f"/v1/documents/{ids['a.txt']}/proposals").json()
        assert client.patch(f"/v1/proposals/{proposal['id']}", json={"status": "accepted"}).status_code == 200
    first.state.engine.dispose()
    second = create_app(make_settings(sqlite_url))
    with TestClient(second) as client:
        (after,) = client.get(f"/v1/documents/{ids['a.txt']}/proposals").json()
        assert after["status"] == "accepted"
        assert client.get(f"/v1/documents/{ids['a.txt']}/text").json()["text"] == TEXT.replace("午午", "子午")
    second.state.engine.dispose()


def test_concurrent_patches_end_in_one_consistent_state(client, stored):
    _, by_rule = stored
    proposal = by_rule["fix_lookalike"]
    results = []
    barrier = threading.Barrier(8)

    def worker(index):
        barrier.wait()
        status = "accepted" if index % 2 else "rejected"
        response = client.patch(f"/v1/proposals/{proposal['id']}", json={"status": status, "version": proposal["version"]})
        results.append((response.status_code, status))

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [status for code, status in results if code == 200]
    assert len(winners) == 1 and sorted(code for code, _ in results) == [200] + [409] * 7
    final = next(p for p in client.get(f"/v1/documents/{proposal['document_id']}/proposals").json() if p["id"] == proposal["id"])
    assert final["status"] == winners[0] and final["version"] == proposal["version"] + 1


def test_documents_on_postgresql(postgres_url, make_settings, store_edits):
    from fastapi.testclient import TestClient

    from jiaokan.api.app import create_app

    ids = store_edits(postgres_url, [("a.txt", TEXT, [(edit(TEXT, "午", "子", confidence=0.95), True)])])
    app = create_app(make_settings(postgres_url))
    try:
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            (proposal,) = client.get(f"/v1/documents/{ids['a.txt']}/proposals").json()
            assert client.get(f"/v1/documents/{ids['a.txt']}/text").json()["text"] == TEXT.replace("午午", "子午")
            assert client.patch(f"/v1/proposals/{proposal['id']}", json={"status": "rejected"}).status_code == 200
            assert client.get(f"/v1/documents/{ids['a.txt']}/text").json()["text"] == TEXT
            assert client.post("/v1/documents", json={"name": "b.txt", "text": "第二篇。"}).status_code == 201
            assert client.get("/v1/documents").json()["total"] == 2
    finally:
        app.state.engine.dispose()


def test_a_reviewer_types_a_reading_where_the_engine_proposed_nothing(client, stored):
    document_id, by_rule = stored
    start = TEXT.index("继续")
    body = {"start": start, "end": start + 2, "original": "继续", "reading": "持续", "comment": "as printed", "decided_by": "赵六"}
    created = client.post(f"/v1/documents/{document_id}/corrections", json=body)
    assert created.status_code == 201
    assert (created.json()["rule"], created.json()["status"], created.json()["decided_by"]) == ("reviewer_reading", "accepted", "赵六")
    assert "持续实施" in client.get(f"/v1/documents/{document_id}/text").json()["text"]
    assert client.post(f"/v1/documents/{document_id}/corrections", json=body | {"original": "连续"}).status_code == 409
    overlapping = {"start": TEXT.index("午"), "end": TEXT.index("午") + 1, "original": "午", "reading": "子"}
    assert client.post(f"/v1/documents/{document_id}/corrections", json=overlapping).status_code == 409
    assert client.post(f"/v1/documents/{document_id}/corrections", json=body | {"end": 10**6}).status_code == 422
    history = client.get(f"/v1/proposals/{created.json()['id']}/history").json()
    assert [(item["status"], item["reading"], item["comment"]) for item in history] == [("accepted", "持续", "as printed")]
