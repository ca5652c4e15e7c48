"""Real servers and tokens for the resource-protection tests.

- :class:`AppServer` runs any ASGI app on uvicorn in a thread (a sample API using
  ``jwtgate.resource``, or the upstream of a proxy route).
- :func:`upstream_app` is that upstream: it streams what it is sent into a hash and
  answers what it saw, or streams a body of a given size, or answers slowly.
- :func:`mint` signs jwtgate access tokens with the running server's own key ring, so
  a test can give a real jwtgate token any claims (expired, another audience, …).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.support.server import ServerThread

CHUNK = 64 * 1024
DISCONNECTED: dict[str, float] = {}
"""``/drip?id=X`` records here when its client (jwtgate) went away."""


class AppServer:
    """uvicorn serving ``app`` on 127.0.0.1 in a background thread."""

    def __init__(self, app: ASGIApp) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_config=None, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> AppServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the app server did not start")
            time.sleep(0.005)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._server.force_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


async def _json(send: Send, document: dict[str, Any], status: int = 200) -> None:
    body = json.dumps(document).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


BLOCK = bytes(range(256)) * (CHUNK // 256)


def chunks(size: int) -> Iterator[bytes]:
    """``size`` bytes of a fixed pattern, 64 KiB at a time, never held whole."""
    for start in range(0, size, CHUNK):
        yield BLOCK[: min(CHUNK, size - start)]


def digest_of(size: int) -> str:
    """The SHA-256 of :func:`chunks`."""
    digest = hashlib.sha256()
    for chunk in chunks(size):
        digest.update(chunk)
    return digest.hexdigest()


async def upstream_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The upstream behind proxy routes; what it does depends on the last path segment:

    - ``…/download?size=N``: :func:`chunks` of N bytes;
    - ``…/slow?seconds=S``: answers after S seconds;
    - ``…/drip?id=X``: 1 KiB every 50 ms for a minute, noting in :data:`DISCONNECTED`
      when the connection goes away;
    - ``…/fail``: answers 503 itself (a proxy passes that on);
    - anything else: reads the body into a SHA-256 and answers what it received —
      method, raw path, query, headers, body length and digest.
    """
    if scope["type"] != "http":
        return
    query = urllib.parse.parse_qs(scope["query_string"].decode())
    last = scope["path"].rstrip("/").rsplit("/", 1)[-1]
    if last == "download":
        size = int(query["size"][0])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for chunk in chunks(size):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if last == "slow":
        await asyncio.sleep(float(query["seconds"][0]))
        await _json(send, {"slow": True})
        return
    if last == "drip":
        await _drip(query["id"][0], receive, send)
        return
    if last == "fail":
        await _json(send, {"upstream": "failed"}, status=503)
        return
    digest, length = hashlib.sha256(), 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        digest.update(chunk)
        length += len(chunk)
        if not message.get("more_body", False):
            break
    await _json(
        send,
        {
            "method": scope["method"],
            "raw_path": scope["raw_path"].decode("latin-1"),
            "query": scope["query_string"].decode("latin-1"),
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
            "length": length,
            "sha256": digest.hexdigest(),
        },
    )


async def _drip(name: str, receive: Receive, send: Send) -> None:
    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        DISCONNECTED[name] = time.monotonic()

    watcher = asyncio.ensure_future(watch())
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for _ in range(1200):
        if watcher.done():
            return
        await send({"type": "http.response.body", "body": b"x" * 1024, "more_body": True})
        await asyncio.sleep(0.05)
    watcher.cancel()
    await send({"type": "http.response.body", "body": b""})


def mint(gate: ServerThread, *, typ: str = "at+jwt", **overrides: Any) -> str:
    """A jwtgate access token signed by ``gate``'s current key: valid unless overridden
    (a None value removes the claim)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": gate.settings.effective_public_url,
        "sub": "host/jwt-apps/tester",
        "aud": gate.settings.effective_public_url,
        "iat": now,
        "exp": now + 300,
        "jti": f"test-{time.monotonic_ns()}",
        "acct": "cucumber",
        "authn": "authn-jwt/myVendor",
    }
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return str(gate.runtime.keyring.sign(claims, typ=typ))


def revoke(gate: ServerThread, token_id: str, expires_at: float) -> None:
    """Revoke through ``gate``'s own revocation list (shared cache first), on its loop."""
    assert gate.loop is not None
    coroutine = gate.runtime.revocations.revoke(token_id, expires_at)
    asyncio.run_coroutine_threadsafe(coroutine, gate.loop).result(timeout=10)
