"""Fixtures: a jwtgate with the OAuth world of :mod:`.world`, on both backends.

``world`` is shared by the tests of one module (one server per backend: the rule tables
are long); it must only be used by tests that leave it as they found it — every
assertion they send has a fresh ``jti``. ``fresh_world`` is a server of one's own.
A module uses one or the other, never both: on PostgreSQL, ``fresh_world`` empties the
database that a module's ``world`` would still be serving from.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Backend, reset_postgres
from tests.integration.oauth.world import ALIAS_GRANT, EXTRA_AUDIENCE, World
from tests.support.idp import LoopbackIdP
from tests.support.server import ServerThread, initialised_settings

OAUTH_SETTINGS = {"assertion_audiences": [EXTRA_AUDIENCE], "grant_type_aliases": [ALIAS_GRANT]}


def start_world(
    backend: Backend, data_dir: Path, idp: LoopbackIdP, **settings: Any
) -> Iterator[World]:
    configured, credential = initialised_settings(
        data_dir,
        database_url=backend.database_url,
        cache_url=backend.cache_url,
        cache_prefix=backend.cache_prefix,
        oauth=OAUTH_SETTINGS,
        **settings,
    )
    with ServerThread(configured, credential) as gate:
        built = World.on(gate, idp)
        built.apply()
        yield built


@pytest.fixture(scope="module")
def module_idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256"]) as running:
        yield running


@pytest.fixture(scope="module", params=["sqlite+memory", "postgresql+redis"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    module_idp: LoopbackIdP,
) -> Iterator[World]:
    if request.param == "sqlite+memory":
        backend = Backend(request.param, None, "memory://")
    else:
        database = request.getfixturevalue("postgres_url")
        reset_postgres(database)
        prefix = f"jwtgate-test-{secrets.token_hex(6)}:"
        backend = Backend(request.param, database, request.getfixturevalue("redis_url"), prefix)
    yield from start_world(backend, tmp_path_factory.mktemp("oauth") / "var", module_idp)


@pytest.fixture
def idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256"]) as running:
        yield running


@pytest.fixture
def fresh_world(backend: Backend, data_dir: Path, idp: LoopbackIdP) -> Iterator[World]:
    yield from start_world(backend, data_dir, idp)
