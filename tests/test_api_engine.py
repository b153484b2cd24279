"""End to end through the HTTP API with the real engine: what we check from outside.

These post the seeds' passages and documents and look for the corrections the issue
names; they say nothing about how the engine finds them.
"""
from __future__ import annotations

import json

import pytest
from conftest import seed_text

from jiaokan.api.routes.correct import correct_to_json

PASSAGE_COPIES = ("002", "003", "004")


def passage(prefix: str) -> str:
    """The paragraph of a seed copy about HEPS and the 子午工程 (three copies carry it)."""
    return next(line for line in seed_text(prefix).splitlines() if "HEPS" in line and "带光" in line)


@pytest.mark.parametrize("copy", PASSAGE_COPIES)
def test_three_versions_as_text_and_witnesses_repair_the_passage(client, copy):
    witnesses = [passage(other) for other in PASSAGE_COPIES if other != copy]
    response = client.post("/v1/correct", json={"text": passage(copy), "witnesses": witnesses})
    assert response.status_code == 200
    text = response.json()["text"]
    assert "午午工程" not in text and "子午工程" in text
    # two of the three copies read 带光调联: the majority is wrong, the right reading must win
    assert "带光联调" in text and "带光调联" not in text


def test_a_doubled_character_in_a_single_sentence_is_a_candidate(client):
    """Alone, 建档立卡卡 is a doubling the calibrated rule doubts (卡卡 is also a word): proposed
    only when the caller asks for every candidate, and never applied."""
    sentence = "对出现返贫风险的建档立卡卡脱贫人口继续实施就业帮扶。"
    body = client.post("/v1/correct", json={"text": sentence, "options": {"proposal_threshold": 0}}).json()
    assert body["text"] == sentence
    (doubled,) = [record for record in body["edits"] if record["rule"] == "remove_doubled_character"]
    assert (doubled["original"], doubled["replacement"]) == ("卡卡", "卡")  # both copies: the edit conflicts with a consensus edit on either
    assert sentence[doubled["start"]:doubled["end"]] == "卡卡" and doubled["status"] == "proposed"


def test_reduplicated_words_are_left_alone(client):
    sentence = "江水缓缓流过，一批批新产品实实在在地走进千家万户。"
    assert client.post("/v1/correct", json={"text": sentence}).json()["text"] == sentence


def test_options_switch_a_rule_off(client):
    sentence = "对出现返贫风险的建档立卡卡脱贫人口继续实施就业帮扶。"
    body = client.post("/v1/correct", json={"text": sentence, "options": {"rules": {"remove_doubled_character": False}}}).json()
    assert "卡卡" in body["text"] and not [r for r in body["edits"] if r["rule"] == "remove_doubled_character"]


def test_seed_copies_stored_as_documents_propose_thorium_in_the_fourth_copy(client):
    ids = {}
    for prefix in PASSAGE_COPIES:
        response = client.post("/v1/documents", json={"name": f"{prefix}.txt", "text": seed_text(prefix), "collection": "seeds"})
        assert response.status_code == 201
        ids[prefix] = response.json()["id"]
    proposals = client.get(f"/v1/documents/{ids['004']}/proposals").json()
    thorium = [p for p in proposals if p["original"] == "钎" and p["replacement"] == "钍"]
    assert len(thorium) == seed_text("004").count("钎")
    assert all(p["evidence"] for p in thorium)
    final = client.get(f"/v1/documents/{ids['004']}/text").json()["text"]
    assert "钎" not in final or all(not p["applies"] for p in thorium)


def test_a_newcomer_updates_stored_documents_without_touching_decisions(client):
    first = client.post("/v1/documents", json={"name": "002.txt", "text": seed_text("002"), "collection": "c"}).json()
    before = client.get(f"/v1/documents/{first['id']}/proposals").json()
    decided = {}
    for proposal, status in zip(before[:4], ["accepted", "rejected", "accepted", "rejected"]):
        decided[proposal["id"]] = client.patch(f"/v1/proposals/{proposal['id']}", json={"status": status}).json()
    for prefix in ("003", "004"):
        assert client.post("/v1/documents", json={"name": f"{prefix}.txt", "text": seed_text(prefix), "collection": "c"}).status_code == 201
    after = {p["id"]: p for p in client.get(f"/v1/documents/{first['id']}/proposals").json()}
    for proposal_id, stored in decided.items():
        assert after[proposal_id] == stored
    # 002 alone reads 带光调联; its lexicon term 联调 decides it, alone or with the copies
    assert [p["replacement"] for p in before if p["original"] == "调联"] == ["联调"]
    assert [p["replacement"] for p in after.values() if p["original"] == "调联"] == ["联调"]


def test_rejected_proposal_stays_out_and_accepted_survives_restart(sqlite_url, make_settings):
    from fastapi.testclient import TestClient

    from jiaokan.api.app import create_app

    sentence = "对出现返贫风险的建档立卡卡脱贫人口继续实施就业帮扶。"
    app = create_app(make_settings(sqlite_url, engine_options={"proposal_threshold": 0}))
    with TestClient(app) as client:
        created = client.post("/v1/documents", json={"name": "a.txt", "text": sentence}).json()
        (doubled,) = [p for p in client.get(f"/v1/documents/{created['id']}/proposals").json() if p["rule"] == "remove_doubled_character"]
        client.patch(f"/v1/proposals/{doubled['id']}", json={"status": "rejected"})
        assert client.get(f"/v1/documents/{created['id']}/text").json()["text"] == sentence
        client.patch(f"/v1/proposals/{doubled['id']}", json={"status": "accepted"})
    app.state.engine.dispose()
    restarted = create_app(make_settings(sqlite_url, engine_options={"proposal_threshold": 0}))
    with TestClient(restarted) as client:
        assert client.get(f"/v1/documents/{created['id']}/text").json()["text"] == sentence.replace("卡卡", "卡")
        (again,) = [p for p in client.get(f"/v1/documents/{created['id']}/proposals").json() if p["id"] == doubled["id"]]
        assert again["status"] == "accepted"
    restarted.state.engine.dispose()


def correct_in_which_process(config, body):
    """`correct_to_json` that also says which process ran it (module level: it must pickle)."""
    import os

    return json.dumps(json.loads(correct_to_json(config, body)) | {"process": os.getpid()}).encode()


def test_a_large_request_runs_in_the_engine_lane_and_reads_as_a_small_one_would(client, monkeypatch):
    """Small requests are corrected in the event loop, larger ones in the lane's process:
    where it runs changes nothing in the answer, and the lane is really used."""
    import os

    from jiaokan.api.routes import correct as route

    witnesses = [passage(other) for other in PASSAGE_COPIES[1:]]
    payload = {"text": passage("002"), "witnesses": witnesses}
    monkeypatch.setattr(route, "correct_to_json", correct_in_which_process)
    inline = client.post("/v1/correct", json=payload).json()
    monkeypatch.setattr(route, "INLINE_CHARACTERS", 0)
    in_lane = client.post("/v1/correct", json=payload).json()
    assert inline.pop("process") == os.getpid() and in_lane.pop("process") != os.getpid()
    assert in_lane == inline and "带光联调" in in_lane["text"]


def test_stored_documents_report_their_variants(client):
    """Two copies of an earlier edition and a later one that changed a word: the later keeps its
    word, and the store reports where the copies read it otherwise, with each document's reading."""
    earlier = "全国粮食产量连续九年保持在一万亿斤以上，为稳定经济大盘提供了坚实支撑。各地还加大了高标准农田建设力度，提高了防灾减灾能力。"
    later = earlier.replace("高标准农田", "高标准农业")
    ids = {}
    for name, text in (("a.txt", earlier), ("b.txt", earlier), ("later.txt", later)):
        ids[name] = client.post("/v1/documents", json={"name": name, "text": text, "collection": "editions"}).json()["id"]
    assert client.get(f"/v1/documents/{ids['later.txt']}/text").json()["text"] == later
    variants = client.get(f"/v1/documents/{ids['later.txt']}/variants").json()
    (word,) = [variant for variant in variants if variant["original"] == "业"]
    assert {reading["document"]: reading["reading"] for reading in word["readings"]} == {"later.txt": "业", "a.txt": "田", "b.txt": "田"}
    exported = [record for record in map(json.loads, client.get("/v1/collections/editions/export").text.splitlines()) if record["name"] == "later.txt"]
    assert exported[0]["variants"] == variants
    assert client.get("/v1/documents/999999/variants").status_code == 404
