"""Rendering an AuthError as SPEC §4 says: status, JSON body and RFC 6750 challenge."""

from __future__ import annotations

from starlette.responses import JSONResponse

from jwtgate.errors import AuthError, ErrorCode
from jwtgate.server.responses import error_response

__all__ = ["auth_error_response", "challenge"]

REALM = "jwtgate"


def challenge(error: AuthError) -> str:
    """``WWW-Authenticate``: a plain challenge when no credential was sent (RFC 6750 §3)."""
    if error.code == ErrorCode.TOKEN_MISSING:
        return f'Bearer realm="{REALM}"'
    if error.code == ErrorCode.INSUFFICIENT_SCOPE:
        return f'Bearer realm="{REALM}", error="insufficient_scope"'
    return f'Bearer realm="{REALM}", error="invalid_token", error_description="{error.label}"'


def auth_error_response(error: AuthError) -> JSONResponse:
    """401 for every authentication failure, 403 for ``forbidden``/``insufficient_scope``."""
    status = 403 if error.code in (ErrorCode.FORBIDDEN, ErrorCode.INSUFFICIENT_SCOPE) else 401
    headers = {"WWW-Authenticate": challenge(error)} if status == 401 else {}
    return error_response(
        status,
        str(error.code),
        error.description,
        reason=str(error.reason) if error.reason else None,
        headers=headers,
    )
