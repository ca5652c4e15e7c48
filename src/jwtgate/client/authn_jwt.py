"""``AuthnJwtAuth``: a jwtgate (or Conjur) access token from authn-jwt (SPEC §2.1, §6).

It posts an identity provider's JWT — given, read from a file on every refresh (a
Kubernetes service-account token is rotated on disk), or minted from a
:class:`JwtAuthConfig` — as the form field ``jwt`` to
``/authn-jwt/{service_id}/{account}[/{host_id}]/authenticate``, and presents the
flattened-JSON token it gets back the way Conjur clients do:
``Authorization: Token token="<standard base64 of the JSON>"`` (SPEC §2.2). Caching,
refresh (from the token's own ``exp``) and the retry after a 401 are
:class:`RefreshingAuth`'s.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

import httpx

from jwtgate.client.auth import RefreshingAuth
from jwtgate.client.config import JwtAuthConfig
from jwtgate.client.errors import JwtAuthConfigError, TokenRequestError
from jwtgate.client.mint import mint
from jwtgate.client.tokens import Token, unverified_times
from jwtgate.client.transport import USER_AGENT, Flow, TlsOptions, client_options

__all__ = ["AuthnJwtAuth", "authenticate_url", "read_conjur_token"]

DEFAULT_TIMEOUT_SECONDS = 10.0
_PARTS = ("protected", "payload", "signature")


class AuthnJwtAuth(RefreshingAuth):
    """Authenticate at authn-jwt, then send the Conjur token on every request.

    ``host_id`` is the login as Conjur spells it (``host/jwt-apps/myapp``, or a user
    id); without it the authenticator's ``token_app_property`` finds the identity.
    Exactly one of ``jwt``, ``jwt_file`` and ``config`` gives the identity token. TLS
    follows httpx's defaults (``SSL_CERT_FILE`` is honoured) or, with ``config``, its
    ``ca_file``/``tls_verify``/client certificate and ``timeout_seconds``.
    """

    def __init__(
        self,
        base_url: str,
        account: str,
        service_id: str,
        *,
        host_id: str | None = None,
        jwt: str | None = None,
        jwt_file: str | os.PathLike[str] | None = None,
        config: JwtAuthConfig | None = None,
    ) -> None:
        super().__init__()
        sources = [
            name
            for name, value in (("jwt", jwt), ("jwt_file", jwt_file), ("config", config))
            if value is not None
        ]
        if len(sources) != 1:
            raise JwtAuthConfigError(
                "jwt", f"give exactly one of jwt, jwt_file and config (got {sources or 'none'})"
            )
        if config is not None and config.token_url is not None:
            raise JwtAuthConfigError("token_url", "authn-jwt takes the JWT itself; leave it unset")
        self.url = authenticate_url(base_url, account, service_id, host_id)
        self._jwt = jwt
        self._jwt_file = None if jwt_file is None else Path(jwt_file)
        self._config = config

    def _identity_token(self, now: float) -> str:
        if self._config is not None:
            return mint(self._config, now=now)
        if self._jwt_file is not None:
            return self._jwt_file.read_text(encoding="utf-8").strip()
        return self._jwt or ""

    def _refresh_flow(self, now: float) -> Flow[Token]:
        form = {"jwt": self._identity_token(now)}
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        response = yield httpx.Request("POST", self.url, data=form, headers=headers)
        return read_conjur_token(response, now)

    def _client_options(self) -> dict[str, Any]:
        if self._config is not None:
            return client_options(self._config.tls, self._config.timeout_seconds)
        return client_options(TlsOptions(), DEFAULT_TIMEOUT_SECONDS)


def authenticate_url(base_url: str, account: str, service_id: str, host_id: str | None) -> str:
    """SPEC §2.1: each path segment percent-encoded whole (``host%2Fjwt-apps%2Fmyapp``)."""
    for name, value in (("base_url", base_url), ("account", account), ("service_id", service_id)):
        if not value:
            raise JwtAuthConfigError(name, "missing")
    segments = [service_id, account, *([host_id] if host_id else []), "authenticate"]
    path = "/".join(urllib.parse.quote(segment, safe="") for segment in segments[:-1])
    return f"{base_url.rstrip('/')}/authn-jwt/{path}/authenticate"


def read_conjur_token(response: httpx.Response, now: float) -> Token:
    """The ``Token token="…"`` credential in a 200 answer, or :class:`TokenRequestError`
    quoting the SPEC §4 ``error``, ``reason`` and ``error_description`` of a refusal."""
    url = str(response.request.url)
    try:
        document = json.loads(response.content)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        kind = response.headers.get("content-type", "no content type")
        raise TokenRequestError(url, response.status_code, detail=f"the body is not JSON ({kind})")
    if response.status_code != httpx.codes.OK:
        raise TokenRequestError(
            url,
            response.status_code,
            error=_text(document.get("error")),
            reason=_text(document.get("reason")),
            error_description=_text(document.get("error_description")),
        )
    if not all(isinstance(document.get(part), str) for part in _PARTS):
        raise TokenRequestError(url, 200, detail="the body is not a flattened JWS token")
    credential = base64.b64encode(response.content).decode("ascii")
    authorization = f'Token token="{credential}"'
    if times := unverified_times(document["payload"]):
        return Token(authorization, *times)
    return Token(authorization, now, None)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
