"""The stored witness index: proposals kept current document by document equal those a run over
the whole collection gives, on SQLite and PostgreSQL; deleting a document updates its copies;
decisions survive."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from jiaokan.config import EngineConfig
from jiaokan.store import repository, witness_index
from jiaokan.store.database import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.synthetic_pages import _placements, add_noise  # noqa: E402


def synthetic_pages(count: int, seed: int) -> dict[str, str]:
    """Pages built from shared passages with OCR-like noise (`bench.synthetic_pages`), and one
    boilerplate line printed on many of them (an n-gram over the anchor limit)."""
    generator = random.Random(seed)
    placements = _placements(count, 260, generator)
    pages = {}
    for index, passages in enumerate(placements):
        body = "\n\n".join(add_noise(passage, generator, rate=0.03) for passage in passages)
        footer = "\n\n本报讯记者从有关部门获悉全文完。" if index % 3 == 0 else ""
        pages[f"page-{index:03d}.txt"] = body + footer + "\n"
    return pages


def post(session_factory, collection_name: str, name: str, text: str, config: EngineConfig) -> None:
    with session_factory() as session, repository.write_transaction(session):
        collection = repository.get_or_create_collection(session, collection_name)
        document, outcome = repository.add_document(session, name=name, text=text, collection=collection)
        assert outcome == "created"
        witness_index.add_document(session, collection, document, config)


def delete(session_factory, collection_name: str, name: str, config: EngineConfig) -> None:
    with session_factory() as session, repository.write_transaction(session):
        collection = repository.find_collection(session, collection_name)
        (document,) = [d for d in collection.documents if d.name == name]
        witness_index.remove_document(session, collection, document, config)


def drain(session_factory, collection_name: str, config: EngineConfig) -> int:
    """Refresh stale documents until none is left; how many refreshes it took."""
    rounds = 0
    while True:
        with session_factory() as session, repository.write_transaction(session):
            if witness_index.refresh_stale(session, repository.find_collection(session, collection_name), config) is None:
                return rounds
        rounds += 1


def stored_results(session_factory, collection_name: str) -> dict[str, tuple]:
    with session_factory() as session:
        return {
            record["name"]: (
                sorted((p["start"], p["end"], p["original"], p["replacement"], p["rule"], p["kind"], p["confidence"],
                        sorted(p["evidence"].items()), p["auto"]) for p in record["proposals"]),
                record["variants"],
            )
            for record in repository.export_collection(session, collection_name)
        }


def whole_collection_results(documents: dict[str, str], config: EngineConfig) -> dict[str, tuple]:
    from jiaokan import correct_corpus

    results = correct_corpus(documents, config=config)
    return {
        name: (
            sorted((e.start, e.end, e.original, e.replacement, e.rule, e.kind, e.confidence, sorted(e.evidence.items()), applied)
                   for e, applied in zip(correction.edits, correction.applied)),
            [variant.to_dict() for variant in correction.variants],
        )
        for name, correction in results.items()
    }


@pytest.mark.parametrize("sampled", [False, True], ids=["every-ngram", "one-in-four"])
def test_incremental_posts_and_a_deletion_give_what_a_whole_collection_run_gives(database_url, monkeypatch, sampled):
    import jiaokan.witnesses

    if sampled:  # a small collection sampled as an archive is (one n-gram in four)
        monkeypatch.setattr(jiaokan.witnesses, "FULL_SAMPLING_LIMIT", 0)
    config = EngineConfig(max_ngram_documents=4)  # the footer's n-grams cross the anchor limit as pages come and go
    pages = synthetic_pages(24, seed=7)
    engine, session_factory = open_store(database_url)
    try:
        for name in sorted(pages):
            post(session_factory, "news", name, pages[name], config)
        removed = sorted(pages)[5]
        delete(session_factory, "news", removed, config)
        del pages[removed]
        drain(session_factory, "news", config)
        stored = stored_results(session_factory, "news")
    finally:
        engine.dispose()
    expected = whole_collection_results(pages, config)
    assert sum(len(proposals) for proposals, _ in expected.values()) > 20  # the comparison has something to compare
    assert stored == expected


def test_deleting_a_document_updates_the_proposals_its_copies_gave_and_keeps_decisions(client):
    from conftest import seed_text

    ids = {}
    for prefix in ("002", "003", "004"):
        response = client.post("/v1/documents", json={"name": f"{prefix}.txt", "text": seed_text(prefix), "collection": "seeds"})
        ids[prefix] = response.json()["id"]
    consensus = [p for p in client.get(f"/v1/documents/{ids['004']}/proposals").json() if p["kind"] == "consensus"]
    assert len(consensus) >= 2
    rejected = client.patch(f"/v1/proposals/{consensus[0]['id']}", json={"status": "rejected"}).json()
    for prefix in ("002", "003"):
        assert client.delete(f"/v1/documents/{ids[prefix]}").status_code == 204
    after = client.get(f"/v1/documents/{ids['004']}/proposals").json()
    # alone, 004 has no copy to outvote it: only the decided consensus proposal is left of them
    assert [p for p in after if p["kind"] == "consensus"] == [rejected]
    assert client.get("/v1/collections").json()[0]["stale"] == 0


def test_an_archive_loaded_by_clean_review_and_documents_posted_later_are_one_corpus(database_url, tmp_path, make_settings, monkeypatch):
    """``jiaokan clean --review`` builds the collection's witness index; posts extend that index
    (no rebuild) and, once settled, every proposal is what one run over all the pages gives."""
    import os
    import subprocess

    from fastapi.testclient import TestClient

    from jiaokan.api.app import create_app

    pages = synthetic_pages(24, seed=11)
    archive, posted = sorted(pages)[:16], sorted(pages)[16:]
    folder = tmp_path / "archive"
    folder.mkdir()
    for name in archive:
        (folder / name).write_text(pages[name], encoding="utf-8")
    cleaned = subprocess.run([sys.executable, "-m", "jiaokan.cli", "clean", str(folder), "-o", str(tmp_path / "out"), "--quiet",
                              "--review", database_url, "--collection", "news"], capture_output=True, text=True, env=os.environ.copy(), timeout=300)
    assert cleaned.returncode == 0, cleaned.stderr
    rebuilds = []
    monkeypatch.setattr(witness_index, "rebuild", lambda *arguments, **options: rebuilds.append(arguments))
    settings = make_settings(database_url)
    app = create_app(settings)
    try:
        with TestClient(app) as client:  # the refresh after each answer runs before the next request
            for name in posted:
                answer = client.post("/v1/documents", json={"name": name, "text": pages[name], "collection": "news"})
                assert answer.status_code == 201, answer.text
            assert [item["stale"] for item in client.get("/v1/collections").json() if item["name"] == "news"] == [0]
        stored = stored_results(app.state.session_factory, "news")
    finally:
        app.state.engine.dispose()
    assert rebuilds == []  # the posts found the archive's index as the CLI left it
    readers = {name for name in posted for proposal in stored[name][0] for key, value in proposal[7] if key == "readings"
               for reading in value if reading["document"] in archive}
    assert len(readers) >= 2  # posted pages found their copies among the archive's pages
    expected = whole_collection_results(pages, settings.engine_config(()))
    assert sum(len(proposals) for proposals, _ in expected.values()) > 20
    assert stored == expected
