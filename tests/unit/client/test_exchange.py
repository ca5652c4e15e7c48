"""The token request and the reading of its answer, without I/O (SPEC §2.3, §6;
RFC 6749 §2.3.1, §5; RFC 7523 §2.1, §2.2)."""

from __future__ import annotations

import base64
import time
import urllib.parse
from typing import Any

import httpx
import pytest
from joserfc import jwt

from jwtgate.client import JwtAuthConfig, JwtAuthConfigError, TokenRequestError
from jwtgate.client.exchange import read_token_response, token_request
from tests.unit.client.material import private_key, verifying_key

TOKEN_URL = "https://auth.example.com/oauth/token"


def config(**changes: Any) -> JwtAuthConfig:
    fields: dict[str, Any] = {
        "private_key": private_key("RS256"),
        "algorithm": "RS256",
        "issuer": "my-app",
        "audience": TOKEN_URL,
        "token_url": TOKEN_URL,
    }
    return JwtAuthConfig(**{**fields, **changes})


def form_of(request: httpx.Request) -> dict[str, str]:
    pairs = urllib.parse.parse_qsl(request.content.decode(), keep_blank_values=True)
    assert len(pairs) == len(dict(pairs))  # RFC 6749 §3.2: no parameter twice
    return dict(pairs)


def test_default_jwt_bearer_request() -> None:
    settings = config()
    request = token_request(settings, time.time())
    assert (request.method, str(request.url)) == ("POST", TOKEN_URL)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"].startswith("jwtgate-client/")
    assert "authorization" not in request.headers
    form = form_of(request)
    assert set(form) == {"grant_type", "assertion"}
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    claims = jwt.decode(form["assertion"], verifying_key("RS256", settings.private_key)).claims
    assert claims["iss"] == "my-app"


def test_custom_grant_scope_format_and_public_client_id() -> None:
    request = token_request(
        config(grant_type="urn:example:custom", scope="read write", format="xml", client_id="c"),
        time.time(),
    )
    form = form_of(request)
    assert form["grant_type"] == "urn:example:custom"
    assert (form["scope"], form["format"], form["client_id"]) == ("read write", "xml", "c")
    assert request.headers["accept"] == "application/xml"


def test_client_secret_basic_is_form_encoded_first() -> None:
    secret = "p@ss:word/é+%" + "x" * 20
    request = token_request(config(client_id="my app", client_secret=secret), time.time())
    scheme, _, value = request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    client_id, _, sent = base64.b64decode(value).decode().partition(":")
    assert urllib.parse.unquote(client_id) == "my app" and ":" not in sent
    assert urllib.parse.unquote(sent) == secret
    assert "client_secret" not in form_of(request)


def test_client_secret_post() -> None:
    secret = "s" * 32
    request = token_request(
        config(client_id="app", client_secret=secret, client_auth_method="client_secret_post"),
        time.time(),
    )
    assert "authorization" not in request.headers
    assert {"client_id": "app", "client_secret": secret}.items() <= form_of(request).items()


def test_private_key_jwt_and_client_credentials() -> None:
    settings = config(
        client_id="app", client_auth_method="private_key_jwt", grant_type="client_credentials"
    )
    form = form_of(token_request(settings, 1_700_000_000))
    assert set(form) == {"grant_type", "client_assertion_type", "client_assertion"}
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    claims = jwt.decode(
        form["client_assertion"], verifying_key("RS256", settings.private_key)
    ).claims
    assert claims["iss"] == claims["sub"] == "app" and claims["aud"] == TOKEN_URL
    assert claims["iat"] == 1_700_000_000


def test_no_token_url() -> None:
    with pytest.raises(JwtAuthConfigError, match="token_url: missing"):
        token_request(config(token_url=None), time.time())


def answer(status: int, content: bytes, media: str = "application/json") -> httpx.Response:
    request = httpx.Request("POST", TOKEN_URL)
    return httpx.Response(status, content=content, headers={"content-type": media}, request=request)


@pytest.mark.parametrize(
    ("content", "media"),
    [
        (
            b'{"access_token": "at", "token_type": "Bearer", "expires_in": 60, "scope": "r"}',
            "application/json; charset=utf-8",
        ),
        (
            b"access_token=at&token_type=bearer&expires_in=60&scope=r",
            "application/x-www-form-urlencoded",
        ),
        (
            b"<token_response><access_token>at</access_token><token_type>Bearer</token_type>"
            b"<expires_in>60</expires_in><scope>r</scope></token_response>",
            "application/xml",
        ),
        (b'{"access_token": "at", "expires_in": "60", "scope": "r"}', "text/plain"),
    ],
    ids=["json", "urlencoded", "xml", "json-as-text"],
)
def test_success_in_every_format(content: bytes, media: str) -> None:
    parsed = read_token_response(answer(200, content, media))
    assert (parsed.access_token, parsed.expires_in, parsed.scope) == ("at", 60, "r")
    assert parsed.token_type.lower() == "bearer"
    assert parsed.fields["access_token"] == "at"


def test_no_expires_in_and_no_token_in_repr() -> None:
    parsed = read_token_response(answer(200, b'{"access_token": "SECRET-TOKEN-VALUE"}'))
    assert parsed.expires_in is None and parsed.token_type == "Bearer"
    assert "SECRET-TOKEN-VALUE" not in repr(parsed)


@pytest.mark.parametrize(
    ("status", "content", "media", "expected"),
    [
        (
            400,
            b'{"error": "invalid_grant", "error_description": "bad_signature: the assertion '
            b'does not verify"}',
            "application/json",
            "answered HTTP 400: invalid_grant: bad_signature: the assertion does not verify",
        ),
        (
            401,
            b"error=invalid_client&error_description=unknown+client",
            "application/x-www-form-urlencoded",
            "answered HTTP 401: invalid_client: unknown client",
        ),
        (
            400,
            b"<error_response><error>invalid_scope</error></error_response>",
            "text/xml",
            "answered HTTP 400: invalid_scope",
        ),
        (
            502,
            b"<html>Bad gateway</html>",
            "text/html",
            "answered HTTP 502: no OAuth error code — the body is not a token response (text/html)",
        ),
        (
            200,
            b'{"token_type": "Bearer"}',
            "application/json",
            "answered HTTP 200: no OAuth error code — the response has no access_token",
        ),
        (
            200,
            b'{"access_token": "at", "token_type": "DPoP"}',
            "application/json",
            "token_type 'DPoP' is not Bearer",
        ),
        (
            200,
            b'{"access_token": "at", "expires_in": "soon"}',
            "application/json",
            "expires_in is not a number of seconds",
        ),
        (200, b"<token_response><oops", "application/xml", "the body is not a token response"),
        (200, b"[1, 2]", "application/json", "the body is not a token response"),
    ],
)
def test_refusals_quote_the_server(status: int, content: bytes, media: str, expected: str) -> None:
    with pytest.raises(TokenRequestError) as caught:
        read_token_response(answer(status, content, media))
    assert str(caught.value).startswith(TOKEN_URL)
    assert expected in str(caught.value)
    assert caught.value.status_code == status
