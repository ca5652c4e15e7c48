"""``jwtgate.resource`` in-process (SPEC §2.4): rules, middleware and dependency.

Tokens are signed here with static keys (``public_keys``); the same package against a
running jwtgate and a real identity provider is in tests/integration/resources.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request

import jwtgate.resource
from jwtgate.errors import AuthError, ErrorCode
from jwtgate.resource import JwtgateMiddleware, TokenRefused, TokenRules, require_token
from tests.support.idp import KeyRing

ISSUER = "https://idp.example"
KEYS = KeyRing(["RS256"])


def rules(**overrides: Any) -> TokenRules:
    options: dict[str, Any] = {"issuer": ISSUER, "public_keys": KEYS.jwks(), "audience": "reports"}
    return TokenRules(**{**options, **overrides})


def token(**overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "reports", "sub": "ci-7", "iat": now, "exp": now + 60}
    claims.update(overrides)
    return KEYS.mint({name: value for name, value in claims.items() if value is not None})


def bearer(value: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {value}"}


def protected_app() -> FastAPI:
    checked = rules()
    app = FastAPI()
    app.add_middleware(
        JwtgateMiddleware, rules=checked, scopes=["read"], exclude=["/healthz", "/public/"]
    )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/public/{rest:path}")
    async def public(rest: str) -> dict[str, str]:
        return {"public": rest}

    @app.get("/{rest:path}")
    async def data(request: Request) -> dict[str, Any]:
        return dict(request.state.claims)

    return app


def dependency_app() -> FastAPI:
    app = FastAPI()
    required = require_token(rules(), scopes=["read"])

    @app.get("/data")
    async def data(claims: dict[str, Any] = Depends(required)) -> dict[str, Any]:
        return claims

    return app


@pytest.fixture
async def middleware_client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=protected_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


@pytest.fixture
async def dependency_client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=dependency_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


def test_exported_members() -> None:
    assert sorted(jwtgate.resource.__all__) == [
        "JwtgateMiddleware",
        "TokenRefused",
        "TokenRules",
        "require_token",
    ]


async def test_middleware_puts_claims_on_request_state(
    middleware_client: httpx.AsyncClient,
) -> None:
    response = await middleware_client.get("/data", headers=bearer(token(scope="read")))
    assert response.status_code == 200
    assert response.json()["sub"] == "ci-7"
    lower = await middleware_client.get("/data", headers=bearer(token(scp=["read"]), "bearer"))
    assert lower.status_code == 200


async def test_middleware_refusals(middleware_client: httpx.AsyncClient) -> None:
    missing = await middleware_client.get("/data", params={"access_token": token(scope="read")})
    assert (missing.status_code, missing.json()["error"]) == (401, "token_missing")
    assert missing.headers["www-authenticate"] == 'Bearer realm="jwtgate"'
    assert len(missing.json()["request_id"]) == 32  # its own id outside jwtgate
    expired = await middleware_client.get("/data", headers=bearer(token(exp=1, iat=None)))
    assert expired.json()["error"] == "token_expired"
    audience = await middleware_client.get("/data", headers=bearer(token(aud="other")))
    assert (audience.json()["error"], audience.json()["reason"]) == (
        "token_invalid",
        "wrong_audience",
    )
    no_scope = await middleware_client.get("/data", headers=bearer(token()))
    assert no_scope.status_code == 403
    assert no_scope.headers["www-authenticate"].endswith('error="insufficient_scope", scope="read"')
    basic = await middleware_client.get("/data", headers=bearer("dXNlcjpwdw==", "Basic"))
    assert basic.json()["error"] == "token_missing"


async def test_conjur_token_form(middleware_client: httpx.AsyncClient) -> None:
    protected, payload, signature = token(scope="read").split(".")
    document = {"protected": protected, "payload": payload, "signature": signature}
    encoded = base64.b64encode(json.dumps(document).encode()).decode()
    response = await middleware_client.get(
        "/data", headers={"Authorization": f'Token token="{encoded}"'}
    )
    assert response.status_code == 200


async def test_excluded_paths(middleware_client: httpx.AsyncClient) -> None:
    assert (await middleware_client.get("/healthz")).status_code == 200
    assert (await middleware_client.get("/public/a/b")).json() == {"public": "a/b"}
    assert (await middleware_client.get("/healthz/x")).status_code == 401
    assert (await middleware_client.get("/publicity")).status_code == 401


async def test_dependency_returns_claims_and_renders_jwtgate_errors(
    dependency_client: httpx.AsyncClient,
) -> None:
    ok = await dependency_client.get("/data", headers=bearer(token(scope="read write")))
    assert (ok.status_code, ok.json()["sub"]) == (200, "ci-7")
    for _ in range(2):  # the handler is registered once and keeps working
        refused = await dependency_client.get("/data", headers=bearer(token(iss="https://evil")))
        assert refused.status_code == 401
        assert set(refused.json()) == {"error", "reason", "error_description", "request_id"}
        assert refused.json()["reason"] == "wrong_issuer"
        assert refused.headers["www-authenticate"].endswith('"token_invalid: wrong_issuer"')
    no_scope = await dependency_client.get("/data", headers=bearer(token()))
    assert (no_scope.status_code, no_scope.json()["error"]) == (403, "insufficient_scope")


def test_token_refused_is_an_http_exception_with_the_challenge() -> None:
    refused = TokenRefused(AuthError(ErrorCode.TOKEN_MISSING, "send a token"))
    assert refused.status_code == 401
    assert refused.headers == {"WWW-Authenticate": 'Bearer realm="jwtgate"'}
    assert refused.response.status_code == 401


async def test_static_keys_without_a_usable_key_are_unprocessable() -> None:
    empty = TokenRules(issuer=ISSUER, public_keys={"keys": []}, audience="reports")
    with pytest.raises(AuthError) as raised:
        await empty.verify(token())
    assert raised.value.code == ErrorCode.TOKEN_UNPROCESSABLE
    await empty.aclose()


def test_rules_follow_the_event_loop() -> None:
    """Built at import time, used by one loop and then another (an app per test)."""
    checked = rules()
    for _ in range(2):
        verified = asyncio.run(checked.verify(token()))
        assert verified.claims["sub"] == "ci-7"


async def test_memory_cache_is_accepted_and_closed() -> None:
    checked = rules(cache_url="memory://")
    assert (await checked.verify(token())).claims["sub"] == "ci-7"
    await checked.aclose()
    await checked.aclose()  # idempotent


def test_for_jwtgate() -> None:
    own = TokenRules.for_jwtgate("http://127.0.0.1:8080")
    assert own.rules.issuer == "http://127.0.0.1:8080"
    assert own.rules.audience == ("http://127.0.0.1:8080",)
    assert own.rules.token_type == "at+jwt"
    assert own.rules.algorithms == {"ES256", "RS256", "EdDSA"}
    other = TokenRules.for_jwtgate("https://auth.example/", audience=["https://api.example"])
    assert other.rules.audience == ("https://api.example",)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"public_keys": None}, "exactly one of"),
        ({"jwks_uri": "https://idp.example/jwks"}, "exactly one of"),
        ({"public_keys": None, "jwks_uri": "http://idp.example/jwks"}, "http"),
        ({"public_keys": {"no": "keys"}}, "JWK Set"),
        ({"issuer": None}, "issuer is required"),
        ({"audience": []}, "audience"),
        ({"audience": [""]}, "audience"),
        ({"algorithms": ["HS256"]}, "algorithms"),
        ({"algorithms": ["none"]}, "algorithms"),
        ({"algorithms": "RS256"}, "algorithms"),
        ({"algorithms": []}, "algorithms"),
        ({"leeway_seconds": 301}, "leeway"),
        ({"leeway_seconds": -1}, "leeway"),
        ({"cache_url": "unix:///tmp/redis.sock"}, "scheme"),
    ],
)
def test_bad_rules_are_refused_when_built(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rules(**options)


def test_provider_uri_supplies_the_issuer() -> None:
    discovered = TokenRules(provider_uri="https://idp.example", audience="reports")
    assert discovered.rules.issuer is None


def test_bad_scopes_are_refused_when_built() -> None:
    with pytest.raises(ValueError, match="scope-token"):
        JwtgateMiddleware(FastAPI(), rules=rules(), scopes=['a"b'])
    with pytest.raises(ValueError, match="scope-token"):
        require_token(rules(), scopes=["two words"])
