"""Dependencies down (SPEC §2.5): 503 ``temporarily_unavailable`` with ``Retry-After``,
never an error that blames the assertion, and nothing is burned or changed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from jwtgate.cache import CacheUnavailable
from tests.integration.oauth.world import SECRET, World

SECRET_APP = {"client_id": "secret-app", "client_secret": SECRET}


async def broken(*_: Any) -> Any:
    raise CacheUnavailable("connection refused (test)")


def test_keys_that_cannot_be_fetched(fresh_world: World) -> None:
    fresh_world.idp.mode = "down"
    response = fresh_world.bearer_grant(fresh_world.idp.mint(fresh_world.claims(iss="remote-app")))
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    body = response.json()
    assert body["error"] == "temporarily_unavailable"
    assert body["error_description"].startswith("token_unprocessable: ")
    assert "client remote-app" in body["error_description"]


def test_a_shared_cache_that_is_down_fails_closed(
    fresh_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assertion = fresh_world.cert_assertion()
    with monkeypatch.context() as patch:
        patch.setattr(fresh_world.runtime.cache, "add_once", broken)
        response = fresh_world.bearer_grant(assertion, format="xml")
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert ET.fromstring(response.content).findtext("error") == "temporarily_unavailable"
    assert fresh_world.bearer_grant(assertion).status_code == 200  # not burned


def test_a_revocation_that_cannot_be_shared_is_refused(
    fresh_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = fresh_world.post(data={"grant_type": "client_credentials", **SECRET_APP}).json()[
        "access_token"
    ]
    with monkeypatch.context() as patch:
        patch.setattr(fresh_world.runtime.cache, "revoke", broken)
        response = fresh_world.post("/oauth/revoke", data={"token": token, **SECRET_APP})
        assert response.status_code == 503
        assert response.json()["error"] == "temporarily_unavailable"
    introspected = fresh_world.post("/oauth/introspect", data={"token": token, **SECRET_APP})
    assert introspected.json()["active"] is True
