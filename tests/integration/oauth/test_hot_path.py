"""With warm caches the OAuth endpoints make no database query (DESIGN "Policy": the hot
path reads only the in-memory snapshot, client directory and key caches)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Backend
from tests.integration.oauth.conftest import start_world
from tests.integration.oauth.world import SECRET, World
from tests.support.idp import LoopbackIdP


@pytest.fixture
def quiet_world(backend: Backend, data_dir: Path, idp: LoopbackIdP) -> Iterator[World]:
    yield from start_world(
        backend,
        data_dir,
        idp,
        reload_interval_seconds=10,  # no poll during the measurement
        audit={"flush_interval_seconds": 60},  # audit writes happen off the request path
    )


def one_round(world: World) -> None:
    secret_app = {"client_id": "secret-app", "client_secret": SECRET}
    basic = base64.b64encode(f"secret-app:{SECRET}".encode()).decode()
    assert world.bearer_grant(world.cert_assertion()).status_code == 200
    assert world.bearer_grant(world.idp_assertion()).status_code == 200
    assert world.bearer_grant(world.idp.mint(world.claims(iss="remote-app"))).status_code == 200
    fields = world.client_assertion_fields(world.ec_assertion())
    assert world.post(data={"grant_type": "client_credentials", **fields}).status_code == 200
    token = world.post(
        data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    ).json()["access_token"]
    assert world.post("/oauth/introspect", data={"token": token, **secret_app}).json()["active"]
    assert world.post("/oauth/revoke", data={"token": token, **secret_app}).status_code == 200
    assert world.bearer_grant("garbage").status_code == 400


def test_warm_oauth_requests_make_no_database_query(quiet_world: World) -> None:
    one_round(quiet_world)  # warms the JWKS caches
    database = quiet_world.runtime.database
    before = database.query_count
    for _ in range(10):
        one_round(quiet_world)
    assert database.query_count == before
    assert quiet_world.runtime.audit.pending >= 80  # every decision was recorded, not lost
