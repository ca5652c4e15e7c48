"""Registry additions follow the policy's rules for a client (:mod:`jwtgate.oauth.registry`)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from jwtgate.oauth.registry import ClientInvalid, validate_addition
from tests.integration.oauth.world import certificate_pem, rsa_key

NOW = datetime.now(UTC)


def test_a_secret_is_generated_and_only_its_hash_kept() -> None:
    account, document, secret = validate_addition(
        {"account": "a", "id": "s", "generate_secret": True}, NOW
    )
    assert account == "a" and secret is not None and secret.startswith("jgc_")
    assert document["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(document)
    assert document["grant_types"] == ["client_credentials"]
    assert document["subjects"] == ["s"]  # SPEC §2.3: sub defaults to the client itself


def test_a_key_client_defaults_to_both_grants() -> None:
    pem = certificate_pem(rsa_key())
    _, document, secret = validate_addition({"account": "a", "id": "c", "certificate": pem}, NOW)
    assert secret is None
    assert document["grant_types"] == ["jwt-bearer", "client_credentials"]
    assert document["certificate"] == pem


def test_every_problem_is_reported() -> None:
    with pytest.raises(ClientInvalid) as refused:
        validate_addition(
            {
                "account": "a",
                "id": "bad id",
                "generate_secret": True,
                "scopes": ["a b"],
                "audience": [],
            },
            NOW,
        )
    problems = refused.value.problems
    assert any(problem.startswith("id: ") for problem in problems)
    assert any(problem.startswith("scopes[0]: ") for problem in problems)


@pytest.mark.parametrize(
    ("request_", "problem"),
    [
        ({"account": "bad account", "id": "x", "generate_secret": True}, "account: "),
        ({"account": "a", "id": "x", "generate_secret": "yes"}, "generate_secret must be true"),
        ({"id": "x", "generate_secret": True}, "account is required"),
    ],
)
def test_request_level_problems(request_: dict[str, object], problem: str) -> None:
    with pytest.raises(ClientInvalid) as refused:
        validate_addition(request_, NOW)
    assert any(found.startswith(problem) for found in refused.value.problems), (
        refused.value.problems
    )
