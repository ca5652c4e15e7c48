"""Bearer verification for jwtgate's own APIs (SPEC §2.4), with an audit event per refusal."""

from __future__ import annotations

import time
from collections.abc import Sequence

from fastapi import Request

from jwtgate.access_tokens import credential_from_authorization
from jwtgate.audit import AuditEvent
from jwtgate.errors import AuthError, ErrorCode
from jwtgate.jose import VerifiedToken
from jwtgate.logs import request_id_var
from jwtgate.runtime import Runtime
from jwtgate.scopes import check_scopes

__all__ = ["authorize"]


async def authorize(
    request: Request, runtime: Runtime, scopes: Sequence[str] = ()
) -> VerifiedToken:
    """The verified claims of the request's jwtgate access token, or AuthError.

    ``Authorization: Bearer …`` or Conjur's ``Token token="…"``; never the query string.
    With ``scopes``, a token lacking one is 403 ``insufficient_scope`` (SPEC §2.4).
    """
    try:
        token = credential_from_authorization(request.headers.get("authorization"))
        if token is None:
            raise AuthError(
                ErrorCode.TOKEN_MISSING, "send Authorization: Bearer <jwtgate access token>"
            )
        assert runtime.keyring is not None
        verified = await runtime.own_tokens.verify(token, runtime.keyring, now=time.time())
        check_scopes(verified.claims, scopes)
        return verified
    except AuthError as error:
        runtime.record(
            AuditEvent(
                time=time.time(),
                request_id=request_id_var.get(),
                front_door="resource",
                decision="refused",
                code=str(error.code),
                reason=str(error.reason) if error.reason else None,
            )
        )
        raise
