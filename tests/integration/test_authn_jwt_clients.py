"""Real Conjur clients, unmodified: the `conjur-api` package and the curl lines of the docs."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator

import pytest
from conjur_api import Client
from conjur_api.models import ConjurConnectionInfo, SslVerificationMode
from conjur_api.providers import JWTAuthenticationStrategy

from tests.integration.test_authn_jwt import ACCOUNT, policy_for, token
from tests.support.idp import LoopbackIdP
from tests.support.server import ServerThread


@pytest.fixture
def idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256"]) as running:
        yield running


@pytest.fixture
def gate(server: ServerThread, idp: LoopbackIdP) -> ServerThread:
    with server.admin() as admin:
        assert admin.post("/admin/policy", content=policy_for(idp)).status_code == 200
    return server


async def test_conjur_api_client_authenticates_and_calls_whoami(
    gate: ServerThread, idp: LoopbackIdP
) -> None:
    connection = ConjurConnectionInfo(conjur_url=gate.url, account=ACCOUNT, service_id="gitlab")
    client = Client(
        connection,
        authn_strategy=JWTAuthenticationStrategy(token(idp)),
        ssl_verification_mode=SslVerificationMode.INSECURE,  # plain http on loopback
        async_mode=True,
    )
    api_token, expiration = await client.authenticate()
    document = json.loads(api_token)
    assert set(document) == {"protected", "payload", "signature"}
    assert expiration  # the client read `exp` from the padded payload
    who = await client.whoami()
    assert who["account"] == ACCOUNT
    assert who["username"] == "host/gitlab-apps/group/project"


def curl(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["curl", "-s", "-S", "-w", "\n%{http_code}", *args],
        capture_output=True,
        timeout=30,
        check=True,
    )


def split(result: subprocess.CompletedProcess[bytes]) -> tuple[bytes, int]:
    body, _, status = result.stdout.rpartition(b"\n")
    return body, int(status)


@pytest.mark.parametrize("base64_encoding", [True, False])
def test_documented_curl_requests(
    gate: ServerThread, idp: LoopbackIdP, base64_encoding: bool
) -> None:
    """The two example requests of Conjur's authn-jwt REST docs, as written there."""
    encoding = ["--header", "Accept-Encoding: base64"] if base64_encoding else []
    with_property = curl(
        "--request",
        "POST",
        f"{gate.url}/authn-jwt/gitlab/{ACCOUNT}/authenticate",
        "--header",
        "Content-Type: application/x-www-form-urlencoded",
        *encoding,
        "--data-urlencode",
        f"jwt={token(idp)}",
    )
    without_property = curl(
        "--request",
        "POST",
        f"{gate.url}/authn-jwt/myVendor/{ACCOUNT}/host%2Fjwt-apps%2Fmyapp/authenticate",
        "--header",
        "Content-Type: application/x-www-form-urlencoded",
        *encoding,
        "--data-urlencode",
        f"jwt={token(idp)}",
    )
    for result in (with_property, without_property):
        body, status = split(result)
        assert status == 200, body
        document = json.loads(base64.b64decode(body) if base64_encoding else body)
        assert set(document) == {"protected", "payload", "signature"}
        if base64_encoding:
            conjur_token = body.decode()
            whoami, who_status = split(
                curl(
                    f"{gate.url}/whoami", "--header", f'Authorization: Token token="{conjur_token}"'
                )
            )
            assert who_status == 200, whoami
            assert json.loads(whoami)["account"] == ACCOUNT
