"""A cached token and when to replace it (SPEC §6)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import TypeGuard

__all__ = ["Token", "unverified_times"]

REFRESH_MARGIN_SECONDS = 30.0
REFRESH_MARGIN_SHARE = 0.1


@dataclass(frozen=True, eq=False)  # compared by identity: "the token that was refused"
class Token:
    """What the auth flows attach: the ``Authorization`` value and its validity window.

    ``expires_at`` is None when the server did not say; such a token is replaced only
    after a 401.
    """

    authorization: str = field(repr=False)
    issued_at: float
    expires_at: float | None

    def needs_refresh(self, now: float) -> bool:
        """SPEC §6: refresh when less than min(30 s, 10 % of the lifetime) remains —
        early enough for a request in flight, and never a whole short lifetime early."""
        if self.expires_at is None:
            return False
        lifetime = self.expires_at - self.issued_at
        margin = min(REFRESH_MARGIN_SECONDS, REFRESH_MARGIN_SHARE * lifetime)
        return self.expires_at - now < margin


def unverified_times(compact_or_payload: str) -> tuple[float, float] | None:
    """``iat`` and ``exp`` of a JWT (or of its payload part) read *without* verifying it.

    Only to schedule a refresh of a token this client was just given by the server it
    asked; a token whose times cannot be read is None (replaced after a 401 only).
    """
    parts = compact_or_payload.split(".")
    payload = parts[1] if len(parts) == 3 else parts[0]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(claims, dict):
        return None
    issued, expires = claims.get("iat"), claims.get("exp")
    if _is_number(issued) and _is_number(expires):
        return float(issued), float(expires)
    return None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
