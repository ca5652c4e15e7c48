"""``GET /whoami`` and ``GET /authn/check`` (SPEC §2.4): who the access token says I am."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from jwtgate.errors import AuthError
from jwtgate.runtime import Runtime
from jwtgate.scopes import scope_list
from jwtgate.server.auth_errors import auth_error_response
from jwtgate.server.bearer import authorize
from jwtgate.server.responses import error_response

__all__ = ["router"]

router = APIRouter(tags=["identity"])


@router.get("/whoami")
async def whoami(request: Request) -> Response:
    """Conjur's shape plus ``authn``, ``exp`` and ``scope``."""
    runtime: Runtime = request.app.state.runtime
    try:
        claims = (await authorize(request, runtime)).claims
    except AuthError as error:
        return auth_error_response(error)
    issued_at = datetime.fromtimestamp(float(claims.get("iat", 0)), UTC)
    return JSONResponse(
        {
            "client_ip": request.client.host if request.client else None,
            "user_agent": request.headers.get("user-agent"),
            "account": claims.get("acct"),
            "username": claims.get("sub"),
            "token_issued_at": issued_at.isoformat(timespec="milliseconds"),
            "authn": claims.get("authn"),
            "exp": claims.get("exp"),
            "scope": claims.get("scope"),
        }
    )


@router.get("/authn/check")
async def check(request: Request) -> Response:
    """204 for a valid token, else 401 with the SPEC §4 code: the "test your setup" call.

    ``?scope=a b`` also checks that the token grants those scopes (403
    ``insufficient_scope`` otherwise), as a protected API requiring them would.
    """
    runtime: Runtime = request.app.state.runtime
    try:
        scopes = scope_list(request.query_params.get("scope", "").split())
    except ValueError as error:
        return error_response(400, "invalid_request", f"scope: {error}")
    try:
        await authorize(request, runtime, scopes)
    except AuthError as error:
        return auth_error_response(error)
    return Response(status_code=204)
