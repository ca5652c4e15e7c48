"""Fixtures for the client SDK's real-HTTP tests: the Authlib token endpoint and API."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jwtgate.client import JwtAuthConfig
from tests.integration.client.loopback import Loopback
from tests.integration.client.oauth_server import Client, TokenServer
from tests.unit.client.material import private_key, verifying_key

MakeConfig = Callable[..., JwtAuthConfig]


def configure(
    server: TokenServer, algorithm: str = "ES256", *, secret: str | None = None, **fields: Any
) -> JwtAuthConfig:
    """Register a client of ``server`` for ``algorithm`` (with ``secret``, a client secret
    too) and return its config; other keywords are JwtAuthConfig fields."""
    client_id = fields.get("client_id") or f"app-{algorithm.lower()}"
    key = private_key(algorithm)
    server.register(Client(client_id, algorithm, verifying_key(algorithm, key), secret))
    options: dict[str, Any] = {
        "private_key": key,
        "algorithm": algorithm,
        "issuer": client_id,
        "subject": "alice",
        "audience": server.token_url,
        "token_url": server.token_url,
    }
    return JwtAuthConfig(**{**options, **fields})


@pytest.fixture
def oauth() -> Iterator[TokenServer]:
    """The Authlib token endpoint and the API behind it, on a loopback port."""
    server = TokenServer()
    with Loopback(server.app()) as running:
        server.url = running.url
        yield server


@pytest.fixture
def make_config(oauth: TokenServer) -> MakeConfig:
    return functools.partial(configure, oauth)
