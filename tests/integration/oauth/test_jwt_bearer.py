"""RFC 7523 §2.1/§3 JWT bearer grant: every rule of SPEC §2.3 with status, error and the
§4 label that begins the description — against a real server, on both backends."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from tests.integration.oauth.world import (
    ALIAS_GRANT,
    EXTRA_AUDIENCE,
    JWT_BEARER,
    World,
    issued,
    refused,
    rsa_key,
)

Build = Callable[[World], dict[str, str]]


def grant(assertion: Callable[[World], str], **extra: str) -> Build:
    return lambda w: {"grant_type": JWT_BEARER, "assertion": assertion(w), **extra}


def now() -> int:
    return int(time.time())


REFUSED: list[tuple[str, Build, int, str, str]] = [
    (
        "no assertion",
        lambda w: {"grant_type": JWT_BEARER},
        400,
        "invalid_request",
        "invalid_request",
    ),
    ("not a JWT", grant(lambda w: "not-a-jwt"), 400, "invalid_grant", "token_malformed"),
    (
        "string exp",
        grant(lambda w: w.cert_assertion(exp=str(now() + 60))),
        400,
        "invalid_grant",
        "token_malformed",
    ),
    ("no iss", grant(lambda w: w.cert_assertion(iss=None)), 400, "invalid_grant", "missing_claim"),
    (
        "unknown iss",
        grant(lambda w: w.cert_assertion(iss="nobody")),
        400,
        "invalid_grant",
        "unknown_identity",
    ),
    (
        "alg none",
        grant(lambda w: jwt.encode(w.claims(), None, algorithm="none")),
        400,
        "invalid_grant",
        "disallowed_algorithm",
    ),
    (
        "HS256 with the certificate as secret",
        grant(lambda w: jwt.encode(w.claims(), "k" * 32, algorithm="HS256")),
        400,
        "invalid_grant",
        "disallowed_algorithm",
    ),
    (
        "signed by another key",
        grant(lambda w: jwt.encode(w.claims(), rsa_key(), algorithm="RS256")),
        400,
        "invalid_grant",
        "bad_signature",
    ),
    (
        "kid not in the client's JWK Set",
        lambda w: {
            "grant_type": "client_credentials",
            **w.client_assertion_fields(
                jwt.encode(
                    w.claims(iss="jwks-app", sub="jwks-app"),
                    w.ec_key,
                    algorithm="ES256",
                    headers={"kid": "ec-unknown"},
                )
            ),
        },
        401,
        "invalid_client",
        "unknown_key",
    ),
    (
        "expired beyond leeway",
        grant(lambda w: w.cert_assertion(iat=now() - 100, exp=now() - 16)),
        400,
        "invalid_grant",
        "token_expired",
    ),
    ("no exp", grant(lambda w: w.cert_assertion(exp=None)), 400, "invalid_grant", "missing_claim"),
    (
        "exp beyond max_assertion_lifetime + leeway",
        grant(lambda w: w.cert_assertion(iat=None, exp=now() + 300 + 15 + 5)),
        400,
        "invalid_grant",
        "claim_mismatch",
    ),
    (
        "exp - iat over max_assertion_lifetime",
        grant(lambda w: w.cert_assertion(iat=now() - 10, exp=now() + 291)),
        400,
        "invalid_grant",
        "claim_mismatch",
    ),
    (
        "iat in the future beyond leeway",
        grant(lambda w: w.cert_assertion(iat=now() + 30)),
        400,
        "invalid_grant",
        "not_yet_valid",
    ),
    (
        "nbf in the future beyond leeway",
        grant(lambda w: w.cert_assertion(nbf=now() + 30)),
        400,
        "invalid_grant",
        "not_yet_valid",
    ),
    ("no aud", grant(lambda w: w.cert_assertion(aud=None)), 400, "invalid_grant", "missing_claim"),
    (
        "aud of somebody else",
        grant(lambda w: w.cert_assertion(aud="https://elsewhere.example/token")),
        400,
        "invalid_grant",
        "wrong_audience",
    ),
    (
        "aud the introspection endpoint (only client assertions there may)",
        grant(lambda w: w.cert_assertion(aud=f"{w.public_url}/oauth/introspect")),
        400,
        "invalid_grant",
        "wrong_audience",
    ),
    (
        "sub outside the client's subjects",
        grant(lambda w: w.cert_assertion(sub="mallory")),
        400,
        "invalid_grant",
        "not_permitted",
    ),
    (
        "sub not a string",
        grant(lambda w: w.cert_assertion(sub=42)),
        400,
        "invalid_grant",
        "claim_mismatch",
    ),
    (
        "trusted issuer without sub",
        grant(lambda w: w.idp_assertion(sub=None)),
        400,
        "invalid_grant",
        "missing_claim",
    ),
    (
        "trusted issuer, sub outside its subjects",
        grant(lambda w: w.idp_assertion(sub="bob")),
        400,
        "invalid_grant",
        "not_permitted",
    ),
    (
        "client not registered for jwt-bearer",
        grant(lambda w: w.ec_assertion()),
        400,
        "unauthorized_client",
        "unauthorized_client",
    ),
    (
        "scope not registered",
        grant(lambda w: w.cert_assertion(), scope="read admin"),
        400,
        "invalid_scope",
        "invalid_scope",
    ),
    (
        "scope of the trusted issuer not registered",
        grant(lambda w: w.idp_assertion(), scope="delete"),
        400,
        "invalid_scope",
        "invalid_scope",
    ),
    (
        "scope not a scope token",
        grant(lambda w: w.cert_assertion(), scope='read "write"'),
        400,
        "invalid_scope",
        "invalid_scope",
    ),
    (
        "bare client_id other than iss",
        grant(lambda w: w.cert_assertion(), client_id="jwks-app"),
        400,
        "invalid_grant",
        "wrong_issuer",
    ),
]


@pytest.mark.parametrize(
    ("build", "status", "error", "label"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_refused(world: World, build: Build, status: int, error: str, label: str) -> None:
    response = world.post(data=build(world))
    refused(response, status, error, label)
    if status == 401:
        assert response.headers["www-authenticate"] == 'Basic realm="jwtgate"'


ACCEPTED_AUDIENCES: list[Callable[[World], Any]] = [
    lambda w: f"{w.public_url}/oauth/token",
    lambda w: f"{w.public_url}/api/oauth/token",
    lambda w: w.public_url,
    lambda w: EXTRA_AUDIENCE,
    lambda w: ["https://other.example", f"{w.public_url}/oauth/token"],
]


@pytest.mark.parametrize(
    "audience", ACCEPTED_AUDIENCES, ids=["token", "alias", "issuer", "configured", "array"]
)
def test_accepted_audiences(world: World, audience: Callable[[World], Any]) -> None:
    response = world.bearer_grant(world.cert_assertion(aud=audience(world)))
    assert response.status_code == 200, response.text


def test_client_assertion_defaults_sub_to_the_client(world: World) -> None:
    claims = issued(world.bearer_grant(world.cert_assertion()))
    assert claims["sub"] == claims["client_id"] == "SampleConfidentialApp"
    assert claims["scope"] == "read"  # the default scopes


def test_sub_matching_a_subject_glob(world: World) -> None:
    response = world.bearer_grant(world.cert_assertion(sub="user-42"), scope="write read")
    claims = issued(response)
    assert claims["sub"] == "user-42"
    assert claims["client_id"] == "SampleConfidentialApp"
    assert claims["scope"] == response.json()["scope"] == "write read"


def test_trusted_issuer(world: World) -> None:
    response = world.bearer_grant(world.idp_assertion(sub="svc-build"))
    claims = issued(response)
    assert claims["sub"] == "svc-build"
    assert claims["client_id"] == world.idp.issuer
    assert claims["acct"] == "cucumber"
    assert claims["aud"] == world.public_url
    assert claims["scope"] == "read"


def test_client_with_jwks_uri(world: World) -> None:
    assertion = world.idp.mint(world.claims(iss="remote-app"))
    assert world.bearer_grant(assertion).status_code == 200


def test_leeway_on_exp_and_iat(world: World) -> None:
    t = now()
    assert world.bearer_grant(world.cert_assertion(iat=t - 60, exp=t - 10)).status_code == 200
    assert world.bearer_grant(world.cert_assertion(iat=t + 10, exp=t + 300)).status_code == 200


def test_kid_does_not_choose_among_one_certificate(world: World) -> None:
    assertion = world.cert_assertion(headers={"kid": "whatever-the-client-calls-it"})
    assert world.bearer_grant(assertion).status_code == 200


def test_grant_type_alias(world: World) -> None:
    response = world.post(data={"grant_type": ALIAS_GRANT, "assertion": world.cert_assertion()})
    assert response.status_code == 200, response.text
    assert issued(response)["authn"] == JWT_BEARER


def test_bare_client_id_equal_to_iss(world: World) -> None:
    response = world.bearer_grant(world.cert_assertion(), client_id="SampleConfidentialApp")
    assert response.status_code == 200, response.text


def test_client_authentication_with_a_trusted_issuers_assertion(world: World) -> None:
    """A client may present an assertion of its account's trusted issuer; scopes must be
    within both registrations and the token is the client's."""
    response = world.bearer_grant(
        world.idp_assertion(),
        **world.client_assertion_fields(world.cert_client_assertion()),
        scope="read write",
    )
    claims = issued(response)
    assert claims["sub"] == "alice"
    assert claims["client_id"] == "SampleConfidentialApp"
    assert claims["scope"] == "read write"
    mismatch = world.bearer_grant(
        world.idp.mint(world.claims(iss="remote-app")),
        **world.client_assertion_fields(world.cert_client_assertion()),
    )
    refused(mismatch, 400, "invalid_grant", "wrong_issuer")
