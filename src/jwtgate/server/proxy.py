"""The reverse-proxy front door: policy ``routes`` (SPEC §2.4).

Pure ASGI, in front of FastAPI's routing and of the body-size limit (SPEC §2.5: the
1 MiB limit does not apply): a request whose path falls under a route's prefix
(:meth:`~jwtgate.policy.Snapshot.route_for`, longest prefix) never reaches the app.

1. **Authenticate** the ``Authorization`` credential (``Bearer`` or Conjur ``Token``)
   against what the route ``accept``\\s: ``self`` — jwtgate's access tokens whose
   ``aud`` contains the route's ``audience`` (default: the public URL), via the same
   :class:`~jwtgate.own_tokens.OwnTokenVerifier` as jwtgate's own APIs — and/or the
   listed authenticators, by their rules without identity bindings. Candidates whose
   issuer is the token's ``iss`` are tried first; the first that accepts the token
   wins, else the first candidate's error is the answer. Then the route's ``scopes``
   (403 ``insufficient_scope``). Every refusal is audited (front door ``proxy``).
2. **Forward** with httpx, streaming both ways: the request body is read from the
   client as the upstream consumes it, the response body is sent on as it arrives,
   neither is held whole. URL and headers: :mod:`jwtgate.proxy_rules`.
3. **Fail** as a gateway: a refused or broken upstream connection is 502
   ``bad_gateway``; no answer within the route's ``timeout_seconds`` (connect, each
   read, each write) is 504 ``gateway_timeout``. An upstream's own status codes,
   5xx included, are passed on unchanged. If the upstream breaks after its answer
   has begun, the client's connection is aborted, so a cut body is never mistaken
   for a whole one; if the client goes away, the upstream connection is closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jwtgate.access_tokens import credential_from_authorization
from jwtgate.audit import AuditEvent
from jwtgate.authn_jwt import find_authenticator, key_config, rules_for
from jwtgate.errors import AuthError, ErrorCode
from jwtgate.jose import VerifiedToken, parse_token, validate
from jwtgate.logs import request_id_var
from jwtgate.policy import CompiledRoute
from jwtgate.proxy_rules import DotSegment, request_headers, response_headers, upstream_url
from jwtgate.runtime import Runtime
from jwtgate.scopes import check_scopes
from jwtgate.server.auth_errors import auth_error_response
from jwtgate.server.responses import error_response

__all__ = ["ProxyMiddleware"]

log = logging.getLogger("jwtgate.proxy")
SELF = "self"


@dataclass(frozen=True)
class _RouteLabel:
    """What the request log and metrics read as the route (``scope["route"].path``)."""

    path: str


class _ClientGone(Exception):
    """The client disconnected while its body was being forwarded."""


class ProxyMiddleware:
    """Dispatch requests under a route's prefix upstream; pass everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = getattr(scope.get("app"), "state", None)  # Starlette sets scope["app"]
        runtime: Runtime | None = getattr(state, "runtime", None)
        route = None
        if runtime is not None and scope["type"] == "http":
            route = runtime.snapshot.route_for(scope["path"])
        if runtime is None or route is None:
            await self.app(scope, receive, send)
            return
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        try:
            url = upstream_url(route, raw_path.partition("?")[0], scope["query_string"])
        except DotSegment as error:
            await error_response(400, "invalid_request", str(error))(scope, receive, send)
            return
        if url is None:  # the prefix only by decoding %2F: not this route's request
            await self.app(scope, receive, send)
            return
        scope["route"] = _RouteLabel(f"proxy:{route.prefix}")
        try:
            verified = await _authenticate(runtime, route, scope)
        except AuthError as error:
            _audit(runtime, route, error)
            await auth_error_response(error)(scope, receive, send)
            return
        await _forward(runtime, route, url, verified, scope, receive, send)


def _authorization(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return None


async def _authenticate(runtime: Runtime, route: CompiledRoute, scope: Scope) -> VerifiedToken:
    token = credential_from_authorization(_authorization(scope))
    if token is None:
        raise AuthError(ErrorCode.TOKEN_MISSING, "send Authorization: Bearer <token>")
    parsed = parse_token(token)  # token_malformed, whoever the token is for
    now = time.time()
    issuer = parsed.claims.get("iss")
    candidates = sorted(route.accept, key=lambda name: _issuer(runtime, route, name) != issuer)
    first: AuthError | None = None
    for name in candidates:
        try:
            if name == SELF:
                assert runtime.keyring is not None  # start() refuses to serve without keys
                audience = route.audience or (runtime.public_url,)
                verified = await runtime.own_tokens.verify(
                    token, runtime.keyring, now=now, audience=audience
                )
            else:
                _, authenticator = find_authenticator(runtime.snapshot, route.account, name)
                source = runtime.key_sources.get(key_config(authenticator))
                verified = await validate(parsed, rules_for(authenticator), source, now=now)
        except AuthError as error:
            first = first or error
            continue
        check_scopes(verified.claims, route.scopes)
        return verified
    assert first is not None  # a route accepts at least one thing (policy schema)
    raise first


def _issuer(runtime: Runtime, route: CompiledRoute, name: str) -> str | None:
    if name == SELF:
        return runtime.public_url
    account = runtime.snapshot.accounts.get(route.account)
    authenticator = account.authenticators.get(name) if account else None
    return authenticator.issuer if authenticator else None


def _audit(runtime: Runtime, route: CompiledRoute, error: AuthError) -> None:
    runtime.record(
        AuditEvent(
            time=time.time(),
            request_id=request_id_var.get(),
            front_door="proxy",
            decision="refused",
            code=str(error.code),
            reason=str(error.reason) if error.reason else None,
            account=route.account,
        )
    )


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    """The client's body, chunk by chunk, as the upstream connection asks for it."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


async def _forward(
    runtime: Runtime,
    route: CompiledRoute,
    url: str,
    verified: VerifiedToken,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    headers = request_headers(scope["headers"], verified.claims, request_id=request_id_var.get())
    request = httpx.Request(
        scope["method"],
        url,
        headers=headers,
        content=_body(receive) if _has_body(scope) else None,
        extensions={"timeout": httpx.Timeout(route.timeout_seconds).as_dict()},
    )
    try:
        response = await runtime.proxy_client.send(request, stream=True)
    except _ClientGone:
        return
    except httpx.TimeoutException as error:
        log.warning("upstream timed out", extra={"route": route.prefix, "error": repr(error)})
        message = f"the upstream did not answer within {route.timeout_seconds:g} s"
        await error_response(504, "gateway_timeout", message)(scope, receive, send)
        return
    except httpx.HTTPError as error:
        log.warning("upstream failed", extra={"route": route.prefix, "error": repr(error)})
        message = "the upstream refused the connection or failed"
        await error_response(502, "bad_gateway", message)(scope, receive, send)
        return
    client_gone = asyncio.ensure_future(_until_disconnect(receive))
    try:
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": response_headers(response.headers.raw),
            }
        )
        async for chunk in response.aiter_raw():
            if client_gone.done():  # stop pulling a body nobody will read
                return
            await send(_chunk(chunk, more=True))
        await send(_chunk(b"", more=False))
    except httpx.HTTPError as error:
        log.warning(
            "upstream broke mid-answer", extra={"route": route.prefix, "error": repr(error)}
        )
        raise
    finally:
        client_gone.cancel()
        await response.aclose()


async def _until_disconnect(receive: Receive) -> None:
    """Wait for the client to go away. Safe once the upstream answered: httpx has sent
    the whole request body by then, so nothing else reads ``receive``."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _chunk(body: bytes, *, more: bool) -> Message:
    return {"type": "http.response.body", "body": body, "more_body": more}
