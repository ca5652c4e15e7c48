"""Caching, expiry-driven refresh, single flight and the retry after a 401, over real
HTTP with httpx (sync and async) and requests (SPEC §6)."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import requests

from jwtgate.client import JwtBearerAuth
from tests.integration.client.conftest import MakeConfig
from tests.integration.client.oauth_server import TokenServer

# joserfc warns that RFC 9864 deprecates the name EdDSA; SPEC §6 uses that name.
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")

CONCURRENT = 50


def bearer_tokens(oauth: TokenServer) -> list[str | None]:
    return [call.authorization for call in oauth.api_calls]


def test_token_is_cached_then_refreshed_before_expiry(
    oauth: TokenServer, make_config: MakeConfig
) -> None:
    oauth.expires_in = 2  # refreshed when less than min(30 s, 0.2 s) remains
    auth = JwtBearerAuth(make_config("ES256"))
    with httpx.Client(auth=auth) as client:
        started = time.time()
        assert client.get(f"{oauth.url}/api/data").status_code == 200
        assert client.get(f"{oauth.url}/api/data").status_code == 200
        assert len(oauth.token_requests) == 1  # cached
        time.sleep(max(0.0, started + 1.85 - time.time()))  # inside the last 0.2 s
        assert client.get(f"{oauth.url}/api/data").status_code == 200
    assert len(oauth.token_requests) == 2
    first, second, third = bearer_tokens(oauth)
    assert first == second != third


def test_fifty_threads_one_exchange(oauth: TokenServer, make_config: MakeConfig) -> None:
    oauth.delay = 0.3  # a slow token endpoint: without single flight, all would ask
    start = threading.Barrier(CONCURRENT)
    with httpx.Client(auth=JwtBearerAuth(make_config("RS256"))) as client:

        def call(_: int) -> int:
            start.wait()
            return client.get(f"{oauth.url}/api/data").status_code

        with ThreadPoolExecutor(CONCURRENT) as pool:
            statuses = list(pool.map(call, range(CONCURRENT)))
    assert statuses == [200] * CONCURRENT
    assert len(oauth.token_requests) == 1
    assert len(set(bearer_tokens(oauth))) == 1


async def test_fifty_tasks_one_exchange(oauth: TokenServer, make_config: MakeConfig) -> None:
    oauth.delay = 0.3
    async with httpx.AsyncClient(auth=JwtBearerAuth(make_config("EdDSA"))) as client:
        responses = await asyncio.gather(
            *(client.get(f"{oauth.url}/api/data") for _ in range(CONCURRENT))
        )
    assert [r.status_code for r in responses] == [200] * CONCURRENT
    assert len(oauth.token_requests) == 1


def test_retry_after_server_side_revocation(oauth: TokenServer, make_config: MakeConfig) -> None:
    with httpx.Client(auth=JwtBearerAuth(make_config("PS256"))) as client:
        assert client.get(f"{oauth.url}/api/data").status_code == 200
        oauth.revoke(next(iter(oauth.tokens)))
        response = client.post(f"{oauth.url}/api/data", content=b"payload")
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert len(oauth.token_requests) == 2
    refused, retried = oauth.api_calls[1:]
    assert refused.authorization != retried.authorization
    assert refused.body == retried.body == b"payload"


async def test_async_retry_after_revocation(oauth: TokenServer, make_config: MakeConfig) -> None:
    async with httpx.AsyncClient(auth=JwtBearerAuth(make_config("ES256"))) as client:
        assert (await client.get(f"{oauth.url}/api/data")).status_code == 200
        oauth.revoke(next(iter(oauth.tokens)))
        assert (await client.get(f"{oauth.url}/api/data")).status_code == 200
    assert len(oauth.token_requests) == 2


def test_retry_only_once(oauth: TokenServer, make_config: MakeConfig) -> None:
    with httpx.Client(auth=JwtBearerAuth(make_config("HS256"))) as client:
        response = client.get(f"{oauth.url}/api/refuse")
    assert response.status_code == 401
    assert len(oauth.api_calls) == 2
    assert len(oauth.token_requests) == 2


def test_the_jwt_itself_without_token_url(oauth: TokenServer, make_config: MakeConfig) -> None:
    config = make_config("ES384", token_url=None, audience=f"{oauth.url}/jwt-api")
    with httpx.Client(auth=JwtBearerAuth(config)) as client:
        response = client.get(f"{oauth.url}/jwt-api/data")
    assert response.status_code == 200, response.text
    assert response.json() == {"sub": "alice", "iss": config.issuer}
    assert oauth.token_requests == []


def test_requests_adapter(oauth: TokenServer, make_config: MakeConfig) -> None:
    auth = JwtBearerAuth(make_config("RS256"))
    with requests.Session() as session:
        session.auth = auth
        first = session.get(f"{oauth.url}/api/data", timeout=10)
        assert first.status_code == 200 and first.json()["sub"] == "alice"
        oauth.revoke(next(iter(oauth.tokens)))
        retried = session.post(f"{oauth.url}/api/data", data=io.BytesIO(b"file body"), timeout=10)
        refused = session.get(f"{oauth.url}/api/refuse", timeout=10)
    assert retried.status_code == 200
    assert [r.status_code for r in retried.history] == [401]
    assert oauth.api_calls[1].body == oauth.api_calls[2].body == b"file body"  # rewound
    assert refused.status_code == 401 and len(refused.history) == 1  # once only
    assert len(oauth.token_requests) == 3


def test_requests_threads_one_exchange(oauth: TokenServer, make_config: MakeConfig) -> None:
    oauth.delay = 0.3
    auth = JwtBearerAuth(make_config("ES256"))
    start = threading.Barrier(CONCURRENT)

    def call(_: int) -> int:
        start.wait()
        return requests.get(f"{oauth.url}/api/data", auth=auth, timeout=10).status_code

    with ThreadPoolExecutor(CONCURRENT) as pool:
        assert list(pool.map(call, range(CONCURRENT))) == [200] * CONCURRENT
    assert len(oauth.token_requests) == 1
