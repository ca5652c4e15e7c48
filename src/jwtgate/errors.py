"""The error codes of SPEC §4 and the one error type every check raises.

An error is data: a stable ``code`` (and ``reason`` for ``token_invalid``), a
user-safe ``description`` and a ``detail`` that only logs and the audit trail see.
Front doors render it in their own format; nothing here knows HTTP.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AuthError", "ErrorCode", "Reason"]


class ErrorCode(StrEnum):
    """SPEC §4 ``error`` values for authentication failures."""

    TOKEN_MISSING = "token_missing"
    TOKEN_MALFORMED = "token_malformed"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_INVALID = "token_invalid"
    TOKEN_UNPROCESSABLE = "token_unprocessable"
    FORBIDDEN = "forbidden"
    INSUFFICIENT_SCOPE = "insufficient_scope"


class Reason(StrEnum):
    """SPEC §4 ``reason`` values that refine ``token_invalid`` and ``forbidden``."""

    BAD_SIGNATURE = "bad_signature"
    WRONG_AUDIENCE = "wrong_audience"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_TYPE = "wrong_type"
    DISALLOWED_ALGORITHM = "disallowed_algorithm"
    NOT_YET_VALID = "not_yet_valid"
    MISSING_CLAIM = "missing_claim"
    CLAIM_MISMATCH = "claim_mismatch"
    UNKNOWN_KEY = "unknown_key"
    REVOKED = "revoked"
    UNKNOWN_IDENTITY = "unknown_identity"
    NOT_PERMITTED = "not_permitted"


class AuthError(Exception):
    """A refused credential: the first failing check, with its SPEC §4 code.

    ``description`` is safe to show the caller; ``detail`` may name internals (key ids,
    URLs, claim values) and goes only to logs and audit events.
    """

    def __init__(
        self,
        code: ErrorCode,
        description: str,
        *,
        reason: Reason | None = None,
        detail: str | None = None,
        check: str | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.reason = reason
        self.description = description
        self.detail = detail or description
        self.check = check

    @property
    def label(self) -> str:
        """``code`` or ``code: reason``, as in the RFC 6750 error_description."""
        return f"{self.code}: {self.reason}" if self.reason else str(self.code)

    def __repr__(self) -> str:
        return f"AuthError({self.label!r}, {self.description!r})"
