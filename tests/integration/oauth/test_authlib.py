"""Real clients, unmodified (issue 5 acceptance): Authlib's OAuth 2 client for httpx gets
tokens with ``client_credentials`` + ``private_key_jwt`` and with the JWT bearer grant,
then uses them on jwtgate's own API, introspects and revokes them."""

from __future__ import annotations

import warnings

import pytest
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.integrations.base_client import OAuthError
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import ECKey, RSAKey

from tests.integration.oauth.world import World, private_pem

with warnings.catch_warnings():  # "the httpx module is deprecated" (Authlib 1.7+), on import
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import (
        AssertionClient,
        AsyncOAuth2Client,
        OAuth2Client,
    )


def test_client_credentials_with_private_key_jwt(world: World) -> None:
    with OAuth2Client(
        "SampleConfidentialApp",
        private_pem(world.cert_key),
        token_endpoint_auth_method="private_key_jwt",
        revocation_endpoint_auth_method="private_key_jwt",
        scope="read write",
    ) as client:
        client.register_client_auth_method(PrivateKeyJWT(world.token_url))
        token = client.fetch_token(world.token_url, grant_type="client_credentials")
        assert token["token_type"] == "Bearer"
        assert token["scope"] == "read write"
        whoami = client.get(f"{world.public_url}/whoami")
        assert whoami.status_code == 200, whoami.text
        assert whoami.json()["scope"] == "read write"
        introspected = client.introspect_token(
            f"{world.public_url}/oauth/introspect", token=token["access_token"]
        )
        assert introspected.json()["active"] is True
        revoked = client.revoke_token(
            f"{world.public_url}/oauth/revoke", token=token["access_token"]
        )
        assert revoked.status_code == 200, revoked.text
        assert client.get(f"{world.public_url}/whoami").status_code == 401


async def test_async_client_credentials_with_an_ec_key_and_kid(world: World) -> None:
    key = ECKey.import_key(private_pem(world.ec_key), {"kid": "ec-1"})
    async with AsyncOAuth2Client(
        "jwks-app", key, token_endpoint_auth_method="private_key_jwt"
    ) as client:
        client.register_client_auth_method(
            PrivateKeyJWT(world.token_url, alg="ES256", headers={"kid": "ec-1"})
        )
        token = await client.fetch_token(world.token_url, grant_type="client_credentials")
    assert token["scope"] == "read"
    assert token["expires_in"] == 3600


def test_jwt_bearer_grant_with_the_assertion_client(world: World) -> None:
    with AssertionClient(
        token_endpoint=world.token_url,
        issuer="SampleConfidentialApp",
        subject="user-7",
        audience=world.token_url,
        key=RSAKey.import_key(private_pem(world.cert_key)),
        header={"alg": "RS256"},
        expires_in=300,  # max_assertion_lifetime (Authlib's default is an hour)
        scope="write",
    ) as client:
        whoami = client.get(f"{world.public_url}/whoami")
        assert whoami.status_code == 200, whoami.text
        assert whoami.json()["username"] == "user-7"
        assert client.token["scope"] == "write"


def test_jwt_bearer_grant_of_a_trusted_issuer(world: World) -> None:
    signing = world.idp.keys.newest()
    with AssertionClient(
        token_endpoint=world.token_url,
        issuer=world.idp.issuer,
        subject="svc-deploy",
        audience=world.public_url,
        key=RSAKey.import_key(private_pem(signing.private)),
        header={"alg": "RS256", "kid": signing.kid},
        expires_in=120,
    ) as client:
        assert client.get(f"{world.public_url}/whoami").json()["username"] == "svc-deploy"


def test_authlib_sees_the_refusal(world: World) -> None:
    with (
        AssertionClient(
            token_endpoint=world.token_url,
            issuer="SampleConfidentialApp",
            subject="user-7",
            audience=world.token_url,
            key=RSAKey.import_key(private_pem(world.cert_key)),
            header={"alg": "RS256"},  # Authlib's default lifetime, 3600 s: over the 300 s bound
        ) as client,
        pytest.raises(OAuthError) as refused,
    ):
        client.refresh_token()
    assert refused.value.error == "invalid_grant"
    assert str(refused.value.description).startswith("claim_mismatch: ")
