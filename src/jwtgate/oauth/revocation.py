"""Token revocation (RFC 7009 §2, SPEC §2.3).

- An unknown, invalid, expired or already revoked token answers 200 and changes
  nothing (RFC 7009 §2.2: "invalid tokens do not cause an error response").
- A valid token issued to another client (its ``client_id`` is not the caller's,
  tokens of authn-jwt have none) is refused with ``unauthorized_client`` and changes
  nothing (RFC 7009 §2.1).
- Otherwise its ``jti`` goes to the shared revocation list, which every instance polls
  and which :class:`~jwtgate.own_tokens.OwnTokenVerifier` consults on every front door.
  The record lasts until ``exp`` plus :data:`REVOCATION_MARGIN_SECONDS`, the largest
  leeway any jwtgate verifier may be configured with (SPEC §3 ``leeway_seconds``), so
  no verifier can accept the token after the record is gone.
"""

from __future__ import annotations

from dataclasses import dataclass

from jwtgate.errors import AuthError
from jwtgate.oauth.errors import OAuthCode, OAuthError
from jwtgate.own_tokens import OwnTokenVerifier
from jwtgate.signer import KeyRing

__all__ = ["REVOCATION_MARGIN_SECONDS", "Revocation", "plan_revocation"]

REVOCATION_MARGIN_SECONDS = 300


@dataclass(frozen=True)
class Revocation:
    """A checked revocation, to carry out once the request passed every check."""

    token_id: str
    expires_at: float
    subject: str | None


async def plan_revocation(
    token: str, client_id: str, verifier: OwnTokenVerifier, keyring: KeyRing, *, now: float
) -> Revocation | None:
    """What revoking ``token`` for ``client_id`` means; None when there is nothing to do."""
    try:
        verified = await verifier.verify(token, keyring, now=now, audience=())
    except AuthError:
        return None
    claims = verified.claims
    if claims.get("client_id") != client_id:
        raise OAuthError(
            OAuthCode.UNAUTHORIZED_CLIENT,
            f"the token was not issued to client {client_id}; "
            "a client revokes only its own tokens (RFC 7009 section 2.1)",
        )
    token_id, expires = claims.get("jti"), claims["exp"]
    if not isinstance(token_id, str):
        return None
    subject = claims.get("sub")
    return Revocation(
        token_id,
        float(expires) + REVOCATION_MARGIN_SECONDS,
        subject if isinstance(subject, str) else None,
    )
