"""OAuth 2.0 error responses as data (RFC 6749 §5.2; SPEC §2.3).

An :class:`OAuthError` carries the RFC 6749 ``error`` code, its HTTP status and an
``error_description`` that begins with the SPEC §4 reason (or code) of the failed check
and ``": "`` — ``bad_signature: the token's signature does not verify (…)`` — so that a
caller can tell which rule refused it. Checks that have no §4 reason (a missing
parameter, an unregistered scope) begin with the OAuth code itself. ``detail`` goes
only to logs and the audit trail. Nothing here knows HTTP framing: the front door
renders the error in the requested format.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from jwtgate.errors import AuthError, ErrorCode

__all__ = ["OAuthCode", "OAuthError", "from_auth_error", "unavailable"]

RETRY_AFTER_SECONDS = "5"
BASIC_CHALLENGE = 'Basic realm="jwtgate"'


class OAuthCode(StrEnum):
    """RFC 6749 §5.2 error codes (plus §2.5 ``temporarily_unavailable`` of SPEC)."""

    INVALID_REQUEST = "invalid_request"
    INVALID_CLIENT = "invalid_client"
    INVALID_GRANT = "invalid_grant"
    UNAUTHORIZED_CLIENT = "unauthorized_client"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    INVALID_SCOPE = "invalid_scope"
    TEMPORARILY_UNAVAILABLE = "temporarily_unavailable"


_STATUS = MappingProxyType(
    {
        OAuthCode.INVALID_CLIENT: 401,  # RFC 6749 §5.2; SPEC §2.3 "invalid_client (401, …)"
        OAuthCode.TEMPORARILY_UNAVAILABLE: 503,  # SPEC §2.5
    }
)


class OAuthError(Exception):
    """A refused OAuth request: ``error``, ``label: words`` description, HTTP status.

    ``label`` is the SPEC §4 reason or code of the failed check (or the OAuth code when
    there is none); ``description`` is ``f"{label}: {words}"``, user-safe ASCII.
    """

    def __init__(
        self,
        error: OAuthCode,
        words: str,
        *,
        label: str | None = None,
        detail: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.error = error
        self.label = label or str(error)
        self.description = f"{self.label}: {words}"
        self.detail = detail or self.description
        self.status = _STATUS.get(error, 400)
        self.headers: dict[str, str] = dict(headers or {})
        if error == OAuthCode.INVALID_CLIENT:
            # RFC 6749 §5.2: a 401 names the scheme a client may authenticate with
            # (HTTP requires the header on every 401); Basic is the one HTTP scheme here.
            self.headers.setdefault("WWW-Authenticate", BASIC_CHALLENGE)
        super().__init__(self.description)

    def __repr__(self) -> str:
        return f"OAuthError({self.error!s}, {self.description!r})"


def from_auth_error(error: OAuthCode, failure: AuthError, context: str) -> OAuthError:
    """An engine failure as an OAuth error: ``<reason or code>: <description> (<context>)``.

    ``token_unprocessable`` — the keys cannot be had — is not the caller's fault, so it
    becomes 503 ``temporarily_unavailable`` (SPEC §2.5) instead of ``error``.
    """
    label = str(failure.reason or failure.code)
    if failure.code == ErrorCode.TOKEN_UNPROCESSABLE:
        return unavailable(f"{failure.description} ({context})", label=label, detail=failure.detail)
    return OAuthError(
        error, f"{failure.description} ({context})", label=label, detail=failure.detail
    )


def unavailable(words: str, *, label: str | None = None, detail: str | None = None) -> OAuthError:
    """503 ``temporarily_unavailable`` with ``Retry-After`` (SPEC §2.5)."""
    return OAuthError(
        OAuthCode.TEMPORARILY_UNAVAILABLE,
        words,
        label=label,
        detail=detail,
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )
