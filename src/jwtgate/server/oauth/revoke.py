"""``POST /oauth/revoke`` (RFC 7009 §2, SPEC §2.3): a client revokes one of its own
access tokens; every instance sharing the cache refuses it from then on, on every
front door. 200 with an empty body, also for a token that is unknown or invalid."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from starlette.responses import Response

from jwtgate.cache import CacheUnavailable
from jwtgate.oauth import OAuthError, authenticate_client, plan_revocation, take_single_use
from jwtgate.runtime import Runtime
from jwtgate.server.oauth.inbound import context, read_token_request, record, refusal
from jwtgate.server.oauth.render import NO_STORE, render_error

__all__ = ["PATH", "router"]

router = APIRouter(tags=["oauth"])
PATH = "/oauth/revoke"
FRONT_DOOR = "revoke"


@router.post(PATH, response_model=None)
async def revoke_endpoint(request: Request) -> Response:
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
        plan = await plan_revocation(
            asked.token, client_id, runtime.own_tokens, runtime.keyring, now=now
        )
        await take_single_use(runtime.cache, [client.single_use] if client.single_use else [])
        if plan is not None:
            await runtime.revocations.revoke(plan.token_id, plan.expires_at)
    except (OAuthError, CacheUnavailable) as failure:
        refused = refusal(failure, "the shared cache cannot record the revocation now")
        record(runtime, FRONT_DOOR, error=refused, client_id=client_id)
        return render_error(refused)
    record(
        runtime,
        FRONT_DOOR,
        account=client.entry.client.account,
        client_id=client_id,
        subject=plan.subject if plan is not None else None,
    )
    return Response(status_code=200, headers=NO_STORE)
