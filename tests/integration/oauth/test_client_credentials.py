"""RFC 6749 §4.4 client credentials with every client authentication method of SPEC §2.3
(``private_key_jwt``, ``client_secret_basic``, ``client_secret_post``) and its failures."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.oauth.world import (
    CLIENT_ASSERTION_TYPE,
    SECRET,
    World,
    issued,
    refused,
)

CC = {"grant_type": "client_credentials"}


def basic(client_id: str, secret: str) -> dict[str, str]:
    value = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {value}"}


def test_client_secret_basic(world: World) -> None:
    response = world.post(data=CC, headers=basic("secret-app", SECRET))
    assert response.status_code == 200, response.text
    claims = issued(response)
    assert claims["sub"] == claims["client_id"] == "secret-app"
    assert claims["scope"] == response.json()["scope"] == "read write"  # all registered
    assert claims["authn"] == "client_credentials"


def test_client_secret_basic_is_form_urlencoded_first(world: World) -> None:
    """RFC 6749 §2.3.1: id and secret are form-urlencoded before base64."""
    value = base64.b64encode(f"secret%2Dapp:{SECRET.replace('-', '%2D')}".encode()).decode()
    response = world.post(data=CC, headers={"Authorization": f"Basic {value}"})
    assert response.status_code == 200, response.text


def test_client_secret_post(world: World) -> None:
    data = {**CC, "client_id": "secret-app", "client_secret": SECRET, "scope": "write"}
    assert issued(world.post(data=data))["scope"] == "write"


def test_private_key_jwt_with_a_jwk_set(world: World) -> None:
    response = world.post(data={**CC, **world.client_assertion_fields(world.ec_assertion())})
    claims = issued(response)
    assert claims["sub"] == "jwks-app"
    assert claims["aud"] == ["https://api.example"]  # the registered audience


def test_private_key_jwt_with_a_certificate(world: World) -> None:
    fields = world.client_assertion_fields(world.cert_client_assertion())
    response = world.post(data={**CC, **fields, "client_id": "SampleConfidentialApp"})
    assert issued(response)["client_id"] == "SampleConfidentialApp"


def test_client_assertion_lifetime_is_max_client_assertion_lifetime(world: World) -> None:
    t = int(time.time())
    long_lived = world.ec_assertion(iat=t, exp=t + 3600)
    assert world.post(data={**CC, **world.client_assertion_fields(long_lived)}).status_code == 200
    too_long = world.ec_assertion(iat=None, exp=t + 3600 + 15 + 5)
    response = world.post(data={**CC, **world.client_assertion_fields(too_long)})
    refused(response, 401, "invalid_client", "claim_mismatch")


def test_client_assertion_may_name_the_endpoint_it_is_sent_to(world: World) -> None:
    for aud in (world.public_url, f"{world.public_url}/api/oauth/token"):
        fields = world.client_assertion_fields(world.ec_assertion(aud=aud))
        assert world.post(data={**CC, **fields}).status_code == 200


def test_replayed_client_assertion_is_invalid_client(world: World) -> None:
    data = {**CC, **world.client_assertion_fields(world.ec_assertion())}
    assert world.post(data=data).status_code == 200
    refused(world.post(data=data), 401, "invalid_client", "invalid_client")


Build = Callable[[World], dict[str, Any]]
REFUSED: list[tuple[str, Build, int, str, str]] = [
    ("no client authentication", lambda w: {"data": CC}, 401, "invalid_client", "invalid_client"),
    (
        "client_id alone",
        lambda w: {"data": {**CC, "client_id": "secret-app"}},
        401,
        "invalid_client",
        "invalid_client",
    ),
    (
        "wrong secret (Basic)",
        lambda w: {"data": CC, "headers": basic("secret-app", "wrong")},
        401,
        "invalid_client",
        "unknown_identity",
    ),
    (
        "unknown client (Basic)",
        lambda w: {"data": CC, "headers": basic("nobody", SECRET)},
        401,
        "invalid_client",
        "unknown_identity",
    ),
    (
        "a key client sending a secret",
        lambda w: {"data": {**CC, "client_id": "jwks-app", "client_secret": SECRET}},
        401,
        "invalid_client",
        "unknown_identity",
    ),
    (
        "Basic that is not base64",
        lambda w: {"data": CC, "headers": {"Authorization": "Basic %%%"}},
        401,
        "invalid_client",
        "invalid_client",
    ),
    (
        "two methods: Basic and client_secret",
        lambda w: {
            "data": {**CC, "client_id": "secret-app", "client_secret": SECRET},
            "headers": basic("secret-app", SECRET),
        },
        400,
        "invalid_request",
        "invalid_request",
    ),
    (
        "two methods: client_secret and client_assertion",
        lambda w: {
            "data": {
                **CC,
                "client_id": "jwks-app",
                "client_secret": SECRET,
                **w.client_assertion_fields(w.ec_assertion()),
            }
        },
        400,
        "invalid_request",
        "invalid_request",
    ),
    (
        "client_secret without client_id",
        lambda w: {"data": {**CC, "client_secret": SECRET}},
        400,
        "invalid_request",
        "invalid_request",
    ),
    (
        "client_assertion without its type",
        lambda w: {"data": {**CC, "client_assertion": w.ec_assertion()}},
        400,
        "invalid_request",
        "invalid_request",
    ),
    (
        "unknown client_assertion_type",
        lambda w: {
            "data": {
                **CC,
                "client_assertion_type": "urn:example:saml",
                "client_assertion": w.ec_assertion(),
            }
        },
        400,
        "invalid_request",
        "invalid_request",
    ),
    (
        "client assertion whose sub is not the client",
        lambda w: {"data": {**CC, **w.client_assertion_fields(w.ec_assertion(sub="other"))}},
        401,
        "invalid_client",
        "claim_mismatch",
    ),
    (
        "client assertion without sub",
        lambda w: {"data": {**CC, **w.client_assertion_fields(w.ec_assertion(sub=None))}},
        401,
        "invalid_client",
        "missing_claim",
    ),
    (
        "client_id other than the client assertion's iss",
        lambda w: {
            "data": {
                **CC,
                "client_id": "secret-app",
                **w.client_assertion_fields(w.ec_assertion()),
            }
        },
        401,
        "invalid_client",
        "wrong_issuer",
    ),
    (
        "client assertion of an unknown client",
        lambda w: {
            "data": {**CC, **w.client_assertion_fields(w.ec_assertion(iss="ghost", sub="ghost"))}
        },
        401,
        "invalid_client",
        "unknown_identity",
    ),
    (
        "client assertion for another audience",
        lambda w: {
            "data": {**CC, **w.client_assertion_fields(w.ec_assertion(aud="https://x.example"))}
        },
        401,
        "invalid_client",
        "wrong_audience",
    ),
    (
        "expired client assertion",
        lambda w: {
            "data": {
                **CC,
                **w.client_assertion_fields(
                    w.ec_assertion(iat=int(time.time()) - 100, exp=int(time.time()) - 20)
                ),
            }
        },
        401,
        "invalid_client",
        "token_expired",
    ),
    (
        "client assertion that is not a JWT",
        lambda w: {
            "data": {**CC, "client_assertion_type": CLIENT_ASSERTION_TYPE, "client_assertion": "x"}
        },
        401,
        "invalid_client",
        "token_malformed",
    ),
    (
        "secret client with a client assertion",
        lambda w: {
            "data": {
                **CC,
                **w.client_assertion_fields(w.ec_assertion(iss="secret-app", sub="secret-app")),
            }
        },
        401,
        "invalid_client",
        "unknown_key",
    ),
    (
        "client not registered for client_credentials",
        lambda w: {
            "data": {
                **CC,
                **w.client_assertion_fields(
                    w.idp.mint(w.claims(iss="remote-app", sub="remote-app", aud=w.token_url))
                ),
            }
        },
        400,
        "unauthorized_client",
        "unauthorized_client",
    ),
    (
        "scope not registered",
        lambda w: {"data": {**CC, "scope": "read delete"}, "headers": basic("secret-app", SECRET)},
        400,
        "invalid_scope",
        "invalid_scope",
    ),
]


@pytest.mark.parametrize(
    ("build", "status", "error", "label"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_refused(world: World, build: Build, status: int, error: str, label: str) -> None:
    response = world.post(**build(world))
    refused(response, status, error, label)
    if status == 401:
        assert response.headers["www-authenticate"] == 'Basic realm="jwtgate"'


def test_unknown_client_and_wrong_secret_read_the_same(world: World) -> None:
    unknown = world.post(data=CC, headers=basic("nobody", SECRET)).json()
    wrong = world.post(data=CC, headers=basic("secret-app", "nope")).json()
    assert unknown["error_description"] == wrong["error_description"]
