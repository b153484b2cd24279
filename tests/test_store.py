"""The review store: loading runs, merging recomputed proposals, decisions, final texts,
migrations and `jiaokan apply` — on SQLite and (when a server is configured) PostgreSQL."""
from __future__ import annotations

import threading

import pytest
from conftest import edit

from jiaokan.store import repository
from jiaokan.store.database import open_store

TEXT = "建档立卡卡脱贫人口继续实施就业帮扶，子午工程二期建设进入冲刺阶段。"


@pytest.fixture
def store(database_url):
    engine, session_factory = open_store(database_url)
    yield session_factory
    engine.dispose()


def proposals_of(session_factory, document_id):
    with session_factory() as session:
        return {proposal.match_key: proposal for proposal in repository.list_proposals(session, document_id)}


def decide(session_factory, proposal_id, status, **options):
    with session_factory() as session, repository.write_transaction(session):
        return repository.decide_proposal(session, proposal_id, status, **options)


def test_load_run_is_idempotent_and_keeps_decisions(database_url, store, store_edits):
    doubled = edit(TEXT, "卡", "", rule="remove_doubled_character", occurrence=1, confidence=0.95)
    lookalike = edit(TEXT, "午", "子", rule="fix_lookalike", confidence=0.6)
    ids = store_edits(database_url, [("a/one.txt", TEXT, [(doubled, True), lookalike])])
    first = proposals_of(store, ids["a/one.txt"])
    assert len(first) == 2
    decide(store, first[doubled.start, doubled.end, "", doubled.rule].id, "rejected")

    again = store_edits(database_url, [("a/one.txt", TEXT, [(doubled, True), lookalike])])
    assert again == ids
    second = proposals_of(store, ids["a/one.txt"])
    assert {key: proposal.id for key, proposal in second.items()} == {key: proposal.id for key, proposal in first.items()}
    assert second[doubled.start, doubled.end, "", doubled.rule].status == "rejected"
    with store() as session:
        assert repository.list_documents(session)[1] == 1


def test_merge_never_overwrites_a_decision(database_url, store, store_edits):
    kept = edit(TEXT, "卡", "", rule="remove_doubled_character", occurrence=1)
    dropped_by_engine = edit(TEXT, "午", "子")
    undecided = edit(TEXT, "帮扶", "帮助", rule="match_domain_term", confidence=0.4)
    ids = store_edits(database_url, [("doc.txt", TEXT, [kept, dropped_by_engine, undecided])])
    before = proposals_of(store, ids["doc.txt"])
    decide(store, before[kept.start, kept.end, "", kept.rule].id, "accepted", decided_by="reviewer")
    decide(store, before[dropped_by_engine.start, dropped_by_engine.end, "子", "fix_lookalike"].id, "rejected")

    # the engine now: proposes the accepted edit with another confidence, forgets the rejected one,
    # proposes something overlapping the accepted one, updates the undecided one, adds one
    overlapping = edit(TEXT, "卡卡", "卡", rule="remove_doubled_character")
    updated = edit(TEXT, "帮扶", "帮助", rule="match_domain_term", confidence=0.7)
    new = edit(TEXT, "冲刺", "冲次", rule="fix_lookalike", confidence=0.3)
    changed_kept = edit(TEXT, "卡", "", rule="remove_doubled_character", occurrence=1, confidence=0.1)
    with store() as session, repository.write_transaction(session):
        document = repository.get_document(session, ids["doc.txt"])
        stats = repository.merge_proposals(session, document, [(changed_kept, True), (overlapping, True), (updated, True), (new, False)])
    assert (stats.added, stats.updated, stats.removed, stats.kept_decided, stats.skipped_overlapping) == (1, 1, 0, 2, 1)

    after = proposals_of(store, ids["doc.txt"])
    accepted = after[kept.start, kept.end, "", kept.rule]
    assert (accepted.status, accepted.confidence, accepted.decided_by) == ("accepted", kept.confidence, "reviewer")
    assert after[dropped_by_engine.start, dropped_by_engine.end, "子", "fix_lookalike"].status == "rejected"
    assert after[updated.start, updated.end, "帮助", updated.rule].id == before[undecided.start, undecided.end, "帮助", undecided.rule].id
    assert after[updated.start, updated.end, "帮助", updated.rule].confidence == 0.7
    assert (overlapping.start, overlapping.end, "卡", overlapping.rule) not in after
    assert len(after) == 4

    # a run that no longer proposes the undecided ones removes them, decided ones stay
    with store() as session, repository.write_transaction(session):
        stats = repository.merge_proposals(session, repository.get_document(session, ids["doc.txt"]), [])
    assert (stats.removed, stats.kept_decided) == (2, 2)
    assert {proposal.status for proposal in proposals_of(store, ids["doc.txt"]).values()} == {"accepted", "rejected"}


def test_final_text_applies_accepted_and_auto_but_never_rejected(database_url, store, store_edits):
    doubled = edit(TEXT, "卡", "", rule="remove_doubled_character", occurrence=1, confidence=0.95)
    lookalike = edit(TEXT, "午", "子", confidence=0.5)
    ids = store_edits(database_url, [("doc.txt", TEXT, [(doubled, True), lookalike])])
    by_key = proposals_of(store, ids["doc.txt"])
    with store() as session:
        assert repository.final_text(repository.get_document(session, ids["doc.txt"])) == TEXT.replace("卡卡", "卡", 1)
    decide(store, by_key[lookalike.start, lookalike.end, "子", lookalike.rule].id, "accepted")
    decide(store, by_key[doubled.start, doubled.end, "", doubled.rule].id, "rejected")
    with store() as session:
        final = repository.final_text(repository.get_document(session, ids["doc.txt"]))
    assert final == TEXT[:lookalike.start] + "子" + TEXT[lookalike.end:]


def test_stale_version_is_refused(database_url, store, store_edits):
    ids = store_edits(database_url, [("doc.txt", TEXT, [edit(TEXT, "午", "子")])])
    (proposal,) = proposals_of(store, ids["doc.txt"]).values()
    assert decide(store, proposal.id, "accepted", expected_version=1).version == 2
    with pytest.raises(repository.ConflictError):
        decide(store, proposal.id, "rejected", expected_version=1)
    with store() as session:
        stored = repository.get_proposal(session, proposal.id)
        assert (stored.status, stored.version) == ("accepted", 2)
    with pytest.raises(Exception) as raised:
        decide(store, 10**6, "accepted")
    assert type(raised.value).__name__ == "NotFoundError"


@pytest.mark.parametrize("with_version", [True, False])
def test_concurrent_decisions_end_consistent(database_url, store, store_edits, with_version):
    ids = store_edits(database_url, [("doc.txt", TEXT, [edit(TEXT, "午", "子")])])
    (proposal,) = proposals_of(store, ids["doc.txt"]).values()
    threads_count = 12
    outcomes: list[str] = []
    barrier = threading.Barrier(threads_count)

    def worker(index: int) -> None:
        status = "accepted" if index % 2 else "rejected"
        barrier.wait()
        try:
            decide(store, proposal.id, status, expected_version=1 if with_version else None)
            outcomes.append(status)
        except repository.ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    decided = [outcome for outcome in outcomes if outcome != "conflict"]
    with store() as session:
        stored = repository.get_proposal(session, proposal.id)
        assert stored.version == 1 + len(decided)
        assert stored.decided_at is not None
        if with_version:
            assert len(decided) == 1 and outcomes.count("conflict") == threads_count - 1
            assert stored.status == decided[0]
        else:
            assert len(decided) == threads_count
            assert stored.status in {"accepted", "rejected"}


def test_bulk_decision_touches_only_pending_matches(database_url, store, store_edits):
    edits = [
        edit(TEXT, "卡", "", rule="remove_doubled_character", occurrence=1, confidence=0.95),
        edit(TEXT, "午", "子", confidence=0.9),
        edit(TEXT, "冲刺", "冲次", confidence=0.3),
    ]
    ids = store_edits(database_url, [("doc.txt", TEXT, edits)])
    by_rule = {(proposal.rule, proposal.confidence): proposal for proposal in proposals_of(store, ids["doc.txt"]).values()}
    decide(store, by_rule["fix_lookalike", 0.9].id, "rejected")
    with store() as session, repository.write_transaction(session):
        changed = repository.decide_many(session, "accepted", document_id=ids["doc.txt"], rule="fix_lookalike", min_confidence=0.2).updated
    assert changed == 1
    statuses = {(proposal.rule, proposal.confidence): proposal.status for proposal in proposals_of(store, ids["doc.txt"]).values()}
    assert statuses == {
        ("remove_doubled_character", 0.95): "pending",
        ("fix_lookalike", 0.9): "rejected",
        ("fix_lookalike", 0.3): "accepted",
    }


def test_document_names_must_be_safe_relative_paths(database_url, store):
    with store() as session, repository.write_transaction(session):
        collection = repository.get_or_create_collection(session, "default")
        for name in ["../escape.txt", "/etc/passwd", "a/../../b", "a//b", "", "C:/x", "a\x00b"]:
            with pytest.raises(Exception) as raised:
                repository.add_document(session, name=name, text="x", collection=collection)
            assert type(raised.value).__name__ == "InputError", name
        document, outcome = repository.add_document(session, name="2025/页面 1.txt", text="x", collection=collection)
        assert outcome == "created"
        with pytest.raises(repository.ConflictError):
            repository.add_document(session, name="2025/页面 1.txt", text="y", collection=collection)


def test_apply_writes_final_texts_atomically(database_url, store_edits, tmp_path):
    from jiaokan.cli import main

    doubled = edit(TEXT, "卡", "", rule="remove_doubled_character", occurrence=1)
    lookalike = edit(TEXT, "午", "子")
    ids = store_edits(database_url, [("sub/one.txt", TEXT, [(doubled, True), (lookalike, True)]), ("two.txt", "不变。", [])], collection="run")
    engine, session_factory = open_store(database_url)
    (rejected,) = [p for p in proposals_of(session_factory, ids["sub/one.txt"]).values() if p.rule == "fix_lookalike"]
    decide(session_factory, rejected.id, "rejected")
    engine.dispose()
    output = tmp_path / "out"
    (output / "sub").mkdir(parents=True)
    (output / "sub" / "one.txt").write_text("old content", encoding="utf-8")

    assert main(["apply", "--database", database_url, "--collection", "run", "-o", str(output)]) == 0
    assert (output / "sub" / "one.txt").read_text(encoding="utf-8") == TEXT.replace("卡卡", "卡", 1)
    assert (output / "two.txt").read_text(encoding="utf-8") == "不变。"
    assert sorted(path.name for path in output.rglob("*")) == ["one.txt", "sub", "two.txt"]  # no temporary files left
    assert main(["apply", "--database", database_url, "--collection", "nope", "-o", str(output)]) == 2


def test_write_atomically_leaves_old_file_on_failure(tmp_path, monkeypatch):
    import os

    from jiaokan.store.runs import write_atomically

    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def failing_replace(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_atomically(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["out.txt"]


def test_load_run_refuses_edits_that_do_not_fit(database_url):
    from jiaokan.errors import InputError
    from jiaokan.store.runs import load_run

    wrong = edit(TEXT, "午", "子").to_dict() | {"start": 0, "end": 1}
    with pytest.raises(InputError):
        load_run(database_url, [("doc.txt", TEXT, [wrong])])


def test_load_run_accepts_a_correction_and_its_dict(database_url, store):
    from jiaokan.config import EngineConfig
    from jiaokan.result import Correction
    from jiaokan.store.runs import load_run

    correction = Correction.from_edits("x", TEXT, [edit(TEXT, "午", "子", confidence=0.95)], EngineConfig())
    summary = load_run(database_url, [("a.txt", TEXT, correction), ("b.txt", TEXT, correction.to_dict())])
    assert summary.created == ["a.txt", "b.txt"] and summary.merge.added == 2
    with store() as session:
        texts = {record["name"]: record["text"] for record in repository.export_collection(session, "default")}
    assert texts == {"a.txt": correction.text, "b.txt": correction.text}


def test_changed_text_replaces_a_document_in_a_run(database_url, store, store_edits):
    ids = store_edits(database_url, [("doc.txt", TEXT, [edit(TEXT, "午", "子")])])
    new_text = TEXT + "新的一句。"
    again = store_edits(database_url, [("doc.txt", new_text, [])])
    assert again == ids
    with store() as session:
        document = repository.get_document(session, ids["doc.txt"])
        assert document.original == new_text and document.proposals == []


def test_bulk_decision_undo_queue_and_corrections_on_each_database(database_url, store, store_edits):
    edits = [
        edit(TEXT, "卡", "", rule="remove_doubled_character", occurrence=1, confidence=0.95),
        edit(TEXT, "午", "子", confidence=0.9),
        edit(TEXT, "冲刺", "冲次", confidence=0.3),
    ]
    ids = store_edits(database_url, [("doc.txt", TEXT, edits)])
    by_confidence = {proposal.confidence: proposal for proposal in proposals_of(store, ids["doc.txt"]).values()}
    decide(store, by_confidence[0.9].id, "rejected", decided_by="张三")
    with store() as session, repository.write_transaction(session):
        result = repository.decide_many(session, "accepted", document_id=ids["doc.txt"], decided_by="李四")
    assert result.updated == 2 and result.batch
    with store() as session:
        entries, total = repository.review_queue(session, status="accepted", text="冲")
        assert total == 1 and entries[0].proposal.decided_by == "李四" and entries[0].document_name == "doc.txt"
        assert [entry.proposal.confidence for entry in repository.review_queue(session, status=None)[0]] == [0.3, 0.9, 0.95]
    with store() as session, repository.write_transaction(session):
        assert repository.undo_batch(session, result.batch) == 2
    statuses = {proposal.confidence: proposal.status for proposal in proposals_of(store, ids["doc.txt"]).values()}
    assert statuses == {0.95: "pending", 0.9: "rejected", 0.3: "pending"}
    start = TEXT.index("继续")
    with store() as session, repository.write_transaction(session):
        typed = repository.add_correction(session, ids["doc.txt"], start, start + 2, "继续", "持续", decided_by="王五")
        typed_id = typed.id
    with store() as session:
        assert "持续" in repository.final_text(repository.get_document(session, ids["doc.txt"]))
        history = repository.decision_history(session, [typed_id, by_confidence[0.9].id])
        assert [item["decided_by"] for item in history[typed_id]] == ["王五"]
        assert [item["status"] for item in history[by_confidence[0.9].id]] == ["rejected"]
