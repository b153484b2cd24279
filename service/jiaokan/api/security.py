"""A pure-ASGI guard that makes the service safe to share: allowed hosts, no cross-site
writes, optional access tokens. Each refusal is a JSON ``detail``.

- **Hosts** (400): a request whose ``Host`` is not one of ``JIAOKAN_ALLOWED_HOSTS`` (loopback
  names by default) is refused, so a page that rebinds its own DNS name to this machine cannot
  read or write through the visitor's browser. ``/healthz`` answers any host (probes name pods
  by address).
- **Cross-site writes** (403): a request that can change something (any method but GET, HEAD
  and OPTIONS) is refused when the browser says it comes from another site (``Sec-Fetch-Site``)
  or from another origin (``Origin`` not this ``Host``). `BodyGuard` also requires JSON on
  every POST, PUT and PATCH under ``/v1/``, even an empty one, which no plain HTML form can send.
- **Access tokens** (401): when ``JIAOKAN_ACCESS_TOKENS`` names any, such a request needs
  ``Authorization: Bearer <one of them>``; reading stays open. The review page asks for the
  token once (``review/static/signin.js``).
"""
from __future__ import annotations

import hmac
import json
from urllib.parse import urlsplit

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
#: what a browser says of a request its own page (or its user, typing) made
SAME_SITE_FETCHES = {b"same-origin", b"none"}
#: ports a browser leaves out of ``Origin`` (a TLS proxy may serve us on either)
DEFAULT_PORT_SUFFIXES = (":80", ":443")
#: paths answered whatever the Host (health probes)
ANY_HOST_PATHS = {"/healthz"}


class RequestGuard:
    """Refuse requests to unknown hosts, cross-site writes and writes without a valid token."""

    def __init__(self, app, *, allowed_hosts: tuple[str, ...], access_tokens: tuple[str, ...]) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.allowed_hosts = {host.lower() for host in allowed_hosts}
        self.access_tokens = tuple(token.encode() for token in access_tokens)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            problem = self.problem(scope)
            if problem is not None:
                await send_json_refusal(send, *problem)
                return
        await self.app(scope, receive, send)

    def problem(self, scope) -> tuple[int, str, list[tuple[bytes, bytes]]] | None:
        """Why ``scope`` is refused: (status, detail, extra headers), or None to let it through."""
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1")
        if scope["path"] not in ANY_HOST_PATHS and not self.host_allowed(host):
            return 400, f"unknown host {host!r}: add it to JIAOKAN_ALLOWED_HOSTS to serve it", []
        if scope["method"] in SAFE_METHODS:
            return None
        cross_site = cross_site_problem(headers, host)
        if cross_site is not None:
            return 403, cross_site, []
        if self.access_tokens and not self.token_valid(headers.get(b"authorization", b"")):
            return 401, "this server needs an access token for changes: send Authorization: Bearer <token>", [
                (b"www-authenticate", b"Bearer")
            ]
        return None

    def host_allowed(self, host: str) -> bool:
        """Whether the ``Host`` header's name (without its port) is allowed."""
        return self.any_host or host_name(host) in self.allowed_hosts

    def token_valid(self, authorization: bytes) -> bool:
        """Whether ``Authorization`` carries one of the tokens (compared in constant time)."""
        scheme, _, token = authorization.partition(b" ")
        if scheme.lower() != b"bearer" or not token.strip():
            return False
        token = token.strip()
        return any(hmac.compare_digest(token, expected) for expected in self.access_tokens)


def host_name(host: str) -> str:
    """The name of a ``Host`` header value: ``[::1]:8000`` → ``::1``, ``Example.org:80`` → ``example.org``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def cross_site_problem(headers: dict[bytes, bytes], host: str) -> str | None:
    """Why a browser's request came from another site or origin, or None if it did not
    (requests without these headers come from programs, not from a page in a browser)."""
    fetch_site = headers.get(b"sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in SAME_SITE_FETCHES:
        return f"cross-site request refused (Sec-Fetch-Site: {fetch_site.decode('latin-1')})"
    origin = headers.get(b"origin")
    if origin is not None and origin_address(origin.decode("latin-1")) != without_default_port(host):
        return f"cross-origin request refused: Origin {origin.decode('latin-1')!r} is not this server ({host!r})"
    return None


def origin_address(origin: str) -> str | None:
    """``host[:port]`` of an ``Origin`` header (None for ``null`` or garbage)."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return None
    return without_default_port(parts.netloc) if parts.scheme and parts.netloc else None


def without_default_port(address: str) -> str:
    """``address`` lower-cased, without a default port: ``Example.org:80`` → ``example.org``."""
    address = address.strip().lower()
    for suffix in DEFAULT_PORT_SUFFIXES:
        if address.endswith(suffix):
            return address[: -len(suffix)]
    return address


async def send_json_refusal(send, status: int, detail: str | list, headers: list[tuple[bytes, bytes]] = ()) -> None:
    """Answer ``status`` with a JSON ``detail`` from ASGI middleware (no app behind it runs)."""
    payload = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": payload})
