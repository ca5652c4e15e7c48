"""RFC 6749 §3.3 scope rules of SPEC §2.3: :func:`jwtgate.oauth.scopes.grant_scopes`."""

from __future__ import annotations

import pytest

from jwtgate.oauth import OAuthError
from jwtgate.oauth.scopes import grant_scopes

REGISTERED = ("read", "write", "admin")


def grant(
    requested: str | None, defaults: tuple[str, ...] = ("read",), **options: object
) -> tuple[str, ...]:
    return grant_scopes(requested, REGISTERED, defaults, holder="client c", **options)  # type: ignore[arg-type]


def test_default_scopes_without_a_request() -> None:
    assert grant(None) == ("read",)


def test_all_registered_scopes_without_defaults() -> None:
    assert grant(None, ()) == REGISTERED


def test_a_subset_is_granted_in_request_order_once() -> None:
    assert grant("write read write") == ("write", "read")


@pytest.mark.parametrize(
    "requested", ["read delete", "READ", 'read "x"', "read  write", "read\twrite"]
)
def test_anything_else_is_invalid_scope(requested: str) -> None:
    with pytest.raises(OAuthError) as refused:
        grant(requested)
    assert refused.value.error == "invalid_scope"
    assert refused.value.description.startswith("invalid_scope: ")
    assert refused.value.description.isascii()


def test_a_second_party_narrows_both_request_and_defaults() -> None:
    assert grant(None, ("read", "admin"), also_within=("read",)) == ("read",)
    with pytest.raises(OAuthError):
        grant("admin", also_within=("read", "write"))
