"""Required scopes (SPEC §2.4, RFC 6750 §3.1) and how the 403 is rendered."""

from __future__ import annotations

from typing import Any

import pytest

from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.scopes import InsufficientScope, check_scopes, granted_scopes, scope_list
from jwtgate.server.auth_errors import auth_error_response, challenge


@pytest.mark.parametrize(
    ("claims", "granted"),
    [
        ({"scope": "read  write"}, {"read", "write"}),
        ({"scp": ["read", 7, None]}, {"read"}),
        ({"scp": "admin"}, {"admin"}),
        ({"scope": "a", "scp": ["b"]}, {"a", "b"}),
        ({"scope": {"read": True}}, set()),
        ({}, set()),
    ],
)
def test_granted_scopes(claims: dict[str, Any], granted: set[str]) -> None:
    assert granted_scopes(claims) == granted


def test_every_required_scope_must_be_granted() -> None:
    check_scopes({"scope": "read write"}, ("write", "read"))
    check_scopes({}, ())
    with pytest.raises(InsufficientScope) as raised:
        check_scopes({"scope": "read"}, ("read", "write", "admin"))
    assert raised.value.code == ErrorCode.INSUFFICIENT_SCOPE
    assert raised.value.required == ("read", "write", "admin")
    assert raised.value.description == "the token lacks the scope write admin"


def test_scope_lists_are_checked() -> None:
    assert scope_list(["read", "write", "read"]) == ("read", "write")
    for bad in (['say "hi"'], ["back\\slash"], ["two words"], [""], [7]):
        with pytest.raises(ValueError, match="scope-token"):
            scope_list(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        scope_list("read")


def test_insufficient_scope_is_403_with_the_required_scopes() -> None:
    response = auth_error_response(InsufficientScope(("read", "write"), ("write",)))
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer realm="jwtgate", error="insufficient_scope", scope="read write"'
    )
    assert b'"error":"insufficient_scope"' in response.body


def test_other_challenges_are_unchanged() -> None:
    missing = AuthError(ErrorCode.TOKEN_MISSING, "send a token")
    assert challenge(missing) == 'Bearer realm="jwtgate"'
    expired = AuthError(ErrorCode.TOKEN_EXPIRED, "expired")
    assert challenge(expired).endswith('error_description="token_expired"')
    forbidden = AuthError(ErrorCode.FORBIDDEN, "no", reason=Reason.NOT_PERMITTED)
    response = auth_error_response(forbidden)
    assert response.status_code == 403 and "www-authenticate" not in response.headers
