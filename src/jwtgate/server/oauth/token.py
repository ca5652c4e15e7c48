"""The token endpoint: ``POST /oauth/token`` and its alias ``POST /api/oauth/token``
(RFC 6749 §3.2, RFC 7523, SPEC §2.3).

Steps, in order: the body (a repeated parameter is ``invalid_request``) and its
``format``; ``grant_type`` (missing: ``invalid_request``; unknown:
``unsupported_grant_type``; a name in ``oauth.grant_type_aliases`` is the JWT bearer
grant); the client credentials sent (one method at most); the grant's own checks;
the single-use records; then the ``at+jwt`` is signed. An audit event records each
decision. A shared cache that cannot record single use fails the request closed with
503 (SPEC §2.5).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from fastapi import APIRouter, Request
from starlette.responses import Response

from jwtgate.cache import CacheUnavailable
from jwtgate.oauth import (
    CLIENT_CREDENTIALS,
    TOKEN_PATHS,
    Format,
    Grant,
    OAuthCode,
    OAuthContext,
    OAuthError,
    Presented,
    client_credentials_grant,
    form_fields,
    issue,
    jwt_bearer_grant,
    parse_pairs,
    presented_credentials,
    response_format,
    take_single_use,
    token_fields,
)
from jwtgate.runtime import Runtime
from jwtgate.server.oauth.inbound import check_content_type, context, record, refusal
from jwtgate.server.oauth.render import render, render_error

__all__ = ["router"]

router = APIRouter(tags=["oauth"])
FRONT_DOOR = "oauth-token"


async def _grant(ctx: OAuthContext, fields: Mapping[str, str], presented: Presented) -> Grant:
    grant_type = fields.get("grant_type")
    if grant_type is None:
        raise OAuthError(OAuthCode.INVALID_REQUEST, "the grant_type parameter is missing")
    if ctx.is_jwt_bearer(grant_type):
        return await jwt_bearer_grant(ctx, fields, presented)
    if grant_type == CLIENT_CREDENTIALS:
        return await client_credentials_grant(ctx, fields, presented)
    raise OAuthError(
        OAuthCode.UNSUPPORTED_GRANT_TYPE,
        f"grant_type {ascii(grant_type)[:100]} is not supported; use "
        "urn:ietf:params:oauth:grant-type:jwt-bearer or client_credentials",
    )


async def token_endpoint(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    now = time.time()
    fmt: Format = "json"
    client_id: str | None = None
    try:
        pairs = parse_pairs(await request.body())
        fmt = response_format(pairs)
        check_content_type(request)
        fields = form_fields(pairs)
        presented = presented_credentials(request.headers.get("authorization"), fields)
        client_id = presented.client_id
        grant = await _grant(context(runtime, now), fields, presented)
        # After verification, so that a spoofed client id throttles no one (SPEC §3).
        await runtime.rate_limiter.check_client(grant.client_id)
        await take_single_use(runtime.cache, grant.single_use)
    except (OAuthError, CacheUnavailable) as failure:
        refused = refusal(failure, "the shared cache cannot record single use now; retry later")
        record(runtime, FRONT_DOOR, error=refused, client_id=client_id)
        return render_error(refused, fmt)
    assert runtime.keyring is not None  # start() refuses to serve without keys
    issued = issue(
        grant,
        runtime.keyring,
        public_url=runtime.public_url,
        ttl=runtime.settings.oauth.access_token_ttl,
        now=now,
    )
    record(
        runtime,
        FRONT_DOOR,
        account=grant.account,
        client_id=grant.client_id,
        subject=grant.subject,
    )
    return render(token_fields(issued, grant), fmt, root="token_response")


for _path in TOKEN_PATHS:
    router.add_api_route(_path, token_endpoint, methods=["POST"], response_model=None)
