"""jwtgate.policy.compile_snapshot: O(1) lookups, SPEC §3 globs, routes, immutability."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jwtgate.policy import (
    PolicyError,
    Snapshot,
    compile_snapshot,
    glob_matches,
    load_policy,
)

ACME = """\
account: acme
authenticators:
  - id: gitlab
    jwks_uri: https://gitlab.example.com/oauth/discovery/keys
    issuer: https://gitlab.example.com
    audience: conjur
    algorithms: [RS256, EdDSA]
    enforced_claims: [project_id]
    claim_aliases: {branch: ref}
    token_ttl_seconds: 900
  - id: static
    public_keys:
      keys:
        - {kty: EC, crv: P-256, x: lRjI1WfMYK9Z8Ne1F7iTluJD-MkxHLi3P6RjzR-U9UY, y: yNdau6RWnvCTstc3dyuXqrL3HB_6GRffUs5GijJQm9w}
    issuer: k8s
    algorithms: [ES256, Ed25519]
hosts:
  - id: apps/api
    authenticators: [gitlab]
    claims: {project_id: "42", branch: "refs/heads/*"}
users:
  - id: alice
    authenticators: [gitlab]
    claims: {project_id: "42"}
clients:
  - id: billing
    jwks_uri: https://billing.example.com/jwks
    grant_types: [jwt-bearer]
    subjects: ["billing-*"]
trusted_issuers:
  - {issuer: https://idp.example.com, provider_uri: https://idp.example.com, subjects: ["svc-?"]}
variables:
  - id: db/password
    permit: {execute: ["host:apps/api", "user:alice"], update: ["user:alice"]}
routes:
  - {prefix: /rest/, upstream: "http://127.0.0.1:9000/"}
  - {prefix: /rest/v1/private/, upstream: "http://127.0.0.1:9002/", accept: [gitlab]}
  - {prefix: /rest/v1/, upstream: "http://127.0.0.1:9001/"}
"""
OTHER = """\
account: other
clients:
  - {id: reports, secret_sha256: 3f2b7fd4def1de43a17f44f2665cac369a9523bbc753ebff5ff4cdda94946b0e}
routes:
  - {prefix: /reports/, upstream: "http://127.0.0.1:9100/", strip_prefix: true}
"""


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return compile_snapshot({"acme": load_policy(ACME), "other": load_policy(OTHER)}, 7)


def test_accounts_and_identities(snapshot: Snapshot) -> None:
    acme = snapshot.accounts["acme"]
    host = acme.hosts["apps/api"]
    assert (host.kind, host.login, host.ref, host.account) == (
        "host",
        "host/apps/api",
        "host:apps/api",
        "acme",
    )
    assert acme.identity("host/apps/api") is host
    assert acme.identity("alice") is acme.users["alice"]
    assert acme.users["alice"].login == "alice"
    assert acme.identity("apps/api") is None
    assert host.authenticators == frozenset({"gitlab"})
    assert [(b.claim, b.pattern) for b in host.bindings] == [
        ("project_id", "42"),
        ("branch", "refs/heads/*"),
    ]
    assert host.bindings[1].matches("refs/heads/feature/x")


def test_authenticators_are_normalised(snapshot: Snapshot) -> None:
    gitlab = snapshot.accounts["acme"].authenticators["gitlab"]
    assert gitlab.key_source_kind == "jwks_uri"
    assert gitlab.audience == ("conjur",)
    assert gitlab.algorithms == ("RS256", "EdDSA", "Ed25519")
    assert gitlab.enforced_claims == ("project_id",)
    assert gitlab.claim_aliases == {"branch": "ref"}
    static = snapshot.accounts["acme"].authenticators["static"]
    assert static.key_source_kind == "public_keys"
    assert static.algorithms == ("ES256", "Ed25519", "EdDSA")
    assert static.public_keys is not None
    assert dict(static.public_keys["keys"][0])["crv"] == "P-256"


def test_global_tables(snapshot: Snapshot) -> None:
    assert snapshot.version == 7
    billing = snapshot.clients["billing"]
    assert (billing.account, billing.credential_kind) == ("acme", "jwks_uri")
    assert billing.grant_types == frozenset({"jwt-bearer"})
    assert billing.subject_allowed("billing-eu/1") and not billing.subject_allowed("billing")
    assert snapshot.clients["reports"].account == "other"
    assert snapshot.clients["reports"].credential_kind == "secret_sha256"
    trusted = snapshot.trusted_issuers["https://idp.example.com"]
    assert trusted.key_source_kind == "provider_uri"
    assert trusted.subject_allowed("svc-a") and not trusted.subject_allowed("svc-ab")
    variable = snapshot.accounts["acme"].variables["db/password"]
    assert variable.execute == frozenset({"host:apps/api", "user:alice"})
    assert variable.update == frozenset({"user:alice"})
    assert snapshot.max_token_ttl_seconds == 900


def test_ttl_default_without_authenticators() -> None:
    assert compile_snapshot({}, 1).max_token_ttl_seconds == 480
    assert compile_snapshot({"other": load_policy(OTHER)}, 1).max_token_ttl_seconds == 480


def test_routes_longest_prefix_first(snapshot: Snapshot) -> None:
    assert [r.prefix for r in snapshot.routes] == [
        "/rest/v1/private/",
        "/reports/",
        "/rest/v1/",
        "/rest/",
    ]
    assert snapshot.route_for("/rest/v1/private/x") is snapshot.routes[0]
    assert snapshot.route_for("/rest/v1/private/") is snapshot.routes[0]
    assert snapshot.route_for("/rest/v1/users/1") is snapshot.routes[2]
    assert snapshot.route_for("/rest/v2") is snapshot.routes[3]
    assert snapshot.route_for("/rest") is None
    assert snapshot.route_for("/restful/") is None
    assert snapshot.route_for("/whoami") is None
    reports = snapshot.route_for("/reports/q?x=1")
    assert reports is not None and reports.account == "other" and reports.strip_prefix
    assert snapshot.routes[0].accept == ("gitlab",)
    assert snapshot.route_for("/" * 100_000) is None


def test_snapshot_is_immutable(snapshot: Snapshot) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.version = 8  # type: ignore[misc]
    with pytest.raises(TypeError):
        snapshot.clients["x"] = snapshot.clients["billing"]  # type: ignore[index]
    acme = snapshot.accounts["acme"]
    with pytest.raises(TypeError):
        acme.hosts["evil"] = acme.hosts["apps/api"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        acme.hosts["apps/api"].bindings = ()  # type: ignore[misc]
    static = acme.authenticators["static"]
    assert static.public_keys is not None
    with pytest.raises(TypeError):
        static.public_keys["keys"][0]["x"] = "forged"


def test_global_ids_clash_across_accounts() -> None:
    twin = OTHER.replace("account: other", "account: twin")
    with pytest.raises(PolicyError) as info:
        compile_snapshot({"other": load_policy(OTHER), "twin": load_policy(twin)}, 2)
    assert "client 'reports' is in accounts other and twin" in str(info.value)
    assert "route prefix '/reports/' is in accounts other and twin" in str(info.value)


def test_account_key_must_match_policy() -> None:
    with pytest.raises(PolicyError, match="policy of account 'other' is keyed 'acme'"):
        compile_snapshot({"acme": load_policy(OTHER)}, 1)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("refs/heads/*", "refs/heads/feature/deep/x", True),  # * crosses /
        ("refs/heads/*", "refs/heads/", True),
        ("refs/heads/*", "refs/tags/v1", False),
        ("v?", "v1", True),
        ("v?", "v12", False),
        ("v?", "v", False),
        ("a.c", "abc", False),  # . is literal
        ("a.c", "a.c", True),
        ("[ab]", "a", False),  # [ is literal
        ("[ab]", "[ab]", True),
        ("a+", "aa", False),  # + is literal
        ("a+", "a+", True),
        ("(x|y)", "x", False),
        ("^$\\d", "^$\\d", True),
        ("*", "", True),
        ("*", "line1\nline2", True),  # DOTALL
        ("?", "\n", True),
        ("", "", True),
        ("", "x", False),
        ("*a*b", "xaybzb", True),
        ("*ab*b", "abb", True),
        ("a*b*c", "abcbc", True),
        ("a*b*c", "acb", False),
        ("42", "042", False),
    ],
)
def test_glob_semantics(pattern: str, value: str, expected: bool) -> None:
    assert glob_matches(pattern, value) is expected


def reference_glob(pattern: str, value: str) -> bool:
    """Textbook dynamic programming over (pattern, value) prefixes."""
    row = [True] + [False] * len(value)
    for char in pattern:
        if char == "*":
            row = [any(row[: i + 1]) for i in range(len(value) + 1)]
        else:
            row = [False] + [
                row[i] and (char == "?" or char == value[i]) for i in range(len(value))
            ]
    return row[-1]


@given(st.text(alphabet="ab*?.", max_size=8), st.text(alphabet="ab.\n", max_size=10))
def test_glob_matches_the_reference(pattern: str, value: str) -> None:
    assert glob_matches(pattern, value) is reference_glob(pattern, value)


def test_binding_matcher_is_a_compiled_fullmatch_regex(snapshot: Snapshot) -> None:
    binding = snapshot.accounts["acme"].hosts["apps/api"].bindings[1]
    assert isinstance(binding.matcher, re.Pattern)
    assert binding.matcher.flags & re.DOTALL
    assert binding.matches("refs/heads/main") and not binding.matches("xrefs/heads/main")
