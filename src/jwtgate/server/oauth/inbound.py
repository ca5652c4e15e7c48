"""What the OAuth endpoints share: the form body, the request's
:class:`~jwtgate.oauth.OAuthContext`, refusals and the audit event of each decision."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from starlette.requests import Request

from jwtgate.audit import AuditEvent
from jwtgate.cache import CacheUnavailable
from jwtgate.logs import request_id_var
from jwtgate.oauth import (
    OAuthCode,
    OAuthContext,
    OAuthError,
    Presented,
    form_fields,
    parse_pairs,
    presented_credentials,
    unavailable,
)
from jwtgate.runtime import Runtime

__all__ = [
    "FORM_TYPE",
    "TokenRequest",
    "check_content_type",
    "context",
    "read_token_request",
    "record",
    "refusal",
]

log = logging.getLogger("jwtgate.oauth")

FORM_TYPE = "application/x-www-form-urlencoded"


def check_content_type(request: Request) -> None:
    """RFC 6749 §3.2: the body is form-encoded; a body declared as anything else is
    refused rather than misread (no Content-Type at all is read as a form)."""
    declared = request.headers.get("content-type")
    if declared is not None and declared.split(";")[0].strip().lower() != FORM_TYPE:
        raise OAuthError(
            OAuthCode.INVALID_REQUEST, f"the body must be {FORM_TYPE} (RFC 6749 section 3.2)"
        )


@dataclass(frozen=True)
class TokenRequest:
    """An introspection or revocation request as sent (RFC 7662 §2.1, RFC 7009 §2.1)."""

    token: str
    presented: Presented


async def read_token_request(request: Request) -> TokenRequest:
    """The ``token`` parameter (required: ``invalid_request``) and the client credentials."""
    check_content_type(request)
    fields = form_fields(parse_pairs(await request.body()))
    presented = presented_credentials(request.headers.get("authorization"), fields)
    token = fields.get("token")
    if token is None:
        raise OAuthError(OAuthCode.INVALID_REQUEST, "the token parameter is missing")
    return TokenRequest(token, presented)


def refusal(failure: OAuthError | CacheUnavailable, cache_words: str) -> OAuthError:
    """The error to answer: an OAuth refusal as it is; a shared cache that is down is
    503 ``temporarily_unavailable`` (SPEC §2.5), ``cache_words`` saying what failed."""
    return failure if isinstance(failure, OAuthError) else unavailable(cache_words)


def context(runtime: Runtime, now: float, endpoint_path: str | None = None) -> OAuthContext:
    """The request's view of the live state (no I/O: the hot path reads memory only)."""
    endpoint = f"{runtime.public_url}{endpoint_path}" if endpoint_path else None
    return OAuthContext(
        public_url=runtime.public_url,
        settings=runtime.settings.oauth,
        directory=runtime.clients,
        key_sources=runtime.key_sources,
        cache=runtime.cache,
        now=now,
        endpoint_url=endpoint,
    )


def record(
    runtime: Runtime,
    front_door: str,
    *,
    error: OAuthError | None = None,
    account: str | None = None,
    client_id: str | None = None,
    subject: str | None = None,
) -> None:
    """One audit event (SPEC §2.6): ``code`` the OAuth error, ``reason`` its §4 label."""
    if error is not None:
        log.info(
            "oauth request refused",
            extra={"front_door": front_door, "error": str(error.error), "detail": error.detail},
        )
    runtime.record(
        AuditEvent(
            time=time.time(),
            request_id=request_id_var.get(),
            front_door=front_door,
            decision="refused" if error is not None else "accepted",
            code=str(error.error) if error is not None else None,
            reason=error.label if error is not None and error.label != error.error else None,
            account=account,
            client_id=client_id,
            subject=subject,
        )
    )
