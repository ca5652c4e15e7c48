"""Bad additions to the client registry are refused with every problem named, and
change nothing (SPEC §3: the policy's rules for a client entry apply to the registry)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.integration.oauth.world import ACCOUNT, World, certificate_pem, rsa_key
from tests.support.idp import public_jwk


def pem_of(kind: str) -> str:
    now = time.time()
    if kind == "expired":
        return certificate_pem(rsa_key(), not_before=now - 7200, not_after=now - 3600)
    if kind == "future":
        return certificate_pem(rsa_key(), not_before=now + 3600)
    return certificate_pem(rsa_key(1024))


BAD_ADDITIONS: list[tuple[str, dict[str, Any], str]] = [
    ("expired certificate", {"certificate": "expired"}, "expired on"),
    ("not yet valid certificate", {"certificate": "future"}, "is not valid before"),
    ("weak certificate key", {"certificate": "weak"}, "1024 bits"),
    ("no credential", {}, "give exactly one of certificate, jwks, jwks_uri or generate_secret"),
    (
        "two credentials",
        {"generate_secret": True, "jwks_uri": "https://k.example/j"},
        "exactly one",
    ),
    ("http jwks_uri", {"jwks_uri": "http://keys.example/jwks"}, "must be https://"),
    (
        "secret with jwt-bearer",
        {"generate_secret": True, "grant_types": ["jwt-bearer"]},
        "jwt-bearer needs a key",
    ),
    (
        "default scope not a scope",
        {"generate_secret": True, "scopes": ["read"], "default_scopes": ["write"]},
        "is not one of the scopes",
    ),
    (
        "unknown grant type",
        {"generate_secret": True, "grant_types": ["password"]},
        "grant_types[0]",
    ),
    (
        "private JWK",
        {"jwks": {"keys": [public_jwk(rsa_key(), kid="k") | {"d": "AQAB"}]}},
        "private key material",
    ),
    ("unknown field", {"generate_secret": True, "colour": "blue"}, "unknown field 'colour'"),
    ("unknown account", {"generate_secret": True, "account": "tomato"}, "no applied policy"),
]


@pytest.mark.parametrize(
    ("fields", "message"),
    [case[1:] for case in BAD_ADDITIONS],
    ids=[case[0] for case in BAD_ADDITIONS],
)
def test_bad_additions_change_nothing(world: World, fields: dict[str, Any], message: str) -> None:
    if "certificate" in fields:
        fields = {**fields, "certificate": pem_of(fields["certificate"])}
    with world.admin() as admin:
        before = admin.get("/admin/clients").json()
        answer = admin.post("/admin/clients", json={"account": ACCOUNT, "id": "bad-app", **fields})
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"] == "invalid_client_metadata"
        assert any(message in problem for problem in answer.json()["problems"]), answer.json()
        assert admin.get("/admin/clients").json() == before
