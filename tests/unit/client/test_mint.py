"""Minting (SPEC §6, RFC 7523 §3): every algorithm, checked by joserfc, not PyJWT."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt

from jwtgate.client import JwtAuthConfig, mint
from jwtgate.client.mint import mint_client_assertion
from tests.unit.client.material import ALGORITHMS, private_key, verifying_key

# joserfc warns that RFC 9864 deprecates the name EdDSA; SPEC §6 uses that name.
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


def config(algorithm: str = "ES256", **changes: Any) -> JwtAuthConfig:
    fields: dict[str, Any] = {
        "private_key": private_key(algorithm),
        "algorithm": algorithm,
        "issuer": "my-app",
        "subject": "alice",
        "audience": "https://auth.example.com/oauth/token",
        "expiry_seconds": 120,
    }
    return JwtAuthConfig(**{**fields, **changes})


def verify(token: str, settings: JwtAuthConfig) -> jwt.Token:
    key = verifying_key(settings.algorithm, settings.private_key)
    return jwt.decode(token, key, algorithms=[settings.algorithm])


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_each_algorithm_verifies_with_joserfc(algorithm: str) -> None:
    settings = config(
        algorithm,
        headers={"kid": "key-1", "typ": "JWT"},
        additional_claims={"scope": "read", "tenant": {"id": 7}},
    )
    before = int(time.time())
    token = verify(mint(settings), settings)
    assert token.header == {"alg": algorithm, "kid": "key-1", "typ": "JWT"}
    claims = token.claims
    assert (claims["iss"], claims["sub"], claims["aud"]) == (
        "my-app",
        "alice",
        "https://auth.example.com/oauth/token",
    )
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] - claims["iat"] == 120
    assert claims["scope"] == "read" and claims["tenant"] == {"id": 7}
    jwt.JWTClaimsRegistry(exp={"essential": True}, jti={"essential": True}).validate(claims)


def test_a_signature_by_another_key_fails() -> None:
    settings = config("HS256")
    other = config("HS256")  # a fresh secret
    with pytest.raises(Exception, match="signature"):
        verify(mint(other), settings)


def test_jti_is_unique() -> None:
    settings = config("HS256")
    jtis = {verify(mint(settings), settings).claims["jti"] for _ in range(1000)}
    assert len(jtis) == 1000


def test_times_follow_now_and_optional_claims_stay_out() -> None:
    settings = config("ES256", subject=None, audience=["a", "b"], expiry_seconds=60)
    claims = jwt.decode(
        mint(settings, now=1_700_000_000.9), verifying_key("ES256", settings.private_key)
    ).claims
    assert (claims["iat"], claims["exp"]) == (1_700_000_000, 1_700_000_060)
    assert claims["aud"] == ["a", "b"] and "sub" not in claims and "nbf" not in claims


def test_client_assertion() -> None:
    settings = config(
        "PS256",
        client_id="my-client",
        client_auth_method="private_key_jwt",
        headers={"kid": "k"},
        additional_claims={"scope": "read"},
    )
    token = verify(mint_client_assertion(settings, "https://as.example/token"), settings)
    assert token.header["kid"] == "k"
    claims = token.claims
    assert claims["iss"] == claims["sub"] == "my-client"
    assert claims["aud"] == "https://as.example/token"
    assert claims["exp"] - claims["iat"] == 120 and "scope" not in claims
