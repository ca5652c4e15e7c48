"""jwtgate.policy.diff_policies and dump_policy: change lines, idempotent applies (SPEC §3)."""

from __future__ import annotations

from jwtgate.policy import diff_policies, dump_policy, load_policy

OLD = """\
account: acme
authenticators:
  - id: gitlab
    jwks_uri: https://gitlab.example.com/oauth/discovery/keys
    issuer: https://gitlab.example.com
hosts:
  - id: jwt-apps/myapp
    authenticators: [gitlab]
    claims: {project_id: "42", branch: refs/heads/main}
  - id: jwt-apps/other
    authenticators: [gitlab]
    claims: {project_id: "7"}
users:
  - id: alice
clients:
  - id: app
    secret_sha256: 3f2b7fd4def1de43a17f44f2665cac369a9523bbc753ebff5ff4cdda94946b0e
"""

NEW = """\
account: acme
authenticators:
  - id: gitlab
    jwks_uri: https://gitlab.example.com/oauth/discovery/keys
    issuer: https://gitlab.example.com
    leeway_seconds: 5
  - id: myVendor
    provider_uri: https://idp.example.com
hosts:
  - id: jwt-apps/myapp
    authenticators: [gitlab]
    claims: {project_id: "42", branch: "refs/heads/*", env: prod}
  - id: jwt-apps/other
    authenticators: [gitlab]
    claims: {project_id: "7"}
clients:
  - id: app
    jwks_uri: https://app.example.com/jwks
variables:
  - id: db/password
"""


def test_added_removed_and_changed_lines() -> None:
    assert diff_policies(load_policy(OLD), load_policy(NEW)) == [
        "~ authenticator gitlab: leeway_seconds 0 -> 5",
        "+ authenticator myVendor",
        "~ host jwt-apps/myapp: claims.branch 'refs/heads/main' -> 'refs/heads/*'",
        "~ host jwt-apps/myapp: claims.env (unset) -> 'prod'",
        "- user alice",
        "~ client app: jwks_uri null -> 'https://app.example.com/jwks'",
        "~ client app: secret_sha256 (set) -> null",
        "+ variable db/password",
    ]


def test_removed_binding_and_changed_list() -> None:
    old = load_policy(OLD)
    new = load_policy(
        OLD.replace(", branch: refs/heads/main}", "}").replace(
            "  - id: alice\n", "  - id: alice\n    claims: {}\n"
        )
        + "    scopes: [read]\n"
    )
    assert diff_policies(old, new) == [
        "~ host jwt-apps/myapp: claims.branch 'refs/heads/main' -> (unset)",
        "~ client app: scopes [] -> ['read']",
    ]


def test_opaque_values_are_named_not_printed() -> None:
    other_hash = "0" * 64
    changed = diff_policies(
        load_policy(OLD),
        load_policy(OLD.replace(OLD.split("secret_sha256: ")[1].strip(), other_hash)),
    )
    assert changed == ["~ client app: secret_sha256 changed"]


def test_identical_policies_have_no_changes() -> None:
    policy = load_policy(NEW)
    assert diff_policies(policy, load_policy(NEW)) == []
    assert diff_policies(policy, load_policy(dump_policy(policy))) == []


def test_first_apply_lists_everything() -> None:
    assert diff_policies(None, load_policy(OLD)) == [
        "+ account acme",
        "+ authenticator gitlab",
        "+ host jwt-apps/myapp",
        "+ host jwt-apps/other",
        "+ user alice",
        "+ client app",
    ]


def test_reordering_alone_is_reported() -> None:
    hosts = OLD.split("hosts:\n")[1].split("users:\n")[0]
    first, second = hosts.split("  - id: jwt-apps/other\n")
    swapped = OLD.replace(hosts, "  - id: jwt-apps/other\n" + second + first)
    assert diff_policies(load_policy(OLD), load_policy(swapped)) == ["~ order of hosts"]


def test_account_rename_is_a_change() -> None:
    assert diff_policies(load_policy(OLD), load_policy(OLD.replace("acme", "acme2"))) == [
        "~ account 'acme' -> 'acme2'"
    ]


def test_dump_writes_multiline_text_as_a_literal_block_and_no_anchors() -> None:
    policy = load_policy(
        OLD.replace('claims: {project_id: "7"}', 'claims: {project_id: "7", note: "one\\ntwo"}')
        + "trusted_issuers:\n  - issuer: https://idp.example.com\n    jwks_uri: https://idp.example.com/k\n"
        + "    subjects: ['*']\n"
    )
    assert policy.hosts[1].claims["note"] == "one\ntwo"
    text = dump_policy(policy)
    assert "note: |-\n      one\n      two\n" in text
    assert "&id" not in text and "*id" not in text
    assert "algorithms: [RS256, RS384, RS512]" in text
    assert load_policy(text) == policy
