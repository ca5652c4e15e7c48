"""Scope rules of the token endpoint (RFC 6749 §3.3, SPEC §2.3).

- ``scope`` is a space-delimited list of scope-tokens (printable ASCII except space,
  ``"`` and ``\\``); anything else is ``invalid_scope``.
- A requested scope must be a subset of the registered ``scopes``, else
  ``invalid_scope`` naming what is not registered. When a second party also bounds the
  grant (a client presenting a trusted issuer's assertion), the scope must be within
  both.
- Without ``scope``: the registered ``default_scopes`` or, if none, every registered
  scope (restricted likewise).
- What is granted never comes from the assertion: its ``scope`` claim is not read
  (SPEC §2.3, Hydra #3255).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from jwtgate.oauth.errors import OAuthCode, OAuthError

__all__ = ["grant_scopes"]

_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def _requested(scope: str) -> tuple[str, ...]:
    tokens = scope.split(" ")
    bad = next((token for token in tokens if not _SCOPE_TOKEN.fullmatch(token)), None)
    if bad is not None:
        raise OAuthError(
            OAuthCode.INVALID_SCOPE,
            f"{ascii(bad)[:80]} is not a scope token; separate scopes by one space "
            "(RFC 6749 section 3.3)",
        )
    return tuple(dict.fromkeys(tokens))


def grant_scopes(
    requested: str | None,
    registered: Sequence[str],
    defaults: Sequence[str],
    *,
    holder: str,
    also_within: Sequence[str] | None = None,
) -> tuple[str, ...]:
    """The scopes to grant; ``holder`` ("client X") names whose registration refused."""
    limit = [s for s in registered if also_within is None or s in also_within]
    if requested is None:
        chosen = tuple(defaults) or tuple(registered)
        return tuple(s for s in chosen if s in limit)
    wanted = _requested(requested)
    missing = [s for s in wanted if s not in limit]
    if missing:
        raise OAuthError(
            OAuthCode.INVALID_SCOPE,
            f"scope {' '.join(missing)[:200]} is not registered for {holder} "
            "(RFC 6749 section 3.3)",
        )
    return wanted
