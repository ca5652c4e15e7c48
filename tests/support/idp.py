"""A real identity provider on loopback, for tests (DESIGN "Testing").

:class:`KeyRing` holds signing keys and mints tokens with PyJWT (no server needed);
:class:`LoopbackIdP` serves a key ring over HTTP(S) with uvicorn in a background thread:

- ``GET /.well-known/openid-configuration`` → ``{"issuer", "jwks_uri"}``
- ``GET /jwks`` → the JWK Set of its keys (plus ``extra_jwks``), with ``Cache-Control``

and knobs a test flips while it runs (:meth:`LoopbackIdP.reset` restores them): ``mode`` (``"ok"``, ``"down"`` = 503, ``"close"``
= connection dropped mid-body, ``"hang"`` = sleep ``hang_seconds`` first, ``"garbage"``
= non-JSON 200, ``"oversized"`` = 2 MiB with Content-Length, ``"oversized-stream"`` =
2 MiB chunked), ``cache_control``, keys (:meth:`KeyRing.add`, :meth:`KeyRing.rotate`,
:meth:`KeyRing.remove`), ``discovery`` overrides; ``requests`` counts every request by
path (any path — so a second instance can stand in for an attacker's server and prove it
was never called). ``tls=True`` serves HTTPS with a ``trustme`` CA whose PEM is
``ca_pem``. Usable as ``with LoopbackIdP() as idp:`` and ``async with``.

Example::

    with LoopbackIdP() as idp:
        kid = idp.keys.add("ES256")
        token = idp.mint({"iss": idp.issuer, "sub": "alice", "exp": time.time() + 60})
        source = jwks_uri_source(idp.jwks_uri)          # http to loopback is allowed
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import get_default_algorithms
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

_PYJWT = get_default_algorithms()
_CURVES: dict[str, tuple[ec.EllipticCurve, str]] = {
    "ES256": (ec.SECP256R1(), "P-256"),
    "ES384": (ec.SECP384R1(), "P-384"),
    "ES512": (ec.SECP521R1(), "P-521"),
}
OVERSIZED = 2 * 1024 * 1024


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _pyjwt_name(alg: str) -> str:
    return "EdDSA" if alg == "Ed25519" else alg


@dataclass
class SigningKey:
    """A private key with the public JWK the provider publishes for it."""

    kid: str
    alg: str
    private: Any
    jwk: dict[str, Any]

    @property
    def public(self) -> Any:
        return self.private.public_key()


def generate(alg: str, *, bits: int = 2048) -> Any:
    """A fresh private key for ``alg`` (RS*/PS* → RSA, ES* → its curve, EdDSA → Ed25519)."""
    if alg[:2] in ("RS", "PS"):
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if alg in _CURVES:
        return ec.generate_private_key(_CURVES[alg][0])
    if alg in ("EdDSA", "Ed25519"):
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"no key type for {alg}")


def public_jwk(private: Any, **members: Any) -> dict[str, Any]:
    """The public JWK of ``private`` with extra members (``kid``, ``alg``, ``use``…)."""
    if isinstance(private, rsa.RSAPrivateKey):
        jwk = _PYJWT["RS256"].to_jwk(private.public_key(), as_dict=True)
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        jwk = _PYJWT["ES256"].to_jwk(private.public_key(), as_dict=True)
    else:
        jwk = _PYJWT["EdDSA"].to_jwk(private.public_key(), as_dict=True)
    return {**jwk, **{name: value for name, value in members.items() if value is not None}}


class KeyRing:
    """Signing keys and token minting; the newest key signs by default."""

    def __init__(self, algs: Iterable[str] = ()) -> None:
        self.keys: dict[str, SigningKey] = {}
        self.extra_jwks: list[dict[str, Any]] = []
        for alg in algs:
            self.add(alg)

    def add(
        self,
        alg: str = "RS256",
        *,
        kid: str | None = None,
        bits: int = 2048,
        publish_alg: bool = True,
        private: Any = None,
    ) -> str:
        """Add a key (generated unless ``private`` is given); returns its kid."""
        kid = kid or f"{alg.lower()}-{secrets.token_hex(4)}"
        private = private or generate(alg, bits=bits)
        jwk = public_jwk(private, kid=kid, use="sig", alg=alg if publish_alg else None)
        self.keys[kid] = SigningKey(kid, alg, private, jwk)
        return kid

    def rotate(self, alg: str = "RS256") -> str:
        """Replace every key with one new key; returns its kid."""
        self.keys.clear()
        return self.add(alg)

    def remove(self, kid: str) -> None:
        del self.keys[kid]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk for key in self.keys.values()] + list(self.extra_jwks)}

    def newest(self) -> SigningKey:
        return list(self.keys.values())[-1]

    def sign_raw(self, header: bytes, payload: bytes, *, kid: str | None = None) -> str:
        """Sign arbitrary header/payload bytes (e.g. JSON with duplicate members) with the
        header's ``alg`` when PyJWT knows it, else with the key's own algorithm."""
        key = self.keys[kid] if kid else self.newest()
        alg = json.loads(header).get("alg")  # the last duplicate wins, as in json
        signer = _PYJWT.get(_pyjwt_name(str(alg))) or _PYJWT[_pyjwt_name(key.alg)]
        signing_input = f"{b64url(header)}.{b64url(payload)}"
        signature = signer.sign(signing_input.encode(), key.private)
        return f"{signing_input}.{b64url(signature)}"

    def mint(
        self,
        claims: Mapping[str, Any],
        *,
        kid: str | None = None,
        alg: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """A compact JWS of ``claims`` signed by key ``kid`` (default: newest).

        The header is ``{"alg", "typ": "JWT", "kid"}`` updated with ``headers``; a value
        of None removes that member (``headers={"kid": None}`` mints a token without kid).
        ``alg`` overrides the header ``alg`` and the signing algorithm.
        """
        key = self.keys[kid] if kid else self.newest()
        header: dict[str, Any] = {"alg": alg or key.alg, "typ": "JWT", "kid": key.kid}
        header.update(headers or {})
        header = {name: value for name, value in header.items() if value is not None}
        return self.sign_raw(
            json.dumps(header).encode(), json.dumps(dict(claims)).encode(), kid=key.kid
        )


class _DropConnection(Response):
    """Start a response, send part of the body, then fail: uvicorn drops the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"1000")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"keys": [', "more_body": True})
        raise ConnectionAbortedError("dropping the connection on purpose")


async def _oversized_chunks() -> AsyncIterator[bytes]:
    yield b'{"keys": [], "padding": "'
    for _ in range(OVERSIZED // 65536):
        yield b"x" * 65536
    yield b'"}'


class LoopbackIdP:
    """An OpenID provider on 127.0.0.1 serving a :class:`KeyRing` (see module docstring)."""

    def __init__(self, algs: Iterable[str] = ("RS256",), *, tls: bool = False) -> None:
        self.keys = KeyRing(algs)
        self.tls = tls
        self.mode = "ok"
        self.hang_seconds = 10.0
        self.cache_control: str | None = "max-age=300"
        self.discovery: dict[str, Any] = {}  # overrides of the discovery document
        self.requests: Counter[str] = Counter()
        self._stack = ExitStack()
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.ca = trustme.CA() if tls else None
        self.port = 0
        self._initial_keys: dict[str, SigningKey] = {}

    # -- what tests read ------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def jwks_uri(self) -> str:
        return f"{self.url}/jwks"

    @property
    def ca_pem(self) -> str:
        assert self.ca is not None, "LoopbackIdP(tls=True) has a CA"
        return self.ca.cert_pem.bytes().decode()

    @property
    def jwks_requests(self) -> int:
        return self.requests["/jwks"]

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def mint(self, claims: Mapping[str, Any], **options: Any) -> str:
        return self.keys.mint(claims, **options)

    # -- the application ------------------------------------------------------------
    async def _answer(self, document: Mapping[str, Any]) -> Response:
        if self.mode == "hang":
            await asyncio.sleep(self.hang_seconds)
        if self.mode == "down":
            return Response("down", status_code=503)
        if self.mode == "close":
            return _DropConnection()
        if self.mode == "garbage":
            return Response(b"<html>not json{", media_type="application/json")
        if self.mode == "oversized":
            return Response(b" " * OVERSIZED + b"{}", media_type="application/json")
        if self.mode == "oversized-stream":
            return StreamingResponse(_oversized_chunks(), media_type="application/json")
        headers = {"Cache-Control": self.cache_control} if self.cache_control else {}
        return JSONResponse(document, headers=headers)

    async def _discovery(self, request: Request) -> Response:
        document = {"issuer": self.issuer, "jwks_uri": self.jwks_uri, **self.discovery}
        return await self._answer(document)

    async def _jwks(self, request: Request) -> Response:
        return await self._answer(self.keys.jwks())

    def _app(self) -> Any:
        inner = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/jwks", self._jwks),
            ]
        )

        async def counting(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                self.requests[scope["path"]] += 1
            await inner(scope, receive, send)

        return counting

    def reset(self) -> None:
        """Back to the state at :meth:`start` (keys included), so that one running
        provider can serve many tests."""
        self.mode = "ok"
        self.hang_seconds = 10.0
        self.cache_control = "max-age=300"
        self.discovery = {}
        self.keys.keys = dict(self._initial_keys)
        self.keys.extra_jwks = []
        self.requests.clear()

    # -- running --------------------------------------------------------------------
    def start(self) -> LoopbackIdP:
        self._initial_keys = dict(self.keys.keys)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._socket = sock
        options: dict[str, Any] = {}
        if self.ca is not None:
            cert = self.ca.issue_cert("127.0.0.1", "localhost")
            folder = Path(self._stack.enter_context(tempfile.TemporaryDirectory()))
            (folder / "key.pem").write_bytes(cert.private_key_pem.bytes())
            (folder / "cert.pem").write_bytes(b"".join(b.bytes() for b in cert.cert_chain_pems))
            options = {
                "ssl_keyfile": str(folder / "key.pem"),
                "ssl_certfile": str(folder / "cert.pem"),
            }
        config = uvicorn.Config(
            self._app(),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            **options,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the loopback IdP did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._server.force_exit = True  # do not wait for a hanging request
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._stack.close()

    def __enter__(self) -> LoopbackIdP:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> LoopbackIdP:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)
