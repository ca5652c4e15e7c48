"""The clients a process serves: policy + registry (:mod:`jwtgate.oauth.directory`)."""

from __future__ import annotations

import hashlib
import json
import logging
import time

import pytest

from jwtgate.jose import static_source
from jwtgate.oauth import ClientDirectory
from jwtgate.policy import compile_snapshot, load_policy
from tests.integration.oauth.world import certificate_pem, rsa_key

SECRET_SHA = hashlib.sha256(b"x" * 40).hexdigest()


def snapshot() -> object:
    policy = load_policy(
        f"""\
account: a
clients:
  - id: policy-app
    secret_sha256: {SECRET_SHA}
trusted_issuers:
  - issuer: https://idp.example
    jwks_uri: https://idp.example/jwks
    subjects: ["*"]
"""
    )
    return compile_snapshot({"a": policy}, 1)


async def test_a_certificate_becomes_one_key_with_its_dates() -> None:
    key = rsa_key()
    now = time.time()
    pem = certificate_pem(key, not_before=now - 60, not_after=now + 60)
    directory = ClientDirectory.build(snapshot(), [("a", {"id": "cert-app", "certificate": pem})])  # type: ignore[arg-type]
    entry = directory.clients["cert-app"]
    assert entry.origin == "registry"
    assert entry.valid_until is not None and abs(entry.valid_until.timestamp() - (now + 60)) < 2
    assert entry.keys is not None and entry.keys.public_keys_json is not None
    keys = await static_source(json.loads(entry.keys.public_keys_json)).key_set()
    assert len(keys) == 1
    assert keys.keys[0].key.public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]


def test_policy_wins_and_bad_rows_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    registered = [
        ("a", {"id": "policy-app", "secret_sha256": SECRET_SHA}),  # a race with an apply
        ("a", {"id": "https://idp.example", "secret_sha256": SECRET_SHA}),
        ("a", {"id": "broken", "secret_sha256": "not hex"}),
        ("a", {"id": "fine", "secret_sha256": SECRET_SHA}),
    ]
    with caplog.at_level(logging.ERROR, "jwtgate.oauth"):
        directory = ClientDirectory.build(snapshot(), registered)  # type: ignore[arg-type]
    assert directory.clients["policy-app"].origin == "policy"
    assert set(directory.clients) == {"policy-app", "fine"}
    assert set(directory.issuers) == {"https://idp.example"}
    assert len(caplog.records) == 3
    assert len(list(directory.key_configs())) == 1  # the trusted issuer's; secrets have none
