"""``AuthnJwtAuth``'s parts without a server: the URL, the arguments, reading the
Conjur token (SPEC §2.1, §2.2); tests/integration/client runs it against jwtgate."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from jwtgate.client import AuthnJwtAuth, JwtAuthConfig, JwtAuthConfigError, TokenRequestError
from jwtgate.client.authn_jwt import authenticate_url, read_conjur_token
from tests.unit.client.material import private_key

BASE = "https://jwtgate.example/"


@pytest.mark.parametrize(
    ("host_id", "path"),
    [
        (
            "host/jwt-apps/myapp",
            "/authn-jwt/my%20vendor/cucumber/host%2Fjwt-apps%2Fmyapp/authenticate",
        ),
        ("bob@ops", "/authn-jwt/my%20vendor/cucumber/bob%40ops/authenticate"),
        (None, "/authn-jwt/my%20vendor/cucumber/authenticate"),
    ],
)
def test_url_segments_are_encoded_whole(host_id: str | None, path: str) -> None:
    assert (
        authenticate_url(BASE, "cucumber", "my vendor", host_id) == f"https://jwtgate.example{path}"
    )


def config(**changes: Any) -> JwtAuthConfig:
    fields: dict[str, Any] = {
        "private_key": private_key("ES256"),
        "algorithm": "ES256",
        "issuer": "https://ci.example",
        "audience": "conjur",
    }
    return JwtAuthConfig(**{**fields, **changes})


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({}, "jwt"),
        ({"jwt": "a.b.c", "jwt_file": "token"}, "jwt"),
        ({"config": config(token_url="https://as.example/token")}, "token_url"),
        ({"jwt": "a.b.c", "account": ""}, "account"),
    ],
)
def test_arguments_are_checked(arguments: dict[str, Any], field: str) -> None:
    options = {"account": "cucumber", **arguments}
    account = options.pop("account")
    with pytest.raises(JwtAuthConfigError) as caught:
        AuthnJwtAuth(BASE, account, "vendor", **options)
    assert caught.value.field == field


def segment(document: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()  # padded


def answer(status: int, document: object, media: str = "application/json") -> httpx.Response:
    request = httpx.Request("POST", "https://jwtgate.example/authn-jwt/v/a/authenticate")
    content = json.dumps(document).encode() if not isinstance(document, bytes) else document
    return httpx.Response(status, content=content, headers={"content-type": media}, request=request)


def test_conjur_token_is_sent_as_base64_of_the_body() -> None:
    body = {
        "protected": segment({"alg": "ES256"}),
        "payload": segment({"iat": 100, "exp": 580}),
        "signature": "c2ln",
    }
    response = answer(200, body)
    token = read_conjur_token(response, now=50)
    assert token.authorization == f'Token token="{base64.b64encode(response.content).decode()}"'
    assert (token.issued_at, token.expires_at) == (100, 580)


@pytest.mark.parametrize(
    ("status", "document", "expected"),
    [
        (
            401,
            {
                "error": "token_invalid",
                "reason": "unknown_identity",
                "error_description": "no such identity",
            },
            "answered HTTP 401: token_invalid (unknown_identity): no such identity",
        ),
        (
            400,
            {"error": "invalid_request", "error_description": "jwt is missing"},
            "answered HTTP 400: invalid_request: jwt is missing",
        ),
        (
            502,
            b"<html>bad gateway</html>",
            "answered HTTP 502: no OAuth error code — the body is not JSON",
        ),
        (200, {"token": "x"}, "the body is not a flattened JWS token"),
    ],
)
def test_refusals_quote_code_reason_and_description(
    status: int, document: object, expected: str
) -> None:
    with pytest.raises(TokenRequestError) as caught:
        read_conjur_token(answer(status, document), now=0)
    assert expected in str(caught.value)
