"""Hostile input at the authn-jwt front door: the attack table, fuzzing, and the hot path.

Every attack gets its documented code and changes no state: no token is issued, the
policy is untouched, and no URL named inside a token is ever fetched.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Backend
from tests.support.idp import LoopbackIdP, b64url
from tests.support.server import ServerThread, initialised_settings

ACCOUNT = "cucumber"
URL = f"/authn-jwt/vendor/{ACCOUNT}/host%2Fapps%2Fapi/authenticate"


def policy(idp: LoopbackIdP) -> str:
    return f"""\
account: {ACCOUNT}
authenticators:
  - id: vendor
    jwks_uri: {idp.jwks_uri}
    issuer: {idp.issuer}
    audience: [conjur]
    algorithms: [RS256, ES256]
hosts:
  - id: apps/api
    authenticators: [vendor]
    claims: {{project_id: "42"}}
"""


@pytest.fixture
def idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256", "ES256"]) as running:
        yield running


@pytest.fixture
def attacker() -> Iterator[LoopbackIdP]:
    """A server the attacker controls; jwtgate must never talk to it."""
    with LoopbackIdP(["RS256"]) as running:
        yield running


@pytest.fixture
def gate(server: ServerThread, idp: LoopbackIdP) -> ServerThread:
    with server.admin() as admin:
        assert admin.post("/admin/policy", content=policy(idp)).status_code == 200
    return server


def good_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"aud": "conjur", "iat": now, "exp": now + 300, "project_id": "42"}
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def raw(
    idp: LoopbackIdP,
    header: dict[str, Any] | str,
    payload: dict[str, Any] | str,
    kid: str | None = None,
) -> str:
    header_bytes = header.encode() if isinstance(header, str) else json.dumps(header).encode()
    payload_bytes = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    return idp.keys.sign_raw(header_bytes, payload_bytes, kid=kid)


def rs_kid(idp: LoopbackIdP) -> str:
    return next(key.kid for key in idp.keys.keys.values() if key.alg == "RS256")


def es_kid(idp: LoopbackIdP) -> str:
    return next(key.kid for key in idp.keys.keys.values() if key.alg == "ES256")


Attack = Callable[[LoopbackIdP, LoopbackIdP], str]


def alg_none(spelling: str) -> Attack:
    def build(idp: LoopbackIdP, _: LoopbackIdP) -> str:
        header = b64url(json.dumps({"alg": spelling, "typ": "JWT"}).encode())
        payload = b64url(json.dumps(good_claims(iss=idp.issuer)).encode())
        return f"{header}.{payload}."

    return build


def hs256_with_public_key(idp: LoopbackIdP, _: LoopbackIdP) -> str:
    import hashlib
    import hmac

    public = idp.keys.keys[rs_kid(idp)].public
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": rs_kid(idp)}).encode())
    payload = b64url(json.dumps(good_claims(iss=idp.issuer)).encode())
    signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def kid_injection(kid: str) -> Attack:
    def build(idp: LoopbackIdP, _: LoopbackIdP) -> str:
        return idp.mint(good_claims(iss=idp.issuer), kid=rs_kid(idp), headers={"kid": kid})

    return build


def pointing_header(name: str) -> Attack:
    """Signed by the attacker's key, with a header naming or embedding that key."""

    def build(idp: LoopbackIdP, attacker: LoopbackIdP) -> str:
        attacker_key = attacker.keys.newest()
        values = {
            "jku": attacker.jwks_uri,
            "x5u": f"{attacker.url}/cert.pem",
            "jwk": attacker_key.jwk,
            "x5c": ["MIIBszCCAVmgAwIBAgIUQ"],
        }
        return attacker.mint(
            good_claims(iss=idp.issuer), headers={name: values[name], "kid": rs_kid(idp)}
        )

    return build


def header_member(**members: Any) -> Attack:
    def build(idp: LoopbackIdP, _: LoopbackIdP) -> str:
        return idp.mint(good_claims(iss=idp.issuer), kid=rs_kid(idp), headers=members)

    return build


def zero_ecdsa_signature(idp: LoopbackIdP, _: LoopbackIdP) -> str:
    token = idp.mint(good_claims(iss=idp.issuer), kid=es_kid(idp))
    head, payload, _ = token.split(".")
    return f"{head}.{payload}.{b64url(bytes(64))}"


def huge(idp: LoopbackIdP, _: LoopbackIdP) -> str:
    # About 1 MB once encoded, yet a form body under the 1 MiB request limit.
    return idp.mint(good_claims(iss=idp.issuer, padding="x" * 760_000), kid=rs_kid(idp))


def duplicate_claims(idp: LoopbackIdP, _: LoopbackIdP) -> str:
    header = {"alg": "RS256", "typ": "JWT", "kid": rs_kid(idp)}
    body = json.dumps(good_claims(iss=idp.issuer))[:-1] + ', "project_id": "43"}'
    return raw(idp, header, body, kid=rs_kid(idp))


def duplicate_header(idp: LoopbackIdP, _: LoopbackIdP) -> str:
    header = f'{{"alg": "RS256", "kid": "{rs_kid(idp)}", "kid": "other"}}'
    return raw(idp, header, good_claims(iss=idp.issuer), kid=rs_kid(idp))


def claims_change(**changes: Any) -> Attack:
    def build(idp: LoopbackIdP, _: LoopbackIdP) -> str:
        now = int(time.time())
        resolved = {k: (now + v if k in {"nbf", "iat"} else v) for k, v in changes.items()}
        return idp.mint(good_claims(iss=idp.issuer, **resolved), kid=rs_kid(idp))

    return build


ATTACKS: list[tuple[str, Attack, str, str | None]] = [
    ("alg none", alg_none("none"), "token_invalid", "disallowed_algorithm"),
    ("alg None", alg_none("None"), "token_invalid", "disallowed_algorithm"),
    ("alg NONE", alg_none("NONE"), "token_invalid", "disallowed_algorithm"),
    (
        "HS256 with the RSA public key",
        hs256_with_public_key,
        "token_invalid",
        "disallowed_algorithm",
    ),
    ("kid path traversal", kid_injection("../../../../etc/passwd"), "token_invalid", "unknown_key"),
    ("kid SQL", kid_injection("' OR 1=1--"), "token_invalid", "unknown_key"),
    ("jku to attacker", pointing_header("jku"), "token_invalid", "bad_signature"),
    ("x5u to attacker", pointing_header("x5u"), "token_invalid", "bad_signature"),
    ("embedded jwk", pointing_header("jwk"), "token_invalid", "bad_signature"),
    ("embedded x5c", pointing_header("x5c"), "token_invalid", "bad_signature"),
    ("unknown crit", header_member(crit=["exp"]), "token_malformed", None),
    ("b64 false", header_member(b64=False, crit=["b64"]), "token_malformed", None),
    ("all-zero ECDSA signature", zero_ecdsa_signature, "token_invalid", "bad_signature"),
    ("1 MB token", huge, "token_malformed", None),
    ("duplicate claims", duplicate_claims, "token_malformed", None),
    ("duplicate header members", duplicate_header, "token_malformed", None),
    ("exp missing", claims_change(exp=None), "token_invalid", "missing_claim"),
    ("exp a string", claims_change(exp="2099-01-01"), "token_malformed", None),
    ("future nbf", claims_change(nbf=3600), "token_invalid", "not_yet_valid"),
    ("future iat", claims_change(iat=3600), "token_invalid", "not_yet_valid"),
]


@pytest.mark.parametrize(
    ("name", "attack", "code", "reason"), ATTACKS, ids=[entry[0] for entry in ATTACKS]
)
def test_attack_gets_its_code_and_changes_nothing(
    gate: ServerThread,
    idp: LoopbackIdP,
    attacker: LoopbackIdP,
    name: str,
    attack: Attack,
    code: str,
    reason: str | None,
) -> None:
    token = attack(idp, attacker)
    with gate.client() as client:
        warm = client.post(
            URL, data={"jwt": idp.mint(good_claims(iss=idp.issuer), kid=rs_kid(idp))}
        )
        assert warm.status_code == 200, warm.text
        fetches = idp.jwks_requests
        response = client.post(URL, data={"jwt": token})
    assert response.status_code == 401, response.text
    body = response.json()
    assert (body["error"], body.get("reason")) == (code, reason)
    assert attacker.total_requests == 0  # nothing named inside a token is fetched
    assert idp.jwks_requests - fetches <= 1
    with gate.admin() as admin:
        events = admin.get("/admin/audit", params={"limit": 5}).json()["events"]
        status = admin.get("/admin/status").json()
    assert [event["decision"] for event in events if event["front_door"] == "authn-jwt"] == [
        "refused",
        "accepted",
    ]
    assert status["policy_version"] == 1


near_jwt = st.builds(
    lambda head, body, sig: f"{b64url(head)}.{b64url(body)}.{b64url(sig)}",
    st.one_of(st.binary(max_size=64), st.just(b'{"alg":"RS256"}'), st.just(b'{"alg":"none"}')),
    st.one_of(st.binary(max_size=64), st.just(b'{"exp":1e999}'), st.just(b"[]")),
    st.binary(max_size=64),
)
bodies = st.one_of(
    st.binary(max_size=512),
    st.text(max_size=256).map(lambda text: text.encode("utf-8", "surrogatepass")),
    near_jwt.map(lambda token: f"jwt={token}".encode()),
    st.text(max_size=64).map(lambda text: b"jwt=" + text.encode("utf-8", "replace")),
)


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
def test_fuzzed_bodies_never_cause_a_server_error(gate: ServerThread) -> None:
    with gate.client() as client:

        @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
        @given(body=bodies, content_type=st.sampled_from(["text/plain", "application/json", ""]))
        def probe(body: bytes, content_type: str) -> None:
            response = client.post(URL, content=body, headers={"Content-Type": content_type})
            assert response.status_code in {400, 401}, (body, response.text)
            assert response.json()["error"] in {
                "invalid_request",
                "token_malformed",
                "token_invalid",
            }

        probe()
        assert client.get("/healthz").status_code == 200


def test_warm_authentication_makes_no_database_query(
    backend: Backend, tmp_path: Path, idp: LoopbackIdP
) -> None:
    settings_, credential = initialised_settings(
        tmp_path / "var",
        database_url=backend.database_url,
        cache_url=backend.cache_url,
        cache_prefix=backend.cache_prefix,
        reload_interval_seconds=10,  # no poll during the measurement
        audit={"flush_interval_seconds": 60},  # audit writes happen off the request path
    )
    with ServerThread(settings_, credential) as running:
        with running.admin() as admin:
            assert admin.post("/admin/policy", content=policy(idp)).status_code == 200
        with running.client() as client:
            first = client.post(URL, data={"jwt": idp.mint(good_claims(iss=idp.issuer))})
            assert first.status_code == 200  # warms the JWKS cache
            access = ".".join(
                first.json()[p].rstrip("=") for p in ("protected", "payload", "signature")
            )
            before = running.runtime.database.query_count
            for _ in range(20):
                fresh = idp.mint(good_claims(iss=idp.issuer), kid=rs_kid(idp))
                assert client.post(URL, data={"jwt": fresh}).status_code == 200
                assert (
                    client.get("/whoami", headers={"Authorization": f"Bearer {access}"}).status_code
                    == 200
                )
            assert running.runtime.database.query_count == before
            assert running.runtime.audit.pending >= 20  # the decisions were recorded, not lost


def test_https_idp_with_ca_cert(server: ServerThread) -> None:
    with LoopbackIdP(["RS256"], tls=True) as tls_idp:
        ca = tls_idp.ca_pem.replace("\n", "\n      ")
        text = policy(tls_idp).replace(
            "    algorithms: [RS256, ES256]\n",
            f"    algorithms: [RS256, ES256]\n    ca_cert: |\n      {ca}\n",
        )
        without_ca = policy(tls_idp)
        with server.admin() as admin:
            assert admin.post("/admin/policy", content=without_ca).status_code == 200
        claims = good_claims(iss=tls_idp.issuer)
        with server.client() as client:
            untrusted = client.post(URL, data={"jwt": tls_idp.mint(claims)})
            assert untrusted.json()["error"] == "token_unprocessable"  # its CA is not trusted
        with server.admin() as admin:
            assert admin.post("/admin/policy", content=text).status_code == 200
        with server.client() as client:
            trusted = client.post(URL, data={"jwt": tls_idp.mint(claims)})
        assert trusted.status_code == 200, trusted.text


def test_body_over_the_limit_is_413(gate: ServerThread) -> None:
    with gate.client() as client:
        response = client.post(URL, content=b"jwt=" + b"a" * (1024 * 1024))
    assert response.status_code == 413
    with httpx.Client(base_url=gate.url) as client:
        assert client.get("/healthz").status_code == 200


def test_conjur_token_header_garbage_is_malformed(gate: ServerThread) -> None:
    garbage = base64.b64encode(b"not json").decode()
    with gate.client() as client:
        response = client.get("/whoami", headers={"Authorization": f'Token token="{garbage}"'})
    assert response.status_code == 401
    assert response.json()["error"] == "token_malformed"
