"""Issue 19 from the HTTP side: no request stalls the service, both databases answer alike
under concurrent requests, and the service is safe to share (hosts, cross-site writes, tokens)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jiaokan.api.app import create_app

JSON = {"content-type": "application/json"}
TOKEN = "a-token-long-enough-0123456789"


@pytest.fixture
def make_client(sqlite_url, make_settings):
    """A test client of an app with settings of the test's choice (and ``database_url``)."""
    apps = []

    def make(database_url: str | None = None, **overrides) -> TestClient:
        app = create_app(make_settings(database_url or sqlite_url, **overrides))
        apps.append(app)
        client = TestClient(app)
        client.__enter__()
        apps.append(client)
        return client

    yield make
    for item in reversed(apps):
        if isinstance(item, TestClient):
            item.__exit__(None, None, None)
        else:
            item.state.engine.dispose()


# --- no request stalls the service ------------------------------------------------------------


def test_a_text_over_the_synchronous_limit_is_a_413_pointing_elsewhere(make_client):
    client = make_client(max_correct_characters=1000)
    assert client.post("/v1/correct", json={"text": "短文。" * 100}).status_code == 200
    refused = client.post("/v1/correct", json={"text": "长" * 600, "witnesses": ["长" * 600]})
    assert refused.status_code == 413
    assert "1200 characters" in refused.json()["detail"] and "/v1/documents" in refused.json()["detail"]


def sleep_then_answer(config, body) -> bytes:
    """A correction that takes far too long, after saying which process runs it."""
    Path(body.text).write_text(str(os.getpid()))
    time.sleep(60)
    return b"{}"


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_correction_out_of_its_budget_is_a_503_and_its_process_is_stopped(make_client, monkeypatch, tmp_path):
    from jiaokan.api.routes import correct as route

    client = make_client(correct_time_budget=1.0)
    monkeypatch.setattr(route, "INLINE_CHARACTERS", 0)
    monkeypatch.setattr(route, "correct_to_json", sleep_then_answer)
    pid_file = tmp_path / "pid"
    answer = client.post("/v1/correct", json={"text": str(pid_file)})
    assert answer.status_code == 503 and "time budget of 1 s" in answer.json()["detail"]
    pid = int(pid_file.read_text())
    for _ in range(100):  # the pool stops it within its polling interval
        if process_gone(pid):
            break
        time.sleep(0.1)
    assert process_gone(pid)
    monkeypatch.setattr(route, "correct_to_json", correct_in_lane)
    assert client.post("/v1/correct", json={"text": "再来一次。"}).json() == {"text": "ok", "edits": [], "variants": []}


def correct_in_lane(config, body) -> bytes:
    return b'{"text": "ok", "edits": [], "variants": []}'


def test_the_engine_lane_forks_a_fresh_pool_when_the_lexicon_moves_on():
    """Work for the same lexicon version goes to the same processes; work for a newer one to a
    fresh pool (forked from a worker that has prepared its tables), not to processes that would
    build them again within the request's budget."""
    from jiaokan.api.engine_lane import EngineLane

    lane = EngineLane(processes=1, budget=30)

    async def process_ids() -> list[int]:
        return [await lane.run(os.getpid, generation=generation) for generation in (1, 1, 2, 2)]

    try:
        first, again, newer, newer_again = asyncio.run(process_ids())
    finally:
        lane.close()
    assert first == again and newer == newer_again and newer != first


def test_a_body_that_never_arrives_is_a_408():
    from jiaokan.api.middleware import BodyGuard

    async def never_called(scope, receive, send):
        raise AssertionError("the app must not run")

    async def receive():
        await asyncio.sleep(3600)

    sent = []

    async def send(message):
        sent.append(message)

    guard = BodyGuard(never_called, max_body_bytes=1024, body_timeout=0.05)
    scope = {"type": "http", "method": "POST", "path": "/v1/correct", "query_string": b"",
             "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")]}
    asyncio.run(guard(scope, receive, send))
    assert sent[0]["status"] == 408 and (b"connection", b"close") in sent[0]["headers"]


# --- safe to share ----------------------------------------------------------------------------


def test_unknown_hosts_are_refused_but_health_answers_any(make_client):
    client = make_client(allowed_hosts=("localhost",))
    assert client.get("/v1/documents", headers={"host": "localhost:8000"}).status_code == 200
    refused = client.get("/v1/documents", headers={"host": "rebound.example"})
    assert refused.status_code == 400 and "JIAOKAN_ALLOWED_HOSTS" in refused.json()["detail"]
    assert client.get("/healthz", headers={"host": "10.0.0.7:8000"}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example", "content-type": "application/x-www-form-urlencoded"},
        {"origin": "null", "content-type": "application/json"},
        {"sec-fetch-site": "cross-site", "content-type": "application/json"},
        {"sec-fetch-site": "same-site", "content-type": "application/json"},
    ],
)
def test_cross_site_writes_are_403(client, headers):
    client.post("/v1/documents", json={"name": "a.txt", "text": "文本。", "collection": "c"})
    for method, path in (("POST", "/v1/collections/c/recompute"), ("DELETE", "/v1/documents/1"), ("POST", "/v1/correct")):
        response = client.request(method, path, headers={"host": "testserver"} | headers, content=b"")
        assert response.status_code == 403, (method, path, response.text)
        assert "cross-" in response.json()["detail"]
    assert client.get("/v1/documents/1").status_code == 200


def test_same_origin_writes_and_programs_pass(client):
    same_origin = {"origin": "http://testserver", "sec-fetch-site": "same-origin"} | JSON
    assert client.post("/v1/lexicon/terms", json={"term": "子午工程"}, headers=same_origin).status_code == 201
    assert client.delete("/v1/lexicon/terms/子午工程").status_code == 204
    # an empty body still has to say it is JSON (a plain form cannot)
    assert client.post("/v1/collections/default/recompute").status_code == 415


def test_with_access_tokens_every_write_needs_one_and_reads_stay_open(make_client):
    client = make_client(access_tokens=(TOKEN,))
    missing = client.post("/v1/lexicon/terms", json={"term": "子午工程"})
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/v1/lexicon/terms", json={"term": "子午工程"}, headers={"authorization": "Bearer " + "x" * 30})
    assert wrong.status_code == 401
    assert client.post("/v1/correct", json={"text": "短文。"}).status_code == 401
    signed = {"authorization": f"Bearer {TOKEN}"}
    assert client.post("/v1/lexicon/terms", json={"term": "子午工程"}, headers=signed).status_code == 201
    assert client.delete("/v1/lexicon/terms/子午工程", headers=signed).status_code == 204
    assert client.get("/v1/lexicon/terms").status_code == 200


@pytest.mark.parametrize("token", ["short", "has a space in it 0123456789", "ünïcode-token-0123456789"])
def test_weak_tokens_are_refused_at_start(token):
    from jiaokan.errors import ConfigError
    from jiaokan.settings import load_settings

    with pytest.raises(ConfigError, match="access token"):
        load_settings(access_tokens=token)


def test_hosts_and_tokens_read_as_comma_separated_lists(monkeypatch):
    from jiaokan.settings import load_settings

    monkeypatch.setenv("JIAOKAN_ALLOWED_HOSTS", "Review.Example.org, [::1]")
    monkeypatch.setenv("JIAOKAN_ACCESS_TOKENS", f"{TOKEN},{TOKEN[::-1]}")
    settings = load_settings()
    assert settings.allowed_hosts == ("review.example.org", "::1")
    assert settings.access_tokens == (TOKEN, TOKEN[::-1])


def jiaokan_serve(*arguments: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from jiaokan.cli import console; console()", "serve", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=os.environ | (environment or {}))


def test_serve_refuses_a_public_address_without_tokens(tmp_path):
    database = {"JIAOKAN_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}", "JIAOKAN_ACCESS_TOKENS": ""}
    refused = jiaokan_serve("--host", "0.0.0.0", "--port", "1", environment=database)
    assert refused.returncode != 0
    assert "JIAOKAN_ACCESS_TOKENS" in refused.stderr and "--insecure" in refused.stderr and "Traceback" not in refused.stderr


def test_loopback_names_count_as_loopback():
    from jiaokan.commands.serve import is_loopback

    assert all(map(is_loopback, ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.4", "example.org"]))


# --- answers as the schema says -----------------------------------------------------------------


def test_options_and_other_methods_name_every_method_the_path_takes(client):
    options = client.options("/v1/lexicon/terms")
    assert options.status_code == 204 and options.headers["allow"] == "GET, OPTIONS, POST"
    put = client.put("/v1/lexicon/terms", json={})
    assert put.status_code == 405 and put.headers["allow"] == "GET, OPTIONS, POST"
    assert client.options("/v1/documents/1").headers["allow"] == "DELETE, GET, OPTIONS"


def test_every_time_has_its_zone(client):
    client.post("/v1/documents", json={"name": "a.txt", "text": "文本。"})
    client.post("/v1/lexicon/terms", json={"term": "子午工程"})
    times = [client.get("/v1/documents/1").json()["created_at"], client.get("/v1/collections").json()[0]["created_at"],
             client.get("/v1/lexicon/terms").json()[0]["created_at"], client.get("/v1/documents").json()["items"][0]["created_at"]]
    assert all(datetime.fromisoformat(moment).utcoffset() == timedelta(0) for moment in times), times


def test_422_details_are_lists_as_the_schema_says(client):
    schema = client.get("/openapi.json").json()
    assert schema["components"]["schemas"]["HTTPValidationError"]["properties"]["detail"]["type"] == "array"
    for response in (client.post("/v1/correct", json={"text": "a", "options": {"nope": 1}}),
                     client.post("/v1/documents", json={"name": "../x", "text": "a"}),
                     client.get("/v1/documents?collection=%00")):
        assert response.status_code == 422
        assert all({"type", "loc", "msg"} <= set(item) for item in response.json()["detail"]), response.text


# --- both databases under concurrent requests ------------------------------------------------------


def at_once(count: int, request) -> list:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(request, range(count)))


def test_concurrent_requests_answer_alike_on_both_databases(make_client, database_url):
    client = make_client(database_url)
    created = at_once(8, lambda index: client.post("/v1/documents", json={"name": f"d{index}.txt", "text": f"第{index}篇。", "collection": "new"}))
    assert sorted(response.status_code for response in created) == [201] * 8, [response.text for response in created]
    assert client.get("/v1/collections").json()[0]["documents"] == 8
    same = at_once(6, lambda index: client.post("/v1/documents", json={"name": "same.txt", "text": "同一篇。", "collection": "other"}))
    assert sorted(response.status_code for response in same) == [200] * 5 + [201]
    terms = at_once(6, lambda index: client.post("/v1/lexicon/terms", json={"term": "钍基熔盐堆"}))
    assert sorted(response.status_code for response in terms) == [200] * 5 + [201]
    deletes = at_once(2, lambda index: client.delete("/v1/lexicon/terms/钍基熔盐堆"))
    assert sorted(response.status_code for response in deletes) == [204, 404]
    document = created[0].json()["id"]
    deletes = at_once(2, lambda index: client.delete(f"/v1/documents/{document}"))
    assert sorted(response.status_code for response in deletes) == [204, 404]
    for path in ("/v1/documents?collection=%00", "/v1/lexicon/terms/%00", "/v1/collections/a%00/export"):
        response = client.request("DELETE" if "terms" in path else "GET", path)
        assert response.status_code == 422, (path, response.text)
    nul = client.post("/v1/lexicon/terms", json={"term": "a\u0000b"})
    assert nul.status_code == 422


def test_a_unique_clash_the_store_did_not_foresee_is_a_409_naming_it(database_url):
    from sqlalchemy.exc import IntegrityError

    from jiaokan.store.database import open_store, storage_error
    from jiaokan.store.models import Term

    engine, session_factory = open_store(database_url)
    try:
        with session_factory() as session:
            session.add(Term(term="子午工程"))
            session.commit()
            session.add(Term(term="子午工程"))
            with pytest.raises(IntegrityError) as raised:
                session.commit()
        assert str(storage_error(raised.value)) == "a term with this term already exists"
    finally:
        engine.dispose()
