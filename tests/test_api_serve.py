"""`jiaokan serve --load FOLDER` (what `make run` does): the seeds land in the default store
once, a second start duplicates nothing and keeps every decision, and the server answers."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import httpx
import pytest
from conftest import SEEDS

from jiaokan.store import repository


def load_twice_with_a_decision_between(folder, database_url, make_settings):
    from jiaokan.commands.serve import load_seed_folder
    from jiaokan.store.database import open_store

    settings = make_settings(database_url)
    engine, session_factory = open_store(database_url)
    try:
        load_seed_folder(session_factory, settings, folder, "default")
        with session_factory() as session:
            summaries, total = repository.list_documents(session)
            first_document = summaries[0].document.id
            proposals = repository.list_proposals(session, first_document)
        with session_factory() as session, repository.write_transaction(session):
            repository.decide_proposal(session, proposals[0].id, "rejected")
        load_seed_folder(session_factory, settings, folder, "default")
        with session_factory() as session:
            again, total_again = repository.list_documents(session)
            after = repository.list_proposals(session, first_document)
        return total, total_again, proposals, after, summaries
    finally:
        engine.dispose()


def test_loading_seeds_twice_is_idempotent(tmp_path, sqlite_url, make_settings, capsys):
    total, total_again, before, after, summaries = load_twice_with_a_decision_between(SEEDS, sqlite_url, make_settings)
    assert total == total_again == len(list(SEEDS.glob("*.txt")))
    assert sum(summary.counts.total for summary in summaries) > 0, "the seeds should give proposals"
    assert [p.id for p in after] == [p.id for p in before]
    assert after[0].status == "rejected"
    assert "0 new, 5 unchanged" in capsys.readouterr().err


def test_a_new_file_in_the_folder_is_added_and_matched(tmp_path, sqlite_url, make_settings):
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "one.txt").write_text("午午工程二期建设进入冲刺阶段。", encoding="utf-8")
    load_twice_with_a_decision_between(folder, sqlite_url, make_settings)
    (folder / "sub").mkdir()
    (folder / "sub" / "two.txt").write_bytes("中小小学生在校园里认真学习，老师们耐心地讲解每一道题目。".encode("gb18030"))
    from jiaokan.commands.serve import load_seed_folder
    from jiaokan.store.database import open_store

    engine, session_factory = open_store(sqlite_url)
    load_seed_folder(session_factory, make_settings(sqlite_url), folder, "default")
    with session_factory() as session:
        names = [summary.document.name for summary in repository.list_documents(session)[0]]
        (first,) = [summary.document for summary in repository.list_documents(session)[0] if summary.document.name == "one.txt"]
        assert repository.list_proposals(session, first.id)[0].status == "rejected"
    engine.dispose()
    assert names == ["one.txt", "sub/two.txt"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_serve_command_loads_and_serves_the_review_page(tmp_path):
    port = free_port()
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    environment = os.environ | {"JIAOKAN_DATABASE_URL": f"sqlite:///{tmp_path / 'jiaokan.db'}"}
    command = [sys.executable, "-m", "jiaokan.cli", "serve", "--port", str(port), "--load", str(folder), "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read().decode(errors="replace")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        page = httpx.get(f"http://127.0.0.1:{port}/review")
        assert page.status_code == 200 and "002_9ebead79375e84cd.txt" in page.text
        documents = httpx.get(f"http://127.0.0.1:{port}/v1/documents").json()
        assert documents["total"] == 5 and sum(item["counts"]["pending"] for item in documents["items"]) > 0
    finally:
        server.terminate()
        server.wait(timeout=20)
