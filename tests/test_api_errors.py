"""Bad input gets a 4xx with a JSON ``detail`` — never a 500."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = {"content-type": "application/json"}

GARBAGE = [
    # (method, path, raw body, headers, expected status)
    ("POST", "/v1/correct", b"{not json", JSON, 422),
    ("POST", "/v1/correct", b"", JSON, 422),
    ("POST", "/v1/correct", b"null", JSON, 422),
    ("POST", "/v1/correct", b"[]", JSON, 422),
    ("POST", "/v1/correct", b'{"text": 123}', JSON, 422),
    ("POST", "/v1/correct", b'{"text": ["a"]}', JSON, 422),
    ("POST", "/v1/correct", b'{"text": "a", "witnesses": "b"}', JSON, 422),
    ("POST", "/v1/correct", b'{"text": "a", "witnesses": [1]}', JSON, 422),
    ("POST", "/v1/correct", b'{"text": "a", "options": []}', JSON, 422),
    ("POST", "/v1/correct", b'{"text": "a", "options": {"nope": 1}}', JSON, 422),
    ("POST", "/v1/correct", b'{"text": "a", "options": {"ngram_size": "x"}}', JSON, 422),
    ("POST", "/v1/correct", b'{"text": "a", "options": {"auto_apply_threshold": NaN}}', JSON, 422),
    ("POST", "/v1/correct", b'{"text": "a", "options": {"rules": {"no_such_rule": true}}}', JSON, 422),
    ("POST", "/v1/correct", b'{"text": "a", "options": {"rules": 5}}', JSON, 422),
    ("POST", "/v1/correct", b'{"text": "a", "options": {"extra_terms": "x"}}', JSON, 422),
    ("POST", "/v1/correct", b'{"text": "a", "unknown": 1}', JSON, 422),
    ("POST", "/v1/correct", b'{"text": "\\ud800"}', JSON, 422),
    ("POST", "/v1/correct", '{"text": "中文"}'.encode("gb18030"), JSON, 400),
    ("POST", "/v1/correct", b'{"text": "\xff\xfe"}', JSON, 400),
    ("POST", "/v1/correct", b"text=abc", {"content-type": "application/x-www-form-urlencoded"}, 415),
    ("POST", "/v1/correct", b'{"text": "a"}', {"content-type": "text/plain"}, 415),
    ("POST", "/v1/correct", b'{"text": "a"}', {}, 415),
    ("POST", "/v1/documents", b'{"name": "../x", "text": "a"}', JSON, 422),
    ("POST", "/v1/documents", b'{"name": "", "text": "a"}', JSON, 422),
    ("POST", "/v1/documents", b'{"name": "a", "text": "a\\u0000b"}', JSON, 422),
    ("POST", "/v1/documents", b'{"name": "a", "text": "x", "collection": ""}', JSON, 422),
    ("POST", "/v1/documents", b'{"name": "a"}', JSON, 422),
    ("PATCH", "/v1/proposals/1", b'{"status": "maybe"}', JSON, 422),
    ("PATCH", "/v1/proposals/1", b'{"status": "accepted", "version": 99999999999999999999}', JSON, 422),
    ("PATCH", "/v1/proposals/1", b'{"status": "accepted", "version": "x"}', JSON, 422),
    ("PATCH", "/v1/proposals/999", b'{"status": "accepted"}', JSON, 404),
    ("PATCH", "/v1/proposals/abc", b'{"status": "accepted"}', JSON, 404),
    ("PATCH", "/v1/proposals/99999999999999999999999", b'{"status": "accepted"}', JSON, 404),
    ("POST", "/v1/proposals/decisions", b'{"status": "accepted", "min_confidence": 2}', JSON, 422),
    ("POST", "/v1/proposals/decisions", b'{"status": "accepted", "document_id": 12345}', JSON, 404),
    ("POST", "/v1/lexicon/terms", b'{"term": ""}', JSON, 422),
    ("POST", "/v1/lexicon/terms", b'{"term": 5}', JSON, 422),
    ("GET", "/v1/documents/999", b"", {}, 404),
    ("GET", "/v1/documents/999/text", b"", {}, 404),
    ("GET", "/v1/documents/999/proposals", b"", {}, 404),
    ("GET", "/v1/documents/-1", b"", {}, 404),
    ("GET", "/v1/documents/does-not-exist", b"", {}, 404),
    ("GET", "/v1/documents?collection=a%00b", b"", {}, 422),
    ("DELETE", "/v1/lexicon/terms/a%00b", b"", {}, 422),
    ("POST", "/v1/lexicon/terms", b'{"term": "a\\u0000b"}', JSON, 422),
    ("POST", "/v1/proposals/decisions", b'{"status": "accepted", "rule": "a\\u0000b"}', JSON, 422),
    ("POST", "/v1/collections/default/recompute", b"", {}, 415),
    ("POST", "/v1/collections/nothing/recompute", b"{}", JSON, 404),
    ("PUT", "/v1/lexicon/terms", b"{}", JSON, 405),
    ("GET", "/v1/documents?limit=0", b"", {}, 422),
    ("GET", "/v1/documents?offset=-1", b"", {}, 422),
    ("GET", "/v1/documents?offset=99999999999999999999", b"", {}, 422),
    ("GET", "/v1/documents/1/proposals?min_confidence=nan", b"", {}, 422),
    ("GET", "/v1/documents/1/proposals?status=maybe", b"", {}, 422),
    ("DELETE", "/v1/documents/999", b"", {}, 404),
    ("DELETE", "/v1/lexicon/terms/nothing", b"", {}, 404),
    ("GET", "/review/documents/999", b"", {}, 404),
    ("GET", "/review/documents/x", b"", {}, 404),
]


@pytest.mark.parametrize("method, path, body, headers, expected", GARBAGE, ids=[f"{g[0]} {g[1]} {g[2][:30]!r}" for g in GARBAGE])
def test_garbage_gets_a_4xx_with_json_detail(client, method, path, body, headers, expected):
    response = client.request(method, path, content=body, headers=headers)
    assert response.status_code == expected, response.text
    if path.startswith("/review"):  # a page for people: the error is a page too
        assert response.headers["content-type"].startswith("text/html") and "<!doctype html>" in response.text
        return
    assert response.headers["content-type"].startswith("application/json")
    assert "detail" in response.json()


def test_body_over_the_limit_is_413(sqlite_url, make_settings):
    from fastapi.testclient import TestClient

    from jiaokan.api.app import create_app

    app = create_app(make_settings(sqlite_url, max_body_bytes=2048))
    try:
        with TestClient(app) as client:
            small = client.post("/v1/correct", json={"text": "短文。"})
            assert small.status_code == 200
            big = client.post("/v1/correct", json={"text": "长" * 2000})
            assert big.status_code == 413 and "detail" in big.json()

            def chunks():  # no Content-Length: the limit holds for streamed bodies too
                for _ in range(10):
                    yield b'{"text": "' + b"a" * 500

            streamed = client.post("/v1/correct", content=chunks(), headers=JSON)
            assert streamed.status_code == 413
    finally:
        app.state.engine.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    st.binary(max_size=200),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(["text", "witnesses", "options", "name", "status", "x"]), children, max_size=4),
        max_leaves=10,
    ).map(lambda value: __import__("json").dumps(value).encode()),
))
def test_random_bodies_never_give_a_500(client, body):
    for path in ("/v1/correct", "/v1/documents", "/v1/lexicon/terms", "/v1/proposals/decisions"):
        response = client.post(path, content=body, headers=JSON)
        assert response.status_code < 500, (path, body, response.text)
    response = client.patch("/v1/proposals/1", content=body, headers=JSON)
    assert response.status_code < 500, (body, response.text)
