"""The lexicon cache behind ``POST /v1/correct``: terms are read once per lexicon version, and a
change made through one app (another worker process, another server) on the same database
reaches the next correction of every other app without a restart."""
from __future__ import annotations

import pytest
from conftest import edit

TEXT = "新建的墨子巡夭望远镜性能优良。"


@pytest.fixture
def engine_calls(monkeypatch):
    """Stand in for the engine: record each correction's config, propose one edit."""
    import jiaokan
    from jiaokan.result import Correction

    calls = []

    def fake_correct_text(text, witnesses=(), *, config):
        calls.append(config)
        return Correction.from_edits("text", text, [edit(text, "夭", "天", confidence=0.95)], config)

    monkeypatch.setattr(jiaokan, "correct_text", fake_correct_text)
    monkeypatch.setattr("jiaokan.api.engine_configs.prepare_engine", lambda config: None)  # no tables to build for it
    return calls


@pytest.fixture
def two_apps(database_url, make_settings):
    """Two apps on one database, as two worker processes of `jiaokan serve` are."""
    from fastapi.testclient import TestClient

    from jiaokan.api.app import create_app

    first, second = create_app(make_settings(database_url)), create_app(make_settings(database_url))
    try:
        with TestClient(first) as first_client, TestClient(second) as second_client:
            yield first_client, second_client
    finally:
        first.state.engine.dispose()
        second.state.engine.dispose()


def terms_seen(client, engine_calls, options=None) -> tuple[str, ...]:
    """The terms a correction gets once a lexicon change is prepared (the first correction
    after a change starts preparing it, and is served by the lexicon before)."""
    body = {"text": TEXT} | ({"options": options} if options else {})
    for _ in range(2):
        response = client.post("/v1/correct", json=body)
        assert response.status_code == 200, response.text
        client.app.state.engine_configs.wait()
    return engine_calls[-1].extra_terms


def test_a_term_added_or_removed_through_one_app_reaches_the_other(two_apps, engine_calls):
    writer, reader = two_apps
    assert terms_seen(reader, engine_calls) == ()  # the reader has cached the empty lexicon
    assert writer.post("/v1/lexicon/terms", json={"term": "墨子巡天望远镜"}).status_code == 201
    assert terms_seen(reader, engine_calls) == ("墨子巡天望远镜",)
    assert writer.post("/v1/lexicon/terms", json={"term": "钍基熔盐堆"}).status_code == 201
    assert terms_seen(reader, engine_calls, {"extra_terms": ["冲刺阶段"]}) == ("冲刺阶段", "墨子巡天望远镜", "钍基熔盐堆")
    assert writer.delete("/v1/lexicon/terms/墨子巡天望远镜").status_code == 204
    assert terms_seen(reader, engine_calls) == ("钍基熔盐堆",)
    assert terms_seen(writer, engine_calls) == ("钍基熔盐堆",)


def test_terms_and_config_are_loaded_once_per_lexicon_version(client, engine_calls, monkeypatch):
    from jiaokan.store import repository

    loads = []
    original_snapshot = repository.lexicon_snapshot

    def counted_snapshot(session):
        loads.append(1)
        return original_snapshot(session)

    monkeypatch.setattr(repository, "lexicon_snapshot", counted_snapshot)
    for _ in range(3):
        terms_seen(client, engine_calls)
    assert len(loads) == 1
    assert engine_calls[0] is engine_calls[1] is engine_calls[2], "the same config object while the lexicon stays"
    assert client.post("/v1/lexicon/terms", json={"term": "钍基熔盐堆"}).status_code == 201
    assert client.post("/v1/lexicon/terms", json={"term": "钍基熔盐堆"}).status_code == 200  # no change: no new version
    for _ in range(2):
        assert terms_seen(client, engine_calls) == ("钍基熔盐堆",)
    assert len(loads) == 2
    assert engine_calls[-1] is engine_calls[-2] and engine_calls[-1] is not engine_calls[0]


def test_every_change_of_the_terms_bumps_the_version_in_its_transaction(database_url):
    from jiaokan.errors import NotFoundError
    from jiaokan.store import repository
    from jiaokan.store.database import open_store

    engine, session_factory = open_store(database_url)
    try:
        with session_factory() as session:
            start = repository.lexicon_version(session)
        with session_factory() as session, repository.write_transaction(session):
            repository.add_term(session, "子午工程")
            repository.add_term(session, "子午工程")  # already there
        with pytest.raises(NotFoundError), session_factory() as session, repository.write_transaction(session):
            repository.remove_term(session, "子午工程")
            repository.remove_term(session, "not there")  # fails: the whole transaction rolls back
        with session_factory() as session:
            assert repository.lexicon_snapshot(session) == (start + 1, ("子午工程",))
        with session_factory() as session, repository.write_transaction(session):
            repository.remove_term(session, "子午工程")
        with session_factory() as session:
            assert repository.lexicon_snapshot(session) == (start + 2, ())
    finally:
        engine.dispose()


def test_the_cache_reloads_when_the_version_row_is_gone(database_url):
    from sqlalchemy import delete

    from jiaokan.store import repository
    from jiaokan.store.database import open_store
    from jiaokan.store.lexicon_cache import LexiconCache
    from jiaokan.store.models import LexiconVersion

    engine, session_factory = open_store(database_url)
    try:
        cache = LexiconCache(engine, session_factory)
        with session_factory() as session, repository.write_transaction(session):
            session.execute(delete(LexiconVersion))
        assert cache.current().terms == () and cache.stored_version() == 0
        with session_factory() as session, repository.write_transaction(session):
            repository.add_term(session, "子午工程")
        assert cache.stored_version() == 1 and cache.current().terms == ("子午工程",)
    finally:
        engine.dispose()


def test_correct_response_is_the_response_model_encoded_once(client):
    from jiaokan.api.schemas import CorrectResponse

    response = client.post("/v1/correct", json={"text": "午午工程二期建设进入冲刺阶段。"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    model = CorrectResponse.model_validate_json(response.content)
    assert model.edits, "the sentence misreads a domain term"
    assert response.content == model.model_dump_json().encode(), "same bytes as FastAPI's response_model encoding"
    operation = client.get("/openapi.json").json()["paths"]["/v1/correct"]["post"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/CorrectResponse"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"auto_apply_threshold": "high"}, "valid number"),
        ({"extra_terms": "子午工程"}, "valid list"),
        ({"no_such_option": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_options_are_a_422_with_a_detail(client, options, message):
    response = client.post("/v1/correct", json={"text": TEXT, "options": options})
    assert response.status_code == 422 and message in response.json()["detail"][0]["msg"]
