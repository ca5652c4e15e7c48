"""One token, four doors, one answer (SPEC §4): every failure gets the same status, body
code and challenge from jwtgate's ``/authn/check``, from a FastAPI app protected by
``jwtgate.resource`` (the middleware and the dependency) and through a proxy route.

The reasons of ``token_invalid`` that apply to a bearer token are all here; the others
belong to authn-jwt's identity step (``claim_mismatch``, ``unknown_identity``,
``not_permitted`` — a resource has no identity bindings), so no resource can give them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI, Request

from jwtgate.resource import JwtgateMiddleware, TokenRules, require_token
from tests.conftest import Backend
from tests.integration.resources.support import AppServer, mint, revoke, upstream_app
from tests.support.server import ServerThread

SCOPE = "write"
REVOKED_JTI = "revoked-in-the-table"


def middleware_app(rules: TokenRules) -> FastAPI:
    app = FastAPI()
    app.add_middleware(JwtgateMiddleware, rules=rules, scopes=[SCOPE])

    @app.get("/data")
    async def data(request: Request) -> dict[str, Any]:
        return {"sub": request.state.claims["sub"]}

    return app


def dependency_app(rules: TokenRules) -> FastAPI:
    app = FastAPI()
    required = require_token(rules, scopes=[SCOPE])

    @app.get("/data")
    async def data(claims: dict[str, Any] = Depends(required)) -> dict[str, Any]:
        return {"sub": claims["sub"]}

    return app


@pytest.fixture
def doors(server: ServerThread, backend: Backend) -> Iterator[dict[str, str]]:
    """The four URLs, each behind its own real server."""
    public_url = server.settings.effective_public_url

    def rules() -> TokenRules:
        return TokenRules.for_jwtgate(
            public_url, cache_url=backend.cache_url, cache_prefix=backend.cache_prefix
        )

    with (
        AppServer(upstream_app) as upstream,
        AppServer(middleware_app(rules())) as middleware,
        AppServer(dependency_app(rules())) as dependency,
    ):
        route = (
            "account: cucumber\nroutes:\n"
            f"  - {{prefix: /rest/2.0/, upstream: '{upstream.url}/', scopes: [{SCOPE}]}}\n"
        )
        with server.admin() as admin:
            assert admin.post("/admin/policy", content=route).status_code == 200
        yield {
            "check": f"{server.url}/authn/check?scope={SCOPE}",
            "middleware": f"{middleware.url}/data",
            "dependency": f"{dependency.url}/data",
            "proxy": f"{server.url}/rest/2.0/data",
        }


def _flip_signature(token: str) -> str:
    head, payload, signature = token.split(".")
    first = "B" if signature[0] == "A" else "A"
    return f"{head}.{payload}.{first}{signature[1:]}"


def _unsigned(gate: ServerThread) -> str:
    _, payload, _ = mint(gate).split(".")
    return f"eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.{payload}."


def _unknown_key(gate: ServerThread) -> str:
    claims = jwt.decode(mint(gate), options={"verify_signature": False})
    key = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": "ghost", "typ": "at+jwt"})


def _in(seconds: int) -> int:
    return int(time.time()) + seconds


Row = tuple[str, Callable[[ServerThread], str | None], int, str | None, str | None]
ROWS: list[Row] = [
    ("missing", lambda gate: None, 401, "token_missing", None),
    ("malformed", lambda gate: "not.a.jwt", 401, "token_malformed", None),
    ("expired", lambda gate: mint(gate, exp=_in(-60), iat=_in(-400)), 401, "token_expired", None),
    ("bad_signature", lambda gate: _flip_signature(mint(gate)), 401, "token_invalid", "bad_signature"),
    ("wrong_audience", lambda gate: mint(gate, aud="https://elsewhere.example"), 401, "token_invalid", "wrong_audience"),
    ("wrong_issuer", lambda gate: mint(gate, iss="https://evil.example"), 401, "token_invalid", "wrong_issuer"),
    ("wrong_type", lambda gate: mint(gate, typ="JWT"), 401, "token_invalid", "wrong_type"),
    ("disallowed_algorithm", _unsigned, 401, "token_invalid", "disallowed_algorithm"),
    ("not_yet_valid", lambda gate: mint(gate, nbf=_in(3600)), 401, "token_invalid", "not_yet_valid"),
    ("missing_claim", lambda gate: mint(gate, exp=None), 401, "token_invalid", "missing_claim"),
    ("unknown_key", _unknown_key, 401, "token_invalid", "unknown_key"),
    ("revoked", lambda gate: mint(gate, jti=REVOKED_JTI, scope=SCOPE), 401, "token_invalid", "revoked"),
    ("insufficient_scope", lambda gate: mint(gate, scope="read"), 403, "insufficient_scope", None),
]  # fmt: skip


def expected_challenge(code: str | None, reason: str | None) -> str:
    if code == "token_missing":
        return 'Bearer realm="jwtgate"'
    if code == "insufficient_scope":
        return f'Bearer realm="jwtgate", error="insufficient_scope", scope="{SCOPE}"'
    label = f"{code}: {reason}" if reason else code
    return f'Bearer realm="jwtgate", error="invalid_token", error_description="{label}"'


def answers(doors: dict[str, str], token: str | None) -> dict[str, tuple[Any, ...]]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    found = {}
    with httpx.Client(timeout=10) as client:
        for door, url in doors.items():
            response = client.get(url, headers=headers)
            body = response.json() if response.content else {}
            found[door] = (
                response.status_code,
                body.get("error"),
                body.get("reason"),
                response.headers.get("www-authenticate"),
            )
    return found


@pytest.mark.parametrize("backend", ["postgresql+redis"], indirect=True)
def test_every_failure_looks_the_same_at_every_door(
    server: ServerThread, doors: dict[str, str]
) -> None:
    revoke(server, REVOKED_JTI, time.time() + 600)  # in the shared cache every door reads
    for name, make, status, code, reason in ROWS:
        found = answers(doors, make(server))
        expected = (status, code, reason, expected_challenge(code, reason))
        assert found == dict.fromkeys(doors, expected), name
    valid = answers(doors, mint(server, scope=f"read {SCOPE}"))
    assert {door: answer[0] for door, answer in valid.items()} == {
        "check": 204,
        "middleware": 200,
        "dependency": 200,
        "proxy": 200,
    }


def test_unprocessable_looks_the_same_at_every_door(
    server: ServerThread, doors: dict[str, str]
) -> None:
    """No usable key can be had: jwtgate's key set is replaced by one that publishes no
    key (as a store holding only unloadable keys would), so its own verifier and the
    apps fetching its JWKS all have nothing to verify with."""
    token = mint(server, scope=SCOPE)
    runtime = server.runtime
    original = runtime.keyring
    runtime.keyring = dataclasses.replace(original, _jwks=())
    try:
        found = answers(doors, token)
    finally:
        runtime.keyring = original
    expected = (401, "token_unprocessable", None, expected_challenge("token_unprocessable", None))
    assert found == dict.fromkeys(doors, expected)
