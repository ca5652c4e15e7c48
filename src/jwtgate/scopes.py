"""Required scopes of a protected resource (SPEC §2.4, §4; RFC 6750 §3.1).

A token that passed every check but lacks a scope the resource requires is refused
with 403 ``insufficient_scope``, and the challenge names the scopes the resource
requires (RFC 6750 §3: ``scope="…"``). jwtgate's own access tokens carry granted
scopes as the space-separated ``scope`` claim (RFC 9068 §2.2.3, RFC 8693 §4.2);
identity providers also use ``scp`` (Azure AD, Okta), as a string or an array — all
are read, so an authenticator's tokens can be held to route ``scopes`` as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jwtgate.errors import AuthError, ErrorCode

__all__ = ["InsufficientScope", "check_scopes", "granted_scopes", "scope_list"]

_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749 §3.3 scope-token
_CLAIMS = ("scope", "scp")


class InsufficientScope(AuthError):
    """403 ``insufficient_scope``: a valid token without every ``required`` scope."""

    def __init__(self, required: Sequence[str], missing: Sequence[str]) -> None:
        super().__init__(
            ErrorCode.INSUFFICIENT_SCOPE,
            f"the token lacks the scope {' '.join(missing)}",
            check="scope",
        )
        self.required = tuple(required)


def scope_list(scopes: Iterable[str]) -> tuple[str, ...]:
    """Configured scopes, checked: each an RFC 6749 §3.3 scope-token, else ``ValueError``.

    The check keeps the challenge's quoted ``scope="…"`` well formed (no ``"``, ``\\``
    or spaces inside a scope)."""
    if isinstance(scopes, str):
        raise TypeError("scopes is a list of strings, not a string")
    checked = tuple(dict.fromkeys(scopes))
    for scope in checked:
        if not isinstance(scope, str) or not _SCOPE_TOKEN.fullmatch(scope):
            raise ValueError(f"{scope!r} is not an RFC 6749 scope-token")
    return checked


def granted_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    """Scopes granted by ``scope`` and ``scp`` (space-separated strings or string arrays)."""
    granted: set[str] = set()
    for name in _CLAIMS:
        value = claims.get(name)
        if isinstance(value, str):
            granted.update(value.split())
        elif isinstance(value, list):
            granted.update(item for item in value if isinstance(item, str))
    return frozenset(granted)


def check_scopes(claims: Mapping[str, Any], required: Sequence[str]) -> None:
    """Raise :class:`InsufficientScope` unless every ``required`` scope was granted."""
    if not required:
        return
    granted = granted_scopes(claims)
    missing = [scope for scope in required if scope not in granted]
    if missing:
        raise InsufficientScope(required, missing)
