"""The client SDK against jwtgate's own token endpoint: mint → exchange → protected route."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jwtgate.client import JwtAuthConfig, JwtBearerAuth, exchange
from tests.integration.oauth.world import World, private_pem
from tests.support.idp import public_jwk


@pytest.mark.parametrize("algorithm", ["RS256", "PS256"])
def test_jwt_bearer_auth_reaches_whoami(world: World, algorithm: str) -> None:
    config = JwtAuthConfig(
        private_key=private_pem(world.cert_key),
        algorithm=algorithm,
        issuer="SampleConfidentialApp",
        subject="user-sdk",
        audience=world.token_url,
        token_url=world.token_url,
    )
    with httpx.Client(auth=JwtBearerAuth(config), base_url=world.url, timeout=10) as client:
        first = client.get("/whoami")
        second = client.get("/whoami")  # the cached token, no second exchange
    assert first.status_code == 200, first.text
    assert first.json()["username"] == "user-sdk"
    assert first.json()["scope"] == "read"
    assert second.json()["token_issued_at"] == first.json()["token_issued_at"]


def test_client_credentials_with_private_key_jwt(world: World) -> None:
    config = JwtAuthConfig(
        private_key=private_pem(world.ec_key),
        algorithm="ES256",
        issuer="jwks-app",
        subject="jwks-app",
        audience=world.token_url,
        headers={"kid": "ec-1"},
        token_url=world.token_url,
        grant_type="client_credentials",
        client_id="jwks-app",
        client_auth_method="private_key_jwt",
    )
    answer = exchange(config)
    claims = jwt.decode(answer.access_token, options={"verify_signature": False})
    assert claims["client_id"] == "jwks-app"
    assert claims["aud"] == ["https://api.example"]


def test_eddsa_client_registered_through_the_admin_api(world: World) -> None:
    key = Ed25519PrivateKey.generate()
    client_id = "ed-app"  # one world per backend, so the id is free
    jwks = {"keys": [public_jwk(key, kid="ed-1", use="sig", alg="EdDSA")]}
    with world.admin() as admin:
        added = admin.post(
            "/admin/clients",
            json={
                "id": client_id,
                "account": "cucumber",
                "jwks": jwks,
                "grant_types": ["jwt-bearer"],
                "scopes": ["read"],
            },
        )
    assert added.status_code == 201, added.text
    config = JwtAuthConfig(
        private_key=private_pem(key),
        algorithm="EdDSA",
        issuer=client_id,
        subject=client_id,
        audience=world.token_url,
        headers={"kid": "ed-1"},
        token_url=world.token_url,
    )

    def whoami() -> httpx.Response:
        with httpx.Client(auth=JwtBearerAuth(config), base_url=world.url, timeout=10) as client:
            return client.get("/whoami")

    response = whoami()
    for _ in range(40):  # the registry reaches the serving snapshot within 2 s
        if response.status_code == 200:
            break
        time.sleep(0.05)
        response = whoami()
    assert response.status_code == 200, response.text
    assert response.json()["username"] == client_id
