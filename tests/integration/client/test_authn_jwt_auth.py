"""``AuthnJwtAuth`` against a real jwtgate: authn-jwt, then ``/whoami`` with the Conjur
``Token token="…"`` credential (SPEC §2.1, §2.2, §6)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from jwtgate.client import AuthnJwtAuth, JwtAuthConfig, TokenRequestError
from tests.support.idp import LoopbackIdP
from tests.support.server import ServerThread
from tests.unit.client.material import private_key, public_jwk

# The client does not depend on the store: one backend is enough.
pytestmark = pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)

ACCOUNT = "cucumber"
HOST = "host/jwt-apps/sdk"
SDK_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")  # authn-jwt never accepts HMAC
CI_ISSUER = "https://ci.example"


def policy(idp: LoopbackIdP) -> str:
    keys = [public_jwk(alg, private_key(alg), kid=alg.lower()) for alg in SDK_ALGORITHMS]
    return f"""\
account: {ACCOUNT}
authenticators:
  - id: sdk
    public_keys: {json.dumps({"keys": keys})}
    issuer: {CI_ISSUER}
    audience: [conjur]
    algorithms: [{", ".join(SDK_ALGORITHMS)}]
  - id: idp
    jwks_uri: {idp.jwks_uri}
    issuer: {idp.issuer}
    audience: [conjur]
    token_ttl_seconds: 1
hosts:
  - id: jwt-apps/sdk
    authenticators: [sdk, idp]
    claims: {{project_id: "42"}}
"""


@pytest.fixture
def idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256"]) as running:
        yield running


@pytest.fixture
def gate(server: ServerThread, idp: LoopbackIdP) -> ServerThread:
    with server.admin() as admin:
        applied = admin.post("/admin/policy", content=policy(idp))
    assert applied.status_code == 200, applied.text
    return server


def ci_config(alg: str, **fields: Any) -> JwtAuthConfig:
    options: dict[str, Any] = {
        "private_key": private_key(alg),
        "algorithm": alg,
        "issuer": CI_ISSUER,
        "subject": "pipeline-7",
        "audience": "conjur",
        "headers": {"kid": alg.lower()},
        "additional_claims": {"project_id": "42"},
    }
    return JwtAuthConfig(**{**options, **fields})


@pytest.mark.parametrize("alg", SDK_ALGORITHMS)
def test_minted_jwt_to_whoami(gate: ServerThread, alg: str) -> None:
    auth = AuthnJwtAuth(gate.url, ACCOUNT, "sdk", host_id=HOST, config=ci_config(alg))
    with httpx.Client(auth=auth) as client:
        who = client.get(f"{gate.url}/whoami")
        again = client.get(f"{gate.url}/whoami")
    assert who.status_code == 200, who.text
    assert (who.json()["username"], who.json()["authn"]) == (HOST, "authn-jwt/sdk")
    assert again.status_code == 200
    with gate.admin() as admin:
        events = admin.get("/admin/audit", params={"limit": 50}).json()["events"]
    logins = [e for e in events if e["front_door"] == "authn-jwt" and e["decision"] == "accepted"]
    assert len(logins) == 1  # the Conjur token was cached for the second call


async def test_async_and_requests(gate: ServerThread) -> None:
    auth = AuthnJwtAuth(gate.url, ACCOUNT, "sdk", host_id=HOST, config=ci_config("ES256"))
    async with httpx.AsyncClient(auth=auth) as client:
        assert (await client.get(f"{gate.url}/whoami")).json()["username"] == HOST
    assert requests.get(f"{gate.url}/whoami", auth=auth, timeout=10).json()["username"] == HOST


def test_jwt_file_is_read_again_on_refresh(
    gate: ServerThread, idp: LoopbackIdP, tmp_path: Path
) -> None:
    def idp_token(lifetime: int) -> str:
        now = int(time.time())
        claims = {"iss": idp.issuer, "aud": "conjur", "exp": now + lifetime, "project_id": "42"}
        return idp.mint(claims)

    token_file = tmp_path / "token"
    short_lived = idp_token(2)
    token_file.write_text(short_lived + "\n")  # as a mounted service-account token
    auth = AuthnJwtAuth(gate.url, ACCOUNT, "idp", host_id=HOST, jwt_file=token_file)
    with httpx.Client(auth=auth) as client:
        assert client.get(f"{gate.url}/whoami").status_code == 200
        token_file.write_text(idp_token(300))  # the kubelet rotates the file
        time.sleep(2.1)  # jwtgate's 1 s token and the first IdP token have both expired
        assert client.get(f"{gate.url}/whoami").status_code == 200
        stale = client.post(url_of(gate, "idp"), data={"jwt": short_lived})
    assert stale.json()["error"] == "token_expired"  # so the file was read again


def url_of(gate: ServerThread, service: str) -> str:
    return f"{gate.url}/authn-jwt/{service}/{ACCOUNT}/host%2Fjwt-apps%2Fsdk/authenticate"


def test_refusal_quotes_code_and_reason(gate: ServerThread) -> None:
    auth = AuthnJwtAuth(gate.url, ACCOUNT, "sdk", host_id="host/nobody", config=ci_config("RS256"))
    with httpx.Client(auth=auth) as client, pytest.raises(TokenRequestError) as caught:
        client.get(f"{gate.url}/whoami")
    error = caught.value
    assert (error.status_code, error.error, error.reason) == (
        401,
        "token_invalid",
        "unknown_identity",
    )
    assert str(error).startswith(f"{gate.url}/authn-jwt/sdk/{ACCOUNT}/host%2Fnobody/authenticate")
    assert "token_invalid (unknown_identity)" in str(error)
