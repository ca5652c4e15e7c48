"""authn-jwt over real HTTP against a real loopback identity provider (SPEC §2.1, §2.2, §4)."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from tests.support.idp import LoopbackIdP
from tests.support.server import ServerThread

ACCOUNT = "cucumber"


def policy_for(idp: LoopbackIdP) -> str:
    return f"""\
account: {ACCOUNT}
authenticators:
  - id: myVendor
    jwks_uri: {idp.jwks_uri}
    issuer: {idp.issuer}
    audience: [conjur]
    claim_aliases: {{branch: ref}}
    enforced_claims: [project_id]
    token_ttl_seconds: 300
  - id: gitlab
    jwks_uri: {idp.jwks_uri}
    issuer: {idp.issuer}
    token_app_property: project_path
    identity_path: gitlab-apps
  - id: nested
    jwks_uri: {idp.jwks_uri}
    issuer: {idp.issuer}
    token_app_property: repo/name
  - id: discovered
    provider_uri: {idp.url}
    claim_aliases: {{branch: ref}}
  - id: switchedOff
    jwks_uri: {idp.jwks_uri}
    issuer: {idp.issuer}
    enabled: false
hosts:
  - id: jwt-apps/myapp
    authenticators: [myVendor, discovered, switchedOff]
    claims: {{project_id: "42", branch: "refs/heads/*"}}
  - id: jwt-apps/elsewhere
    authenticators: [gitlab]
    claims: {{project_id: "42"}}
  - id: gitlab-apps/group/project
    authenticators: [gitlab]
    claims: {{namespace_id: "7"}}
  - id: repo-a
    authenticators: [nested]
    claims: {{tier: "gold"}}
users:
  - id: bob@ops
    authenticators: [myVendor]
    claims: {{project_id: "42", email: bob@example.com}}
"""


@pytest.fixture
def idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256"]) as running:
        yield running


@pytest.fixture
def gate(server: ServerThread, idp: LoopbackIdP) -> ServerThread:
    with server.admin() as admin:
        applied = admin.post("/admin/policy", content=policy_for(idp))
    assert applied.status_code == 200, applied.text
    return server


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": "",
        "aud": "conjur",
        "sub": "project_path:group/project:ref:main",
        "iat": now,
        "exp": now + 300,
        "project_id": "42",
        "ref": "refs/heads/main",
        "project_path": "group/project",
        "namespace_id": 7,
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def token(idp: LoopbackIdP, **overrides: Any) -> str:
    return idp.mint(claims(**{"iss": idp.issuer, **overrides}))


def url(service: str = "myVendor", login: str | None = "host/jwt-apps/myapp") -> str:
    if login is None:
        return f"/authn-jwt/{service}/{ACCOUNT}/authenticate"
    return f"/authn-jwt/{service}/{ACCOUNT}/{urllib.parse.quote(login, safe='')}/authenticate"


def post(gate: ServerThread, path: str, jwt_value: str, **options: Any) -> httpx.Response:
    with gate.client() as client:
        return client.post(path, data={"jwt": jwt_value}, **options)


def issued_claims(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    compact = ".".join(body[part].rstrip("=") for part in ("protected", "payload", "signature"))
    header = jwt.get_unverified_header(compact)
    assert header["typ"] == "at+jwt"
    return dict(jwt.decode(compact, options={"verify_signature": False}))


def test_host_gets_a_conjur_token(gate: ServerThread, idp: LoopbackIdP) -> None:
    response = post(gate, url(), token(idp))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"protected", "payload", "signature"}
    assert len(body["protected"]) % 4 == 0 and len(body["payload"]) % 4 == 0
    json.loads(base64.b64decode(body["payload"]))  # standard base64 decoding succeeds
    issued = issued_claims(response)
    assert issued["sub"] == "host/jwt-apps/myapp"
    assert issued["iss"] == issued["aud"] == gate.settings.effective_public_url
    assert issued["acct"] == ACCOUNT
    assert issued["authn"] == "authn-jwt/myVendor"
    assert issued["exp"] - issued["iat"] == 300
    assert "project_id" not in issued


def test_base64_encoding_on_request(gate: ServerThread, idp: LoopbackIdP) -> None:
    response = post(gate, url(), token(idp), headers={"Accept-Encoding": "gzip, BASE64"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-encoding"] == "base64"
    document = json.loads(base64.b64decode(response.content))
    assert set(document) == {"protected", "payload", "signature"}


def test_user_login_and_text_plain_body(gate: ServerThread, idp: LoopbackIdP) -> None:
    with gate.client() as client:
        response = client.post(
            "/authn-jwt/myVendor/cucumber/bob%40ops/authenticate",
            content=f"jwt=%20{token(idp, email='bob@example.com')}%0A",
            headers={"Content-Type": "text/plain"},
        )
    assert response.status_code == 200, response.text
    assert issued_claims(response)["sub"] == "bob@ops"


def test_token_app_property_identity(gate: ServerThread, idp: LoopbackIdP) -> None:
    response = post(gate, url("gitlab", None), token(idp))
    assert response.status_code == 200, response.text
    assert issued_claims(response)["sub"] == "host/gitlab-apps/group/project"
    nested = post(gate, url("nested", None), token(idp, repo={"name": "repo-a"}, tier="gold"))
    assert nested.status_code == 200, nested.text
    assert issued_claims(nested)["sub"] == "host/repo-a"


def test_discovery_supplies_the_issuer(gate: ServerThread, idp: LoopbackIdP) -> None:
    assert post(gate, url("discovered"), token(idp)).status_code == 200
    wrong = post(gate, url("discovered"), token(idp, iss="https://evil.example"))
    assert wrong.json()["reason"] == "wrong_issuer"


@pytest.mark.parametrize("body", [{}, {"jwt": ""}, {"jwt": "   "}, {"other": "x"}])
def test_missing_jwt_is_400(gate: ServerThread, body: dict[str, str]) -> None:
    with gate.client() as client:
        response = client.post(url(), data=body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_unknown_things_are_indistinguishable(gate: ServerThread, idp: LoopbackIdP) -> None:
    good = token(idp)
    paths = [
        "/authn-jwt/myVendor/potato/host%2Fjwt-apps%2Fmyapp/authenticate",  # account
        url("nope"),  # authenticator
        url("switchedOff"),  # disabled
        url(login="host/jwt-apps/ghost"),  # host
        url(login="ghost"),  # user
    ]
    bodies = []
    for path in paths:
        response = post(gate, path, good)
        assert response.status_code == 401, path
        body = response.json()
        body.pop("request_id")
        bodies.append((body, response.headers["www-authenticate"]))
    assert all(entry == bodies[0] for entry in bodies)
    assert bodies[0][0]["error"] == "token_invalid"
    assert bodies[0][0]["reason"] == "unknown_identity"


FAILURES = [
    ("expired", {"exp": -3600}, "token_expired", None),
    ("wrong audience", {"aud": "someone-else"}, "token_invalid", "wrong_audience"),
    ("no audience", {"aud": None}, "token_invalid", "missing_claim"),
    ("wrong issuer", {"iss": "https://evil.example"}, "token_invalid", "wrong_issuer"),
    ("future nbf", {"nbf": 3600}, "token_invalid", "not_yet_valid"),
    ("future iat", {"iat": 3600}, "token_invalid", "not_yet_valid"),
    ("binding mismatch", {"project_id": "43"}, "token_invalid", "claim_mismatch"),
    ("bound claim absent", {"project_id": None}, "token_invalid", "missing_claim"),
    ("alias glob mismatch", {"ref": "refs/tags/v1"}, "token_invalid", "claim_mismatch"),
    ("object claim never matches", {"project_id": {"id": "42"}}, "token_invalid", "claim_mismatch"),
]


@pytest.mark.parametrize(
    ("name", "changes", "code", "reason"), FAILURES, ids=[f[0] for f in FAILURES]
)
def test_each_failure_has_its_code(
    gate: ServerThread,
    idp: LoopbackIdP,
    name: str,
    changes: dict[str, Any],
    code: str,
    reason: str | None,
) -> None:
    now = int(time.time())
    shifted = {
        key: now + value if key in {"exp", "nbf", "iat"} and isinstance(value, int) else value
        for key, value in changes.items()
    }
    response = post(gate, url(), token(idp, **shifted))
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == code
    assert body.get("reason") == reason
    assert response.headers["www-authenticate"].startswith('Bearer realm="jwtgate", error=')


def test_number_and_array_claims_match_as_strings(gate: ServerThread, idp: LoopbackIdP) -> None:
    assert post(gate, url(), token(idp, project_id=42)).status_code == 200
    listed = token(idp, ref=["refs/tags/x", "refs/heads/dev"])
    assert post(gate, url(), listed).status_code == 200


def test_signature_algorithm_and_key_failures(gate: ServerThread, idp: LoopbackIdP) -> None:
    good = token(idp)
    head, payload, signature = good.split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    assert post(gate, url(), f"{head}.{payload}.{flipped}").json()["reason"] == "bad_signature"
    assert post(gate, url(), "not.a.jwt").json()["error"] == "token_malformed"
    rs_kid = idp.keys.newest().kid
    es_kid = idp.keys.add("ES256")
    es = idp.mint(claims(iss=idp.issuer), kid=es_kid)
    assert post(gate, url(), es).json()["reason"] == "disallowed_algorithm"
    ghost = idp.mint(claims(iss=idp.issuer), kid=rs_kid, headers={"kid": "no-such-key"})
    assert post(gate, url(), ghost).json()["reason"] == "unknown_key"


def test_not_permitted_is_403(gate: ServerThread, idp: LoopbackIdP) -> None:
    response = post(gate, url(login="host/jwt-apps/elsewhere"), token(idp))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert response.json()["reason"] == "not_permitted"


def test_token_app_property_rules(gate: ServerThread, idp: LoopbackIdP) -> None:
    with_id = post(gate, url("gitlab", "host/gitlab-apps/group/project"), token(idp))
    assert (with_id.status_code, with_id.json()["reason"]) == (401, "not_permitted")
    absent = post(gate, url("gitlab", None), token(idp, project_path=None))
    assert absent.json()["reason"] == "missing_claim"
    numeric = post(gate, url("gitlab", None), token(idp, project_path=5))
    assert numeric.json()["reason"] == "claim_mismatch"
    empty = post(gate, url("gitlab", None), token(idp, project_path=""))
    assert empty.json()["reason"] == "unknown_identity"
    no_id = post(gate, url("myVendor", None), token(idp))
    assert no_id.json()["reason"] == "unknown_identity"


def test_access_token_works_on_whoami_and_check(gate: ServerThread, idp: LoopbackIdP) -> None:
    issued = post(gate, url(), token(idp))
    conjur_token = base64.b64encode(issued.content).decode()
    compact = ".".join(issued.json()[p].rstrip("=") for p in ("protected", "payload", "signature"))
    with gate.client() as client:
        as_token = client.get(
            "/whoami",
            headers={"Authorization": f'Token token="{conjur_token}"', "User-Agent": "t/1"},
        )
        as_bearer = client.get("/whoami", headers={"Authorization": f"bearer {compact}"})
        check = client.get("/authn/check", headers={"Authorization": f"Bearer {compact}"})
        missing = client.get("/authn/check")
        in_query = client.get("/authn/check", params={"access_token": compact})
        foreign = client.get("/authn/check", headers={"Authorization": f"Bearer {token(idp)}"})
    assert as_token.status_code == 200, as_token.text
    who = as_token.json()
    assert who["account"] == ACCOUNT and who["username"] == "host/jwt-apps/myapp"
    assert who["user_agent"] == "t/1" and who["client_ip"] == "127.0.0.1"
    assert who["token_issued_at"].endswith("+00:00")
    assert who["authn"] == "authn-jwt/myVendor" and isinstance(who["exp"], int)
    assert as_bearer.json() == {**who, "user_agent": as_bearer.json()["user_agent"]}
    assert check.status_code == 204
    assert missing.status_code == 401 and missing.json()["error"] == "token_missing"
    assert missing.headers["www-authenticate"] == 'Bearer realm="jwtgate"'
    assert in_query.status_code == 401 and in_query.json()["error"] == "token_missing"
    assert foreign.status_code == 401  # an IdP token is never accepted on jwtgate's APIs
    assert foreign.json()["reason"] in {"unknown_key", "disallowed_algorithm"}


def test_status_endpoint(gate: ServerThread, idp: LoopbackIdP) -> None:
    issued = post(gate, url(), token(idp)).json()
    compact = ".".join(issued[p].rstrip("=") for p in ("protected", "payload", "signature"))
    auth = {"Authorization": f"Bearer {compact}"}
    with gate.client() as client:
        ok = client.get(f"/authn-jwt/myVendor/{ACCOUNT}/status", headers=auth)
        anonymous = client.get(f"/authn-jwt/myVendor/{ACCOUNT}/status")
        other_account = client.get("/authn-jwt/myVendor/potato/status", headers=auth)
        unknown = client.get(f"/authn-jwt/nope/{ACCOUNT}/status", headers=auth)
        disabled = client.get(f"/authn-jwt/switchedOff/{ACCOUNT}/status", headers=auth)
    assert (ok.status_code, ok.json()) == (200, {"status": "ok"})
    assert anonymous.status_code == 401
    assert other_account.status_code == 401
    assert unknown.status_code == 404
    assert disabled.status_code == 500
    assert disabled.json()["status"] == "error" and "disabled" in disabled.json()["error"]


REFRESH_COOLDOWN_SECONDS = 10  # SPEC §2.5: at most one refetch per 10 s per source


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
def test_idp_key_rotation_and_outage(gate: ServerThread, idp: LoopbackIdP) -> None:
    assert post(gate, url(), token(idp)).status_code == 200
    first_fetch = time.monotonic()
    new_kid = idp.keys.add("RS256")
    early = idp.mint(claims(iss=idp.issuer), kid=new_kid)
    assert post(gate, url(), early).json()["reason"] == "unknown_key"  # within the cooldown
    time.sleep(max(0.0, first_fetch + REFRESH_COOLDOWN_SECONDS + 0.2 - time.monotonic()))
    assert post(gate, url(), idp.mint(claims(iss=idp.issuer), kid=new_kid)).status_code == 200
    fetches = idp.jwks_requests
    for n in range(20):
        junk = idp.mint(claims(iss=idp.issuer), headers={"kid": f"junk-{n}"})
        assert post(gate, url(), junk).json()["reason"] == "unknown_key"
    assert idp.jwks_requests - fetches <= 1
    idp.mode = "down"
    assert post(gate, url(), token(idp)).status_code == 200  # cached keys keep working


def test_cold_cache_with_idp_down_is_unprocessable(gate: ServerThread, idp: LoopbackIdP) -> None:
    idp.mode = "down"
    started = time.monotonic()
    response = post(gate, url(), token(idp))
    assert response.status_code == 401
    assert response.json()["error"] == "token_unprocessable"
    assert time.monotonic() - started < 6
    with gate.client() as client:
        assert client.get("/healthz").status_code == 200


def test_decisions_are_audited(gate: ServerThread, idp: LoopbackIdP) -> None:
    post(gate, url(), token(idp), headers={"X-Request-Id": "ok-1"})
    post(gate, url(), token(idp, project_id="9"), headers={"X-Request-Id": "bad-1"})
    with gate.admin() as admin:
        events = admin.get("/admin/audit", params={"limit": 10}).json()["events"]
    by_id = {event["request_id"]: event for event in events}
    assert by_id["ok-1"]["decision"] == "accepted"
    assert by_id["ok-1"]["subject"] == "host/jwt-apps/myapp"
    assert by_id["ok-1"]["authenticator"] == "myVendor"
    assert by_id["bad-1"]["decision"] == "refused"
    assert (by_id["bad-1"]["code"], by_id["bad-1"]["reason"]) == ("token_invalid", "claim_mismatch")
