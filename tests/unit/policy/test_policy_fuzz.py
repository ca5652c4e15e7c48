"""Hostile input: load_policy raises PolicyError and nothing else, for any text (SPEC §3)."""

from __future__ import annotations

import contextlib
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jwtgate.policy import Policy, PolicyError, dump_policy, load_policy, policy_from_dict
from jwtgate.policy.schema import Authenticator, Client, Host, Route, TrustedIssuer, Variable

FIELDS = sorted(
    {"account", "keys", "execute", "update", "kty", "crv", "x", "y", "n", "e", "use"}
    | {
        name
        for model in (Policy, Authenticator, Host, Client, TrustedIssuer, Variable, Route)
        for name in model.model_fields
    }
)
WORDS = st.sampled_from(
    [
        "self",
        "RS256",
        "HS256",
        "none",
        "EdDSA",
        "https://idp.example",
        "http://10.0.0.1/k",
        "http://127.0.0.1/k",
        "host:a",
        "user:b",
        "/api/",
        "/admin/",
        "jwt-bearer",
        "iss",
        "*",
        "a",
    ]
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | WORDS
KEYS = st.sampled_from(FIELDS) | st.text(max_size=8)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=40,
)


def outcome(text: str) -> Policy | None:
    try:
        return load_policy(text, "fuzz.yaml")
    except PolicyError as err:
        assert err.problems
        assert all(p.line >= 1 and p.column >= 1 for p in err.problems)
        return None


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    outcome(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, DATA, max_size=8))
def test_arbitrary_yaml_data(data: dict[str, Any]) -> None:
    policy = outcome(yaml.safe_dump(data, allow_unicode=True))
    if policy is not None:
        assert load_policy(dump_policy(policy)) == policy
        assert policy_from_dict(policy.model_dump(mode="json")) == policy


SMALL = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=6,
)
SECTION = st.fixed_dictionaries(
    {"account": st.sampled_from(["acme", "a b", 1])},
    optional={
        name: st.lists(st.dictionaries(KEYS, SMALL, max_size=8), max_size=2)
        for name in (
            "authenticators",
            "hosts",
            "users",
            "clients",
            "trusted_issuers",
            "variables",
            "routes",
        )
    },
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(SECTION)
def test_policy_shaped_yaml_data(data: dict[str, Any]) -> None:
    outcome(yaml.safe_dump(data, allow_unicode=True))


@settings(max_examples=200)
@given(DATA)
def test_policy_from_dict_raises_only_policy_error(data: Any) -> None:
    with contextlib.suppress(PolicyError):
        policy_from_dict(data)
