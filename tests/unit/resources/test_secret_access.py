"""Who may read and write which secret (SPEC §2.4): callers, visibility, batch ids."""

from __future__ import annotations

from typing import Any

import pytest

from jwtgate.access_tokens import wants_base64
from jwtgate.policy import compile_snapshot, load_policy
from jwtgate.secret_access import (
    Access,
    Caller,
    access,
    caller_of,
    parse_variable_ids,
)

POLICY = """\
account: cucumber
hosts:
  - id: apps/reader
  - id: apps/writer
users:
  - id: alice
variables:
  - id: db/password
    permit: {execute: [host:apps/reader, user:alice], update: [host:apps/writer]}
  - id: hidden
"""
SNAPSHOT = compile_snapshot({"cucumber": load_policy(POLICY, "policy.yaml")}, 1)


@pytest.mark.parametrize(
    ("claims", "caller"),
    [
        ({"acct": "cucumber", "sub": "host/apps/reader", "authn": "authn-jwt/x"}, Caller("cucumber", "host:apps/reader")),
        ({"acct": "cucumber", "sub": "alice", "authn": "authn-jwt/x"}, Caller("cucumber", "user:alice")),
        ({"acct": "cucumber", "sub": "alice", "authn": "client_credentials"}, None),
        ({"sub": "alice", "authn": "authn-jwt/x"}, None),
        ({"acct": "cucumber", "sub": "", "authn": "authn-jwt/x"}, None),
        ({"acct": "cucumber", "sub": ["alice"], "authn": "authn-jwt/x"}, None),
    ],
)  # fmt: skip
def test_caller_of(claims: dict[str, Any], caller: Caller | None) -> None:
    assert caller_of(claims) == caller


@pytest.mark.parametrize(
    ("ref", "account", "variable", "privilege", "outcome"),
    [
        ("host:apps/reader", "cucumber", "db/password", "execute", Access.ALLOWED),
        ("host:apps/reader", "cucumber", "db/password", "update", Access.FORBIDDEN),
        ("host:apps/writer", "cucumber", "db/password", "update", Access.ALLOWED),
        ("host:apps/writer", "cucumber", "db/password", "execute", Access.FORBIDDEN),
        ("user:alice", "cucumber", "db/password", "execute", Access.ALLOWED),
        ("host:apps/reader", "cucumber", "hidden", "execute", Access.NOT_FOUND),
        ("host:apps/reader", "cucumber", "no/such", "execute", Access.NOT_FOUND),
        ("host:apps/reader", "tomato", "db/password", "execute", Access.NOT_FOUND),
        ("user:apps/reader", "cucumber", "db/password", "execute", Access.NOT_FOUND),
    ],
)
def test_access(ref: str, account: str, variable: str, privilege: Any, outcome: Access) -> None:
    assert access(SNAPSHOT, Caller("cucumber", ref), account, variable, privilege) is outcome


def test_no_caller_sees_nothing_and_accounts_do_not_mix() -> None:
    assert access(SNAPSHOT, None, "cucumber", "db/password", "execute") is Access.NOT_FOUND
    other = Caller("tomato", "host:apps/reader")
    assert access(SNAPSHOT, other, "cucumber", "db/password", "execute") is Access.NOT_FOUND


def test_parse_variable_ids() -> None:
    assert parse_variable_ids("a:variable:x/y,b:variable:z") == [("a", "x/y"), ("b", "z")]
    for bad in (
        None,
        "",
        "a:variable:x,",
        "x",
        "a:host:x",
        ":variable:x",
        "a:variable:",
        "a:variable:x,,b:variable:y",
    ):
        with pytest.raises(ValueError):
            parse_variable_ids(bad)


@pytest.mark.parametrize(
    ("header", "wanted"),
    [("base64", True), ("gzip, BASE64", True), ("base64;q=1", True), ("gzip", False), (None, False), ("base64x", False)],
)  # fmt: skip
def test_wants_base64(header: str | None, wanted: bool) -> None:
    assert wants_base64(header) is wanted
