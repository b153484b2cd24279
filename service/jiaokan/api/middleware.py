"""A pure-ASGI guard in front of the app: body size (413), content type (415) and UTF-8 (400).

It reads the request body once, bounded by the configured limit, checks it and replays it
to the app, so no route ever sees an oversized, non-JSON or undecodable body.
"""
from __future__ import annotations

import json

BODY_METHODS = {b"POST", b"PUT", b"PATCH"}


class BodyGuard:
    """Refuse bodies over ``max_body_bytes``, bodies that are not JSON, bytes that are not UTF-8."""

    def __init__(self, app, *, max_body_bytes: int, guarded_prefix: str = "/v1/") -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.guarded_prefix = guarded_prefix

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"].encode() not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await _refuse(send, 413, f"request body over the limit of {self.max_body_bytes} bytes")
            return
        body, complete = await self._read_body(receive)
        if not complete:
            await _refuse(send, 413, f"request body over the limit of {self.max_body_bytes} bytes")
            return
        if body and scope["path"].startswith(self.guarded_prefix):
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
    payload = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})
