"""Mint → exchange → call, over real HTTP, against an independent Authlib token endpoint
and the API behind it (issue 7 acceptance; SPEC §6, RFC 7523)."""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme
from joserfc import jwt

from jwtgate.client import JwtBearerAuth, TokenRequestError, aexchange, exchange
from tests.integration.client.conftest import MakeConfig, configure
from tests.integration.client.loopback import Loopback
from tests.integration.client.oauth_server import CUSTOM_GRANT, TokenServer
from tests.support.idp import generate
from tests.unit.client.material import ALGORITHMS, pem, verifying_key

# joserfc warns that RFC 9864 deprecates the name EdDSA; SPEC §6 uses that name.
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SECRET = "s3cr:t %+/é-" + "x" * 20  # characters RFC 6749 §2.3.1 form-encodes


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_mint_exchange_call(oauth: TokenServer, make_config: MakeConfig, algorithm: str) -> None:
    config = make_config(algorithm, headers={"kid": "k1"}, additional_claims={"scope": "read"})
    with httpx.Client(auth=JwtBearerAuth(config)) as client:
        response = client.get(f"{oauth.url}/api/data")
    assert response.status_code == 200, response.text
    assert response.json() == {"client_id": config.issuer, "sub": "alice"}
    [call] = oauth.token_requests
    assert (call.status, call.form["grant_type"]) == (200, JWT_BEARER)
    [issued] = oauth.tokens
    assert oauth.api_calls[-1].authorization == f"Bearer {issued}"
    # what Authlib accepted also verifies with joserfc directly, header and claims intact
    key = verifying_key(algorithm, config.private_key)
    token = jwt.decode(call.form["assertion"], key, algorithms=[algorithm])
    assert token.header["kid"] == "k1" and token.claims["scope"] == "read"


async def test_async_client(oauth: TokenServer, make_config: MakeConfig) -> None:
    async with httpx.AsyncClient(auth=JwtBearerAuth(make_config("EdDSA"))) as client:
        response = await client.get(f"{oauth.url}/api/data")
    assert response.status_code == 200, response.text
    assert len(oauth.token_requests) == 1


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_client_secret_authentication(
    oauth: TokenServer, make_config: MakeConfig, method: str
) -> None:
    config = make_config(
        "RS256", secret=SECRET, client_id="app", client_secret=SECRET, client_auth_method=method
    )
    assert exchange(config).access_token in oauth.tokens
    [call] = oauth.token_requests
    assert call.auth_method == method
    if method == "client_secret_basic":
        assert call.authorization is not None
        pair = base64.b64decode(call.authorization.removeprefix("Basic ")).decode()
        assert pair == f"app:{urllib.parse.quote(SECRET, safe='')}"
    else:
        assert call.authorization is None and call.form["client_secret"] == SECRET


def test_wrong_secret_quotes_invalid_client(oauth: TokenServer, make_config: MakeConfig) -> None:
    config = make_config("ES256", secret=SECRET, client_id="app", client_secret="y" * 40)
    with pytest.raises(TokenRequestError) as caught:
        exchange(config)
    assert (caught.value.status_code, caught.value.error) == (401, "invalid_client")
    assert "invalid_client" in str(caught.value) and "y" * 40 not in str(caught.value)


def test_private_key_jwt_with_the_jwt_bearer_grant(
    oauth: TokenServer, make_config: MakeConfig
) -> None:
    config = make_config("PS256", client_id="app", client_auth_method="private_key_jwt")
    assert exchange(config).access_token in oauth.tokens
    [call] = oauth.token_requests
    assert call.auth_method == "client_assertion_jwt"  # Authlib's name for private_key_jwt
    key = verifying_key("PS256", config.private_key)
    client_assertion = jwt.decode(call.form["client_assertion"], key, ["PS256"]).claims
    assert client_assertion["iss"] == client_assertion["sub"] == "app"
    assert client_assertion["aud"] == oauth.token_url
    assert (
        client_assertion["jti"] != jwt.decode(call.form["assertion"], key, ["PS256"]).claims["jti"]
    )


def test_client_credentials_with_private_key_jwt(
    oauth: TokenServer, make_config: MakeConfig
) -> None:
    config = make_config(
        "ES384",
        client_id="app",
        grant_type="client_credentials",
        client_auth_method="private_key_jwt",
    )
    with httpx.Client(auth=JwtBearerAuth(config)) as client:
        response = client.get(f"{oauth.url}/api/data")
    assert response.json() == {"client_id": "app", "sub": None}
    [call] = oauth.token_requests
    assert "assertion" not in call.form and call.auth_method == "client_assertion_jwt"


def test_custom_grant_type_and_scope(oauth: TokenServer, make_config: MakeConfig) -> None:
    answer = exchange(make_config("HS256", grant_type=CUSTOM_GRANT, scope="read"))
    assert answer.scope == "read"
    assert oauth.token_requests[0].form["grant_type"] == CUSTOM_GRANT


@pytest.mark.parametrize("form", ["json", "urlencoded", "xml"])
async def test_response_formats(oauth: TokenServer, make_config: MakeConfig, form: str) -> None:
    answer = await aexchange(make_config("ES256", format=form))
    assert answer.access_token in oauth.tokens
    assert (answer.expires_in, answer.token_type) == (3600, "Bearer")
    assert oauth.token_requests[0].form["format"] == form


@pytest.mark.parametrize("form", ["json", "xml"])
def test_refusal_quotes_error_and_description(
    oauth: TokenServer, make_config: MakeConfig, form: str
) -> None:
    config = make_config("ES256", format=form, audience="https://elsewhere.example")
    with pytest.raises(TokenRequestError) as caught:
        exchange(config)
    error = caught.value
    assert (error.status_code, error.error) == (400, "invalid_grant")
    assert error.error_description == "Invalid claim: 'aud'"  # Authlib's words, quoted
    assert str(error) == f"{oauth.token_url} answered HTTP 400: invalid_grant: Invalid claim: 'aud'"


def test_refusal_without_description(oauth: TokenServer, make_config: MakeConfig) -> None:
    config = make_config("ES256")
    # the server now holds a key that is not the SDK's: Authlib says only invalid_grant
    oauth.clients[config.issuer].key = verifying_key("ES256", pem(generate("ES256")))
    with pytest.raises(TokenRequestError) as caught:
        exchange(config)
    assert str(caught.value) == f"{oauth.token_url} answered HTTP 400: invalid_grant"


@pytest.fixture
def tls_oauth(tmp_path: Path) -> Iterator[tuple[TokenServer, Path]]:
    """The token endpoint over HTTPS, demanding a client certificate from its CA;
    ``tmp_path`` holds ``ca.pem`` and ``client.pem`` (certificate and key)."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    ca.issue_cert("app.example").private_key_and_cert_chain_pem.write_to_path(
        str(tmp_path / "client.pem")
    )
    server = TokenServer()
    with Loopback(server.app(), ca=ca, require_client_cert=True) as running:
        server.url = running.url
        yield server, tmp_path


def test_tls_options(tls_oauth: tuple[TokenServer, Path]) -> None:
    server, files = tls_oauth
    mutual = configure(server, ca_file=files / "ca.pem", client_cert_file=str(files / "client.pem"))
    assert exchange(mutual).access_token in server.tokens
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        exchange(configure(server, client_cert_file=str(files / "client.pem")))
    with pytest.raises(httpx.HTTPError):  # the server refuses a client without certificate
        exchange(configure(server, ca_file=str(files / "ca.pem")))
    assert len(server.token_requests) == 1


def test_timeout(oauth: TokenServer, make_config: MakeConfig) -> None:
    oauth.delay = 2.0
    with pytest.raises(httpx.ReadTimeout):
        exchange(make_config("ES256", timeout_seconds=0.3))
