"""RFC 7662 introspection, RFC 7009 revocation and RFC 8414 metadata (SPEC §2.3)."""

from __future__ import annotations

import base64

import jwt

from tests.integration.oauth.world import SECRET, World, refused, rsa_key

CC = {"grant_type": "client_credentials"}
SECRET_APP = {"client_id": "secret-app", "client_secret": SECRET}


def token_of_secret_app(world: World) -> str:
    response = world.post(data={**CC, **SECRET_APP})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_introspection_of_an_active_token(world: World) -> None:
    token = token_of_secret_app(world)
    response = world.post("/oauth/introspect", data={"token": token, **SECRET_APP})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert body == {
        "active": True,
        "scope": "read write",
        "client_id": "secret-app",
        "sub": "secret-app",
        "exp": claims["exp"],
        "iat": claims["iat"],
        "iss": world.public_url,
        "aud": world.public_url,
        "jti": claims["jti"],
        "token_type": "Bearer",
    }


def test_introspection_by_another_client_with_private_key_jwt(world: World) -> None:
    """A resource server introspects tokens issued to others; Authlib's private_key_jwt
    names the endpoint it calls as ``aud``."""
    token = token_of_secret_app(world)
    assertion = world.ec_assertion(aud=f"{world.public_url}/oauth/introspect")
    data = {"token": token, **world.client_assertion_fields(assertion)}
    assert world.post("/oauth/introspect", data=data).json()["active"] is True
    elsewhere = world.ec_assertion(aud=f"{world.public_url}/oauth/revoke")
    data = {"token": token, **world.client_assertion_fields(elsewhere)}
    refused(world.post("/oauth/introspect", data=data), 401, "invalid_client", "wrong_audience")


def test_introspection_of_anything_else_is_inactive(world: World) -> None:
    forged = jwt.encode({"iss": world.public_url, "exp": 9999999999}, rsa_key(), algorithm="RS256")
    for token in ("not-a-token", forged, world.cert_assertion()):
        response = world.post("/oauth/introspect", data={"token": token, **SECRET_APP})
        assert response.json() == {"active": False}


def test_introspection_needs_client_authentication(world: World) -> None:
    token = token_of_secret_app(world)
    refused(
        world.post("/oauth/introspect", data={"token": token}),
        401,
        "invalid_client",
        "invalid_client",
    )
    wrong = {"token": token, "client_id": "secret-app", "client_secret": "nope"}
    refused(world.post("/oauth/introspect", data=wrong), 401, "invalid_client", "unknown_identity")


def test_introspection_needs_a_token(world: World) -> None:
    refused(
        world.post("/oauth/introspect", data=SECRET_APP), 400, "invalid_request", "invalid_request"
    )


def test_revocation(world: World) -> None:
    token = token_of_secret_app(world)
    with world.client() as client:
        assert (
            client.get("/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        )
    value = base64.b64encode(f"secret-app:{SECRET}".encode()).decode()
    response = world.post(
        "/oauth/revoke",
        data={"token": token, "token_type_hint": "access_token"},
        headers={"Authorization": f"Basic {value}"},
    )
    assert response.status_code == 200, response.text
    assert response.content == b""
    introspected = world.post("/oauth/introspect", data={"token": token, **SECRET_APP})
    assert introspected.json() == {"active": False}
    with world.client() as client:
        whoami = client.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert whoami.status_code == 401
    assert whoami.json()["reason"] == "revoked"
    again = world.post("/oauth/revoke", data={"token": token, **SECRET_APP})
    assert again.status_code == 200


def test_revoking_another_clients_token_is_refused_and_changes_nothing(world: World) -> None:
    token = token_of_secret_app(world)
    fields = world.client_assertion_fields(
        world.ec_assertion(aud=f"{world.public_url}/oauth/revoke")
    )
    response = world.post("/oauth/revoke", data={"token": token, **fields})
    description = refused(response, 400, "unauthorized_client", "unauthorized_client")
    assert "jwks-app" in description
    introspected = world.post("/oauth/introspect", data={"token": token, **SECRET_APP})
    assert introspected.json()["active"] is True


def test_revoking_an_unknown_or_invalid_token_is_fine(world: World) -> None:
    for token in ("unknown", world.cert_assertion()):
        assert world.post("/oauth/revoke", data={"token": token, **SECRET_APP}).status_code == 200


def test_revocation_needs_client_authentication_and_a_token(world: World) -> None:
    token = token_of_secret_app(world)
    refused(
        world.post("/oauth/revoke", data={"token": token}), 401, "invalid_client", "invalid_client"
    )
    refused(world.post("/oauth/revoke", data=SECRET_APP), 400, "invalid_request", "invalid_request")
    introspected = world.post("/oauth/introspect", data={"token": token, **SECRET_APP})
    assert introspected.json()["active"] is True


def test_metadata(world: World) -> None:
    with world.client() as client:
        documents = [
            client.get(path).json()
            for path in (
                "/.well-known/oauth-authorization-server",
                "/.well-known/openid-configuration",
            )
        ]
    assert documents[0] == documents[1]
    document = documents[0]
    base = world.public_url
    assert document["issuer"] == base
    assert document["token_endpoint"] == f"{base}/oauth/token"
    assert document["introspection_endpoint"] == f"{base}/oauth/introspect"
    assert document["revocation_endpoint"] == f"{base}/oauth/revoke"
    assert document["jwks_uri"] == f"{base}/.well-known/jwks.json"
    assert document["grant_types_supported"] == [
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "client_credentials",
        "urn:example:params:oauth:grant-type:gateway-jwt",
    ]
    assert set(document["token_endpoint_auth_methods_supported"]) == {
        "private_key_jwt",
        "client_secret_basic",
        "client_secret_post",
    }
    assert "RS256" in document["token_endpoint_auth_signing_alg_values_supported"]
    assert "none" not in document["token_endpoint_auth_signing_alg_values_supported"]
    assert document["response_types_supported"] == []
