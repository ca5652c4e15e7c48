"""Shared fixtures: real PostgreSQL and Redis backends, a real jwtgate server.

PostgreSQL and Redis are required (``make test`` starts them when they are installed):
when unreachable, the tests that need them fail with a message naming the service —
they never skip.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

if TYPE_CHECKING:
    from tests.support.server import ServerThread

PG_ADMIN_URL = os.environ.get(
    "JWTGATE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
).replace("postgresql://", "postgresql+asyncpg://", 1)
REDIS_URL = os.environ.get("JWTGATE_TEST_CACHE_URL", "redis://127.0.0.1:6379/15")


def _reachable(url: str, default_port: int) -> None:
    parts = urllib.parse.urlsplit(url.replace("+asyncpg", ""))
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as error:
        pytest.fail(f"{url} is not reachable ({error}); run `make services`", pytrace=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of our own on the test PostgreSQL, dropped at the end of the session."""
    _reachable(PG_ADMIN_URL, 5432)
    name = f"jwtgate_test_{os.getpid()}_{secrets.token_hex(4)}"

    async def run(statement: str) -> None:
        engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def reset_postgres(url: str) -> None:
    """Empty the test database completely (schema and data) so migrations run afresh."""

    async def run() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(run())


@pytest.fixture(scope="session")
def redis_url() -> str:
    _reachable(REDIS_URL, 6379)
    return REDIS_URL


@dataclass(frozen=True)
class Backend:
    """One storage + cache pairing that the suite runs on."""

    name: str
    database_url: str | None  # None: SQLite in the data directory
    cache_url: str
    cache_prefix: str = "jwtgate:"  # unique per test on Redis, so parallel runs never collide


@pytest.fixture(params=["sqlite+memory", "postgresql+redis"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each test using this runs twice: embedded (SQLite + memory) and shared (PG + Redis)."""
    if request.param == "sqlite+memory":
        return Backend(request.param, None, "memory://")
    database = request.getfixturevalue("postgres_url")
    cache = request.getfixturevalue("redis_url")
    reset_postgres(database)
    return Backend(request.param, database, cache, f"jwtgate-test-{secrets.token_hex(6)}:")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def server(backend: Backend, data_dir: Path) -> Iterator[ServerThread]:
    """A real jwtgate (uvicorn on a free port) on the backend, initialised."""
    from tests.support.server import ServerThread, initialised_settings

    settings, credential = initialised_settings(
        data_dir,
        database_url=backend.database_url,
        cache_url=backend.cache_url,
        cache_prefix=backend.cache_prefix,
    )
    with ServerThread(settings, credential) as running:
        yield running
