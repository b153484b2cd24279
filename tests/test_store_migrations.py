"""Schema migrations: a database at the first revision upgrades to the newest, data intact."""
from __future__ import annotations

from sqlalchemy import inspect, text

from jiaokan.store.database import create_database_engine, current_revision, upgrade_database

HEAD = "0005"


def test_database_at_first_revision_upgrades_with_its_data(database_url, make_settings):
    engine = create_database_engine(database_url)
    upgrade_database(engine, "0001")
    assert current_revision(engine) == "0001"
    assert "term" not in inspect(engine).get_table_names()
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO collection (id, name, created_at) VALUES (1, 'old', CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO document (id, collection_id, name, original, sha256, created_at) "
            "VALUES (1, 1, 'a.txt', '午午工程', 'x', CURRENT_TIMESTAMP)"
        ))
        connection.execute(text(
            'INSERT INTO proposal (id, document_id, start, "end", original, replacement, rule, kind, confidence, '
            "evidence, auto, status, version) VALUES (1, 1, 0, 1, '午', '子', 'fix_lookalike', 'repair', 0.9, '{}', "
            "false, 'accepted', 2)"
        ))
    engine.dispose()

    # what the service does at start: create_app runs `upgrade head`
    from fastapi.testclient import TestClient

    from jiaokan.api.app import create_app

    app = create_app(make_settings(database_url))
    try:
        with TestClient(app) as client:
            assert client.get("/v1/documents/1/text").json() == {"text": "子午工程"}
            assert client.post("/v1/lexicon/terms", json={"term": "子午工程"}).status_code == 201
        assert current_revision(app.state.engine) == HEAD
        assert "config_fingerprint" in {column["name"] for column in inspect(app.state.engine).get_columns("collection")}
    finally:
        app.state.engine.dispose()


def test_upgrade_is_idempotent(sqlite_url):
    engine = create_database_engine(sqlite_url)
    upgrade_database(engine)
    upgrade_database(engine)
    assert current_revision(engine) == HEAD
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_database_with_terms_at_0002_upgrades_to_a_lexicon_version(database_url, make_settings):
    from jiaokan.store import repository
    from jiaokan.store.database import create_session_factory
    from jiaokan.store.lexicon_cache import LexiconCache

    engine = create_database_engine(database_url)
    upgrade_database(engine, "0002")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO term (term, created_at) VALUES ('子午工程', CURRENT_TIMESTAMP)"))
    upgrade_database(engine)
    assert current_revision(engine) == HEAD
    session_factory = create_session_factory(engine)
    cache = LexiconCache(engine, session_factory)
    try:
        first = cache.current()
        assert first.terms == ("子午工程",) and first.version >= 1
        with session_factory() as session, repository.write_transaction(session):
            repository.add_term(session, "钍基熔盐堆")
        assert cache.current().terms == ("子午工程", "钍基熔盐堆")
    finally:
        engine.dispose()
