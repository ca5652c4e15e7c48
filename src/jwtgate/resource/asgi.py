"""The middleware and the FastAPI dependency that protect another API (SPEC §2.4).

Both read the credential as jwtgate's own APIs do (``Authorization: Bearer`` with any
case of the scheme, or Conjur's ``Token token="…"``; never the query string), verify
it with :class:`~jwtgate.resource.rules.TokenRules`, check the required scopes, and
refuse with the very responses jwtgate gives (:mod:`jwtgate.server.auth_errors`, one
implementation): SPEC §4 status, JSON body and ``WWW-Authenticate`` challenge.

:class:`JwtgateMiddleware` is pure ASGI (like Starlette's ``AuthenticationMiddleware``),
so bodies stream through untouched. :func:`require_token` raises :class:`TokenRefused`,
an ``HTTPException`` whose handler renders jwtgate's body; the dependency registers that
handler with the application's exception middleware the first time it refuses, so
``Depends(require_token(...))`` is all an application writes. Were that registry ever
missing, FastAPI's own ``HTTPException`` handler would still answer with the right
status and challenge.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from jwtgate.access_tokens import credential_from_authorization
from jwtgate.errors import AuthError, ErrorCode
from jwtgate.logs import request_id_var
from jwtgate.resource.rules import TokenRules
from jwtgate.scopes import check_scopes, scope_list
from jwtgate.server.auth_errors import auth_error_response

__all__ = ["JwtgateMiddleware", "TokenRefused", "authorize", "require_token"]

log = logging.getLogger("jwtgate.resource")


async def authorize(
    rules: TokenRules, scopes: Sequence[str], authorization: str | None
) -> dict[str, Any]:
    """The verified claims for an ``Authorization`` header value, or AuthError."""
    token = credential_from_authorization(authorization)
    if token is None:
        raise AuthError(ErrorCode.TOKEN_MISSING, "send Authorization: Bearer <token>")
    verified = await rules.verify(token)
    check_scopes(verified.claims, scopes)
    return dict(verified.claims)


def _refusal(error: AuthError) -> Response:
    """jwtgate's response for ``error``; a request id of our own outside jwtgate."""
    log.info("token refused", extra={"code": error.label, "detail": error.detail})
    token = request_id_var.set(uuid.uuid4().hex) if request_id_var.get() == "-" else None
    try:
        return auth_error_response(error)
    finally:
        if token is not None:
            request_id_var.reset(token)


class JwtgateMiddleware:
    """Refuse requests without a good token; put the claims on ``request.state.claims``.

    ``exclude`` lists paths served without a token: an entry matches the path exactly,
    or every path under it when it ends with ``/`` (``"/public/"``).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        rules: TokenRules,
        scopes: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.rules = rules
        self.scopes = scope_list(scopes)
        self.exact = frozenset(path for path in exclude if not path.endswith("/"))
        self.prefixes = tuple(path for path in exclude if path.endswith("/"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._excluded(scope["path"]):
            await self.app(scope, receive, send)
            return
        authorization = Headers(scope=scope).get("authorization")
        try:
            claims = await authorize(self.rules, self.scopes, authorization)
        except AuthError as error:
            await _refusal(error)(scope, receive, send)
            return
        scope.setdefault("state", {})["claims"] = claims
        await self.app(scope, receive, send)

    def _excluded(self, path: str) -> bool:
        return path in self.exact or path.startswith(self.prefixes)


class TokenRefused(HTTPException):
    """A refused token, raised by :func:`require_token`; ``response`` is jwtgate's answer."""

    def __init__(self, error: AuthError) -> None:
        self.error = error
        self.response = _refusal(error)
        challenge = self.response.headers.get("www-authenticate")
        super().__init__(
            self.response.status_code,
            error.description,
            headers={"WWW-Authenticate": challenge} if challenge else None,
        )


async def _render(_: Request, error: Exception) -> Response:
    assert isinstance(error, TokenRefused)
    return error.response


def _register_handler(request: Request) -> None:
    """Make the app's exception middleware render :class:`TokenRefused` (module docstring)."""
    handlers = request.scope.get("starlette.exception_handlers")
    if handlers is not None:
        handlers[0].setdefault(TokenRefused, _render)


def require_token(
    rules: TokenRules, scopes: Sequence[str] = ()
) -> Callable[[Request], Awaitable[dict[str, Any]]]:
    """A FastAPI dependency returning the verified claims: ``Depends(require_token(rules))``."""
    required = scope_list(scopes)

    async def dependency(request: Request) -> dict[str, Any]:
        try:
            return await authorize(rules, required, request.headers.get("authorization"))
        except AuthError as error:
            _register_handler(request)
            raise TokenRefused(error) from None

    return dependency
