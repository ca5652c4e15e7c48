"""``POST /oauth/introspect`` (RFC 7662 §2, SPEC §2.3): any authenticated client asks
whether a jwtgate access token is active. Answers JSON (RFC 7662 §2.2)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from jwtgate.cache import CacheUnavailable
from jwtgate.oauth import OAuthError, authenticate_client, introspect, take_single_use
from jwtgate.runtime import Runtime
from jwtgate.server.oauth.inbound import context, read_token_request, record, refusal
from jwtgate.server.oauth.render import NO_STORE, render_error

__all__ = ["PATH", "router"]

router = APIRouter(tags=["oauth"])
PATH = "/oauth/introspect"
FRONT_DOOR = "introspect"


@router.post(PATH, response_model=None)
async def introspect_endpoint(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    now = time.time()
    client_id: str | None = None
    try:
        asked = await read_token_request(request)
        client_id = asked.presented.client_id
        client = await authenticate_client(context(runtime, now, PATH), asked.presented)
        client_id = client.entry.id
        await runtime.rate_limiter.check_client(client_id)
        assert runtime.keyring is not None
        answer = await introspect(asked.token, runtime.own_tokens, runtime.keyring, now=now)
        await take_single_use(runtime.cache, [client.single_use] if client.single_use else [])
    except (OAuthError, CacheUnavailable) as failure:
        refused = refusal(failure, "the shared cache cannot record single use now; retry later")
        record(runtime, FRONT_DOOR, error=refused, client_id=client_id)
        return render_error(refused)
    subject = answer.get("sub")
    record(
        runtime,
        FRONT_DOOR,
        account=client.entry.client.account,
        client_id=client_id,
        subject=subject if isinstance(subject, str) else None,
    )
    return JSONResponse(answer, headers=NO_STORE)
