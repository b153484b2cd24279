"""Shared fixtures: a temporary store (SQLite, or PostgreSQL when a server is configured),
the app on it, a client, and a helper that stores documents with edits we construct."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
POSTGRES_ENVIRONMENT = "JIAOKAN_TEST_POSTGRES_URL"

# the engine's table cache (jiaokan.cache) of this test session, shared with the processes it starts
if "JIAOKAN_CACHE_DIR" not in os.environ:
    os.environ["JIAOKAN_CACHE_DIR"] = tempfile.mkdtemp(prefix="jiaokan-test-cache-")
    atexit.register(shutil.rmtree, os.environ["JIAOKAN_CACHE_DIR"], ignore_errors=True)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A SQLite file that exists only for this test."""
    return f"sqlite:///{tmp_path / 'store.db'}"


def _postgres_server_url() -> str:
    url = os.environ.get(POSTGRES_ENVIRONMENT)
    if not url:
        pytest.skip(f"{POSTGRES_ENVIRONMENT} is not set (.ci/run sets it): PostgreSQL tests skipped")
    try:
        import psycopg

        conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(conninfo, connect_timeout=3):
            pass
    except Exception as error:  # any failure to connect means: no server here
        pytest.skip(f"PostgreSQL at {url} is unreachable ({type(error).__name__}: {error})")
    return url


@pytest.fixture
def postgres_url() -> str:
    """A URL into a fresh schema of the test server, dropped afterwards; skips without a server."""
    from sqlalchemy import create_engine, text

    server_url = _postgres_server_url()
    schema = f"jiaokan_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Each store test runs on SQLite and on PostgreSQL (the latter skips without a server)."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def make_settings():
    """Settings for a test, independent of the JIAOKAN_* environment of the machine."""
    from jiaokan.settings import Settings

    def make(database_url: str, **overrides) -> Settings:
        # no engine warm-up: tests that use the engine load it on first use; the test client's host
        defaults = {"warm_up": False, "allowed_hosts": ("testserver", "localhost", "127.0.0.1")}
        return Settings(_env_file=None, database_url=database_url, **(defaults | overrides))

    return make


@pytest.fixture
def app(sqlite_url, make_settings):
    """The app on a temporary SQLite store."""
    from jiaokan.api.app import create_app

    application = create_app(make_settings(sqlite_url))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app):
    """A test client of `app`."""
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def store_edits():
    """Store ``(name, text, [Edit | (Edit, auto)])`` documents through `load_run`; returns their ids."""
    from jiaokan.edits import Edit
    from jiaokan.store.runs import load_run

    def store(session_or_url, documents, collection: str = "default") -> dict[str, int]:
        from sqlalchemy import select

        from jiaokan.store.models import Collection, Document

        runs = []
        for name, text, edits in documents:
            records = []
            for item in edits:
                edit, auto = (item, False) if isinstance(item, Edit) else item
                records.append(edit.to_dict() | {"status": "applied" if auto else "proposed"})
            runs.append((name, text, records))
        load_run(session_or_url, runs, collection)
        if isinstance(session_or_url, str):
            from jiaokan.store.database import open_store

            engine, session_factory = open_store(session_or_url)
            with session_factory() as session:
                rows = session.execute(
                    select(Document.name, Document.id).join(Collection).where(Collection.name == collection)
                ).all()
            engine.dispose()
        else:
            rows = session_or_url.execute(
                select(Document.name, Document.id).join(Collection).where(Collection.name == collection)
            ).all()
        return dict(rows)

    return store


def edit(text: str, original: str, replacement: str, *, rule: str = "fix_lookalike", confidence: float = 0.8,
         occurrence: int = 0, evidence: dict | None = None, kind: str = "repair"):
    """An `Edit` replacing the ``occurrence``-th ``original`` in ``text`` (tests build their own edits)."""
    from jiaokan.edits import Edit

    start = -1
    for _ in range(occurrence + 1):
        start = text.index(original, start + 1)
    return Edit(start, start + len(original), original, replacement, rule, kind, confidence,
                evidence if evidence is not None else {"readings": {"copy-1": replacement, "copy-2": original}})


def seed_text(prefix: str) -> str:
    """The seed file whose name starts with ``prefix`` (e.g. ``"004"``)."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """The five seed pages by file name."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))}


@pytest.fixture(scope="session")
def seed_corrections(seed_texts):
    """The seeds corrected as one corpus (computed once per session)."""
    from jiaokan import correct_corpus

    return correct_corpus(seed_texts)
