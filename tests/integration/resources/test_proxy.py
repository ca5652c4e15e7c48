"""Reverse-proxy routes (SPEC §2.4) between real clients, jwtgate and a real upstream."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.resources.support import (
    DISCONNECTED,
    AppServer,
    chunks,
    digest_of,
    mint,
    upstream_app,
)
from tests.support.idp import LoopbackIdP
from tests.support.server import ServerThread, free_port


def policy(idp: LoopbackIdP, upstream: str) -> str:
    return f"""\
account: cucumber
authenticators:
  - id: myVendor
    jwks_uri: {idp.jwks_uri}
    issuer: {idp.issuer}
    audience: [conjur]
routes:
  - prefix: /rest/2.0/
    upstream: {upstream}/base/
    scopes: [write]
  - prefix: /stripped/
    upstream: {upstream}
    accept: [self, myVendor]
    strip_prefix: true
  - prefix: /idp/v1/
    upstream: {upstream}/
    accept: [myVendor]
  - prefix: /other-audience/
    upstream: {upstream}/
    audience: [https://api.example]
  - prefix: /slow/
    upstream: {upstream}/
    timeout_seconds: 1
  - prefix: /down/
    upstream: http://127.0.0.1:{free_port()}/
"""


@pytest.fixture
def upstream() -> Iterator[AppServer]:
    with AppServer(upstream_app) as running:
        yield running


@pytest.fixture
def idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256"]) as running:
        yield running


@pytest.fixture
def gate(server: ServerThread, idp: LoopbackIdP, upstream: AppServer) -> ServerThread:
    with server.admin() as admin:
        applied = admin.post("/admin/policy", content=policy(idp, upstream.url))
    assert applied.status_code == 200, applied.text
    return server


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def idp_token(idp: LoopbackIdP, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": idp.issuer, "aud": "conjur", "sub": "ci-job-7", "iat": now, "exp": now + 60}
    return idp.mint({**claims, **overrides})


def seen_headers(response: httpx.Response) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in response.json()["headers"]:
        headers.setdefault(name, []).append(value)
    return headers


def test_forwards_path_query_and_identity(gate: ServerThread) -> None:
    token = mint(gate, scope="read write")
    with gate.client() as client:
        response = client.post(
            "/rest/2.0/items/x%2Fy",
            params=[("b", "1"), ("a", "2,3")],
            content=b"hello",
            headers={**bearer(token), "X-Request-Id": "proxy-1", "Content-Type": "text/plain"},
        )
    assert response.status_code == 200, response.text
    seen = response.json()
    assert seen["raw_path"] == "/base/rest/2.0/items/x%2Fy"
    assert seen["query"] == "b=1&a=2%2C3"
    assert (seen["method"], seen["length"]) == ("POST", 5)
    headers = seen_headers(response)
    assert headers["content-length"] == ["5"] and "transfer-encoding" not in headers
    assert headers["content-type"] == ["text/plain"]
    assert headers["x-request-id"] == ["proxy-1"] == [response.headers["x-request-id"]]
    assert headers["x-jwtgate-subject"] == ["host/jwt-apps/tester"]
    claims = headers["x-jwtgate-claims"][0]
    assert "=" not in claims
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert decoded["sub"] == "host/jwt-apps/tester" and decoded["scope"] == "read write"
    assert "authorization" not in headers


def test_spoofed_identity_and_hop_by_hop_headers_never_reach_upstream(gate: ServerThread) -> None:
    token = mint(gate, scope="write")
    with gate.client() as client:
        response = client.get(
            "/rest/2.0/echo",
            headers={
                **bearer(token),
                "X-Jwtgate-Subject": "host/admin",
                "x-JWTGATE-claims": "eyJzdWIiOiJhZG1pbiJ9",
                "X-Jwtgate-Role": "root",
                "Connection": "keep-alive, X-Secret-Hop",
                "X-Secret-Hop": "1",
                "Keep-Alive": "timeout=5",
                "Proxy-Authorization": "Basic Zm9vOmJhcg==",
                "X-Forwarded-For": "203.0.113.9",
                "X-Kept": "yes",
            },
        )
    assert response.status_code == 200, response.text
    headers = seen_headers(response)
    assert headers["x-jwtgate-subject"] == ["host/jwt-apps/tester"]
    assert len(headers["x-jwtgate-claims"]) == 1
    assert "host/admin" not in json.dumps(headers)
    for name in ("x-jwtgate-role", "x-secret-hop", "keep-alive", "proxy-authorization"):
        assert name not in headers
    assert "authorization" not in headers and "transfer-encoding" not in headers
    assert headers["x-forwarded-for"] == ["203.0.113.9"]  # passed on as it came
    assert headers["x-kept"] == ["yes"]


def test_conjur_token_form_is_accepted(gate: ServerThread) -> None:
    protected, payload, signature = mint(gate, scope="write").split(".")
    document = {"protected": protected + "==", "payload": payload, "signature": signature}
    conjur = base64.b64encode(json.dumps(document).encode()).decode()
    with gate.client() as client:
        response = client.get(
            "/rest/2.0/echo", headers={"Authorization": f'Token token="{conjur}"'}
        )
    assert response.status_code == 200, response.text


def test_strip_prefix(gate: ServerThread) -> None:
    token = mint(gate)
    with gate.client() as client:
        nested = client.get("/stripped/a/b%2Fc", params={"q": "1"}, headers=bearer(token))
        root = client.get("/stripped/", headers=bearer(token))
    assert (nested.json()["raw_path"], nested.json()["query"]) == ("/a/b%2Fc", "q=1")
    assert root.json()["raw_path"] == "/"


def test_route_audience_and_scopes(gate: ServerThread) -> None:
    with gate.client() as client:
        default_aud = client.get("/other-audience/x", headers=bearer(mint(gate)))
        api_aud = client.get(
            "/other-audience/x", headers=bearer(mint(gate, aud=["https://api.example"]))
        )
        no_scope = client.get("/rest/2.0/x", headers=bearer(mint(gate, scope="read")))
    assert default_aud.status_code == 401
    assert default_aud.json()["reason"] == "wrong_audience"
    assert api_aud.status_code == 200
    assert no_scope.status_code == 403
    assert no_scope.json()["error"] == "insufficient_scope"
    assert no_scope.headers["www-authenticate"] == (
        'Bearer realm="jwtgate", error="insufficient_scope", scope="write"'
    )


def test_authenticator_tokens(gate: ServerThread, idp: LoopbackIdP) -> None:
    with gate.client() as client:
        ok = client.get("/idp/v1/x", headers=bearer(idp_token(idp)))
        wrong_aud = client.get("/idp/v1/x", headers=bearer(idp_token(idp, aud="elsewhere")))
        jwtgate_token = client.get("/idp/v1/x", headers=bearer(mint(gate)))
        either_idp = client.get("/stripped/x", headers=bearer(idp_token(idp)))
        either_self = client.get("/stripped/x", headers=bearer(mint(gate)))
        expired_self = client.get("/stripped/x", headers=bearer(mint(gate, exp=1)))
        expired_idp = client.get("/stripped/x", headers=bearer(idp_token(idp, exp=1)))
    assert ok.status_code == 200, ok.text
    assert seen_headers(ok)["x-jwtgate-subject"] == ["ci-job-7"]
    assert (wrong_aud.status_code, wrong_aud.json()["reason"]) == (401, "wrong_audience")
    assert jwtgate_token.status_code == 401  # an ES256 jwtgate token is not the IdP's
    assert jwtgate_token.json()["reason"] == "disallowed_algorithm"
    assert either_idp.status_code == either_self.status_code == 200
    # the candidate whose issuer the token names answers, whatever the order in `accept`
    assert expired_self.json()["error"] == expired_idp.json()["error"] == "token_expired"


def test_upstream_failures(gate: ServerThread) -> None:
    token = mint(gate)
    with gate.client() as client:
        down = client.get("/down/x", headers=bearer(token))
        started = time.monotonic()
        slow = client.get("/slow/slow", params={"seconds": "5"}, headers=bearer(token))
        waited = time.monotonic() - started
        quick = client.get("/slow/slow", params={"seconds": "0"}, headers=bearer(token))
        own_503 = client.get("/stripped/fail", headers=bearer(token))
    assert (down.status_code, down.json()["error"]) == (502, "bad_gateway")
    assert (slow.status_code, slow.json()["error"]) == (504, "gateway_timeout")
    assert 1 <= waited < 4
    assert quick.status_code == 200
    assert (own_503.status_code, own_503.json()) == (503, {"upstream": "failed"})


def test_a_client_that_goes_away_closes_the_upstream_connection(gate: ServerThread) -> None:
    name = f"drip-{time.monotonic_ns()}"
    with gate.client() as client:
        with client.stream(
            "GET", "/stripped/drip", params={"id": name}, headers=bearer(mint(gate))
        ) as drip:
            assert drip.status_code == 200
            next(drip.iter_raw())
        left = time.monotonic()
    while name not in DISCONNECTED and time.monotonic() < left + 10:
        time.sleep(0.05)
    assert DISCONNECTED[name] - left < 2  # not the minute the upstream would have dripped


def test_dot_segments_are_refused(gate: ServerThread) -> None:
    token = mint(gate, scope="write")
    with gate.client() as client:
        encoded = client.get("/rest/2.0/a/%2E%2E/%2e%2e/admin", headers=bearer(token))
    literal = subprocess.run(
        [
            "curl",
            "-s",
            "--path-as-is",
            "-H",
            f"Authorization: Bearer {token}",
            f"{gate.url}/rest/2.0/a/../../admin",
        ],
        capture_output=True,
        timeout=30,
        check=True,
    )
    assert (encoded.status_code, encoded.json()["error"]) == (400, "invalid_request")
    assert json.loads(literal.stdout)["error"] == "invalid_request"


def test_refusals_are_audited(gate: ServerThread) -> None:
    with gate.client() as client:
        client.get("/rest/2.0/x", headers={"X-Request-Id": "proxy-missing"})
        client.get("/rest/2.0/x", headers={**bearer(mint(gate)), "X-Request-Id": "proxy-scope"})
    time.sleep(1.5)  # the audit writer flushes in batches
    with gate.admin() as admin:
        events = admin.get("/admin/audit", params={"limit": 20}).json()["events"]
    by_id = {event["request_id"]: event for event in events}
    assert by_id["proxy-missing"]["front_door"] == "proxy"
    assert by_id["proxy-missing"]["code"] == "token_missing"
    assert by_id["proxy-scope"]["code"] == "insufficient_scope"
    assert by_id["proxy-scope"]["account"] == "cucumber"


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
def test_ten_megabytes_stream_both_ways_without_being_held(gate: ServerThread) -> None:
    """Everything in this process — client, jwtgate, upstream — is traced: if jwtgate held
    a 10 MB body whole, the peak would be at least 10 MB above the start."""
    size = 10 * 1024 * 1024
    auth = bearer(mint(gate, scope="write"))
    with httpx.Client(base_url=gate.url, timeout=60) as client:
        assert (
            client.post("/rest/2.0/upload", content=chunks(4096), headers=auth).status_code == 200
        )
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            upload = client.post("/rest/2.0/upload", content=chunks(size), headers=auth)
            upload_peak = tracemalloc.get_traced_memory()[1] - start
            tracemalloc.reset_peak()
            start = tracemalloc.get_traced_memory()[0]
            digest, received = hashlib.sha256(), 0
            with client.stream(
                "GET", "/rest/2.0/download", params={"size": size}, headers=auth
            ) as down:
                for chunk in down.iter_raw():
                    digest.update(chunk)
                    received += len(chunk)
            download_peak = tracemalloc.get_traced_memory()[1] - start
        finally:
            tracemalloc.stop()
    assert upload.status_code == 200, upload.text
    assert (upload.json()["length"], upload.json()["sha256"]) == (size, digest_of(size))
    assert (down.status_code, received, digest.hexdigest()) == (200, size, digest_of(size))
    assert upload_peak < size / 4, f"upload peak {upload_peak} bytes"
    assert download_peak < size / 4, f"download peak {download_peak} bytes"
