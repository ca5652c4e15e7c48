"""The Conjur-compatible authn-jwt front door (SPEC §2.1).

``POST /authn-jwt/{service_id}/{account}[/{id}]/authenticate`` with a form field
``jwt`` (read as a form whatever the Content-Type says) answers the access token as
Conjur's flattened JWS JSON, or its base64 with ``Accept-Encoding: base64``. Path
segments are split on the raw path and percent-decoded one by one, so that
``host%2Fjwt-apps%2Fmyapp`` stays one id.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from typing import Literal

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from jwtgate.access_tokens import conjur_json, mint_access_token, wants_base64
from jwtgate.audit import AuditEvent
from jwtgate.authn_jwt import AuthnRequest, authenticate, key_config
from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.jose import KeysUnavailable
from jwtgate.logs import request_id_var
from jwtgate.runtime import Runtime
from jwtgate.server.auth_errors import auth_error_response
from jwtgate.server.bearer import authorize
from jwtgate.server.responses import error_response

__all__ = ["router"]

router = APIRouter(tags=["authn-jwt"])
PREFIX = "/authn-jwt/"


def _segments(request: Request) -> list[str]:
    raw = request.scope.get("raw_path") or request.url.path.encode()
    tail = raw.decode("latin-1")[len(PREFIX) :]
    return [urllib.parse.unquote(part) for part in tail.split("/")]


def _jwt_field(body: bytes) -> str | None:
    """The ``jwt`` form field, whitespace stripped; None when missing, empty or repeated."""
    fields = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    values = fields.get("jwt", [])
    if len(values) != 1:
        return None
    return values[0].strip() or None


@router.post("/authn-jwt/{rest:path}")
async def authenticate_endpoint(request: Request) -> Response:
    parts = _segments(request)
    if len(parts) not in (3, 4) or parts[-1] != "authenticate" or not all(parts):
        return error_response(404, "not_found", "no such authn-jwt endpoint")
    service_id, account = parts[0], parts[1]
    login = parts[2] if len(parts) == 4 else None
    runtime: Runtime = request.app.state.runtime
    await runtime.rate_limiter.check_authenticator(account, service_id)
    token = _jwt_field(await request.body())
    if token is None:
        _audit(runtime, "refused", account, service_id, login, code="invalid_request")
        return error_response(400, "invalid_request", "the form field jwt is missing or empty")
    now = time.time()
    try:
        result = await authenticate(
            AuthnRequest(account, service_id, login, token),
            runtime.snapshot,
            runtime.key_sources,
            now=now,
        )
    except AuthError as error:
        _audit(runtime, "refused", account, service_id, login, error=error)
        return auth_error_response(error)
    assert runtime.keyring is not None
    issued = mint_access_token(
        runtime.keyring,
        issuer=runtime.public_url,
        subject=result.identity.login,
        audience=runtime.public_url,
        ttl_seconds=result.authenticator.token_ttl_seconds,
        account=account,
        authn=f"authn-jwt/{service_id}",
        now=now,
    )
    retention = runtime.settings.audit.claims_retention_days * 86400
    runtime.record(
        AuditEvent(
            time=now,
            request_id=request_id_var.get(),
            front_door="authn-jwt",
            decision="accepted",
            account=account,
            authenticator=service_id,
            subject=result.identity.login,
            claims=dict(result.claims) if retention else None,
            claims_expire_at=now + retention if retention else None,
        )
    )
    document = conjur_json(issued.token)
    if wants_base64(request.headers.get("accept-encoding")):
        encoded = base64.b64encode(json.dumps(document).encode())
        return Response(encoded, media_type="text/plain", headers={"Content-Encoding": "base64"})
    return JSONResponse(document)


@router.get("/authn-jwt/{rest:path}")
async def status_endpoint(request: Request) -> Response:
    """``…/{service_id}/{account}/status``: configured, enabled and keys load?"""
    parts = _segments(request)
    if len(parts) != 3 or parts[2] != "status":
        return error_response(404, "not_found", "no such authn-jwt endpoint")
    service_id, account = parts[0], parts[1]
    runtime: Runtime = request.app.state.runtime
    try:
        verified = await authorize(request, runtime)
        if verified.claims.get("acct") != account:
            raise AuthError(
                ErrorCode.TOKEN_INVALID,
                f"the token is not an access token of account {account}",
                reason=Reason.NOT_PERMITTED,
            )
    except AuthError as error:
        return auth_error_response(error)
    compiled = runtime.snapshot.accounts.get(account)
    authenticator = compiled.authenticators.get(service_id) if compiled else None
    if authenticator is None:
        return error_response(404, "not_found", f"no authenticator {service_id} in {account}")
    if not authenticator.enabled:
        return _status_error(f"authenticator {service_id} is disabled")
    try:
        keys = await runtime.key_sources.get(key_config(authenticator)).key_set()
    except KeysUnavailable as error:
        return _status_error(f"the keys of authenticator {service_id} cannot be loaded: {error}")
    if not len(keys):
        return _status_error(f"authenticator {service_id} has no usable key")
    return JSONResponse({"status": "ok"})


def _status_error(text: str) -> JSONResponse:
    return JSONResponse({"status": "error", "error": text}, status_code=500)


def _audit(
    runtime: Runtime,
    decision: Literal["accepted", "refused"],
    account: str,
    service_id: str,
    login: str | None,
    *,
    error: AuthError | None = None,
    code: str | None = None,
) -> None:
    runtime.record(
        AuditEvent(
            time=time.time(),
            request_id=request_id_var.get(),
            front_door="authn-jwt",
            decision=decision,
            code=str(error.code) if error else code,
            reason=str(error.reason) if error and error.reason else None,
            account=account,
            authenticator=service_id,
            subject=login,
        )
    )
