"""Rendering an AuthError as SPEC §4 says: status, JSON body and RFC 6750 challenge."""

from __future__ import annotations

from starlette.responses import JSONResponse

from jwtgate.errors import AuthError, ErrorCode
from jwtgate.scopes import InsufficientScope
from jwtgate.server.responses import error_response

__all__ = ["auth_error_response", "challenge"]

REALM = "jwtgate"


def challenge(error: AuthError) -> str:
    """``WWW-Authenticate``: a plain challenge when no credential was sent (RFC 6750 §3);
    ``insufficient_scope`` names the scopes the resource requires (SPEC §2.4)."""
    if error.code == ErrorCode.TOKEN_MISSING:
        return f'Bearer realm="{REALM}"'
    if error.code == ErrorCode.INSUFFICIENT_SCOPE:
        required = " ".join(error.required) if isinstance(error, InsufficientScope) else ""
        return f'Bearer realm="{REALM}", error="insufficient_scope", scope="{required}"'
    return f'Bearer realm="{REALM}", error="invalid_token", error_description="{error.label}"'


def auth_error_response(error: AuthError) -> JSONResponse:
    """401 for every authentication failure, 403 for ``forbidden``/``insufficient_scope``;
    the challenge goes with every 401 and with 403 ``insufficient_scope`` (RFC 6750 §3)."""
    status = 403 if error.code in (ErrorCode.FORBIDDEN, ErrorCode.INSUFFICIENT_SCOPE) else 401
    challenged = status == 401 or error.code == ErrorCode.INSUFFICIENT_SCOPE
    headers = {"WWW-Authenticate": challenge(error)} if challenged else {}
    return error_response(
        status,
        str(error.code),
        error.description,
        reason=str(error.reason) if error.reason else None,
        headers=headers,
    )
