"""The auth flow's decisions, with httpx's MockTransport and a fake clock (SPEC §6):
cache, refresh at the margin, one retry after a 401, one refresh at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from jwtgate.client import JwtAuthConfig, JwtBearerAuth
from jwtgate.client.tokens import Token
from tests.unit.client.material import private_key

START = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("jwtgate.client.auth.time", fake)
    return fake


def auth(**changes: Any) -> JwtBearerAuth:
    fields: dict[str, Any] = {
        "private_key": private_key("HS256"),
        "algorithm": "HS256",
        "issuer": "my-app",
        "audience": "https://api.example.com",
        "expiry_seconds": 300,
    }
    return JwtBearerAuth(JwtAuthConfig(**{**fields, **changes}))


class Api:
    """Records the credentials it sees; ``refuse(authorization)`` decides a 401."""

    def __init__(self, refuse: Callable[[str], bool] = lambda _: False) -> None:
        self.seen: list[str] = []
        self.bodies: list[bytes] = []
        self.refuse = refuse

    def __call__(self, request: httpx.Request) -> httpx.Response:
        authorization = request.headers["authorization"]
        self.seen.append(authorization)
        self.bodies.append(request.read())
        return httpx.Response(401 if self.refuse(authorization) else 200)

    def client(self, credentials: JwtBearerAuth) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self), auth=credentials)

    async def answer_later(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.01)  # concurrent requests are all in flight at once
        return self(request)

    def async_client(self, credentials: JwtBearerAuth) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.answer_later), auth=credentials)


def test_cached_until_the_margin(clock: Clock) -> None:
    api = Api()
    with api.client(auth()) as client:
        for offset in (0, 269, 271):  # 300 s lifetime: refreshed with under 30 s left
            clock.now = START + offset
            client.get("https://api.example.com/")
    first, second, third = api.seen
    assert first.startswith("Bearer ey") and first == second != third


def test_one_retry_after_a_401(clock: Clock) -> None:
    api = Api(refuse=lambda authorization: not api.seen[:-1])  # only the very first call
    with api.client(auth()) as client:
        response = client.post("https://api.example.com/", content=iter([b"a", b"b"]))
    assert response.status_code == 200
    assert len(api.seen) == 2 and api.seen[0] != api.seen[1]
    assert api.bodies == [b"ab", b"ab"]  # a streamed body is read first, then sent twice


def test_a_second_401_stands(clock: Clock) -> None:
    api = Api(refuse=lambda _: True)
    with api.client(auth()) as client:
        response = client.get("https://api.example.com/")
    assert response.status_code == 401 and len(api.seen) == 2


async def test_fifty_refused_together_refresh_once(clock: Clock) -> None:
    api = Api(refuse=lambda authorization: authorization == api.seen[0])
    async with api.async_client(auth()) as client:
        responses = await asyncio.gather(
            *(client.get("https://api.example.com/") for _ in range(50))
        )
    assert {response.status_code for response in responses} == {200}
    assert len(set(api.seen)) == 2  # the refused token and one replacement


def test_async_locks_per_event_loop(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    """One auth object on two event loops, with contention on each (asyncio.run twice)."""
    refreshes: list[float] = []

    async def slow_refresh(flow: Any, options: Any) -> Token:
        flow.close()
        refreshes.append(clock.now)
        await asyncio.sleep(0.01)  # others queue on the lock meanwhile
        return Token(f"Bearer t{len(refreshes)}", clock.now, clock.now + 300)

    monkeypatch.setattr("jwtgate.client.auth.arun", slow_refresh)
    credentials, api = auth(), Api()

    async def burst() -> None:
        async with api.async_client(credentials) as client:
            await asyncio.gather(*(client.get("https://api.example.com/") for _ in range(20)))

    asyncio.run(burst())
    clock.now += 299  # stale: the second loop refreshes again
    asyncio.run(burst())
    assert len(refreshes) == 2
    assert api.seen == ["Bearer t1"] * 20 + ["Bearer t2"] * 20
