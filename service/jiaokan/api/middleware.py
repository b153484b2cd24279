"""A pure-ASGI guard in front of the app: body size (413), content type (415), UTF-8 (400),
the time a client takes to send its body (408), and NUL in the path or query (422: PostgreSQL
cannot compare text with it, so both databases refuse it alike).

It reads the request body once, bounded by the configured limit and time, checks it and
replays it to the app, so no route ever sees an oversized, non-JSON or undecodable body, and a
client that announces more bytes than it sends is answered instead of waited for. Under
``/v1/`` every POST, PUT and PATCH must say it sends JSON, even with an empty body: a plain
HTML form cannot, so a page on another site cannot post one (`jiaokan.api.security`).
"""
from __future__ import annotations

import asyncio

from jiaokan.api.security import send_json_refusal

BODY_METHODS = {b"POST", b"PUT", b"PATCH"}


class BodyGuard:
    """Refuse bodies over ``max_body_bytes`` or slower than ``body_timeout`` seconds, requests
    that do not say they send JSON, bytes that are not UTF-8."""

    def __init__(self, app, *, max_body_bytes: int, body_timeout: float, guarded_prefix: str = "/v1/") -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        self.guarded_prefix = guarded_prefix

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and has_nul(scope):
            await send_json_refusal(send, 422, [{"type": "value_error", "loc": ["path"], "msg": "the path or query contains a NUL character"}])
            return
        if scope["type"] != "http" or scope["method"].encode() not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await _refuse(send, 413, f"request body over the limit of {self.max_body_bytes} bytes")
            return
        try:
            body, complete = await asyncio.wait_for(self._read_body(receive), self.body_timeout)
        except TimeoutError:
            await _refuse(send, 408, f"request body not received within {self.body_timeout:g} s")
            return
        if not complete:
            await _refuse(send, 413, f"request body over the limit of {self.max_body_bytes} bytes")
            return
        if scope["path"].startswith(self.guarded_prefix):
            problem = _body_problem(headers.get(b"content-type", b""), body)
            if problem is not None:
                await _refuse(send, *problem)
                return
        await self.app(scope, _replay(body), send)

    async def _read_body(self, receive) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), True
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), True


def has_nul(scope) -> bool:
    """Whether the request's path or query string holds a NUL character (``%00`` or raw)."""
    query = scope.get("query_string", b"").lower()
    return "\x00" in scope["path"] or b"%00" in query or b"\x00" in query


def _body_problem(content_type: bytes, body: bytes) -> tuple[int, str] | None:
    media_type = content_type.split(b";", 1)[0].strip().lower()
    if media_type != b"application/json" and not media_type.endswith(b"+json"):
        shown = media_type.decode("latin-1") or "none"
        return 415, f"send JSON with Content-Type: application/json (got {shown})"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        return 400, f"request body is not UTF-8 (byte {error.start})"
    return None


def _replay(body: bytes):
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _refuse(send, status: int, detail: str) -> None:
    headers = [(b"connection", b"close")] if status == 408 else []
    await send_json_refusal(send, status, detail, headers)
