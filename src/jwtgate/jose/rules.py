"""What an authenticator (or any other front door) requires of a token, and the result.

:class:`Rules` is plain data built by the front doors from policy or settings; the
engine never reads policy files. :func:`invalid` builds the ``token_invalid`` errors of
SPEC §4 so that every check words them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jwtgate.errors import AuthError, ErrorCode, Reason

__all__ = ["Rules", "VerifiedToken", "invalid"]


@dataclass(frozen=True)
class Rules:
    """The rules of SPEC §2.1 for one authenticator, client or resource.

    - ``algorithms``: the allow-list; the token's ``alg`` never overrides it (RFC 8725
      §3.1). Names outside :data:`~jwtgate.jose.algorithms.ALGORITHMS` (``none``,
      ``HS256``…) never take effect, even when listed.
    - ``issuer``: the required ``iss``; None leaves it to the key source (OIDC
      discovery), or unchecked when the source supplies none either.
    - ``audience``: ``aud`` must contain one of these; ``()`` = not checked.
    - ``leeway_seconds``: applied to ``exp``, ``nbf``, ``iat`` and the lifetime bound.
    - ``token_type``: when set, header ``typ`` must match (RFC 8725 §3.11).
    - ``require_exp``: ``exp`` mandatory (SPEC §2.1, RFC 7523 §3).
    - ``max_lifetime_seconds``: RFC 7523 assertions (SPEC §2.3): ``exp`` at most that far
      (plus leeway) after now and, with ``iat``, ``exp - iat`` at most that.
    """

    algorithms: frozenset[str]
    issuer: str | None = None
    audience: tuple[str, ...] = ()
    leeway_seconds: int = 0
    token_type: str | None = None
    require_exp: bool = True
    max_lifetime_seconds: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.audience, str):
            raise TypeError("Rules.audience is a tuple of strings, not a string")
        if self.leeway_seconds < 0:
            raise ValueError("Rules.leeway_seconds must not be negative")
        if self.max_lifetime_seconds is not None:
            if self.max_lifetime_seconds <= 0:
                raise ValueError("Rules.max_lifetime_seconds must be positive")
            if not self.require_exp:
                raise ValueError("a maximum lifetime needs exp: set require_exp")


@dataclass(frozen=True)
class VerifiedToken:
    """A token that passed every check; ``key_id`` is the kid of the key that verified it."""

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    algorithm: str
    key_id: str | None


def invalid(reason: Reason, description: str, detail: str | None = None) -> AuthError:
    """A ``token_invalid`` error with its SPEC §4 reason."""
    return AuthError(ErrorCode.TOKEN_INVALID, description, reason=reason, detail=detail)
