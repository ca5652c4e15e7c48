"""Exchanging the JWT for an access token at ``token_url`` (SPEC §6, §2.3).

The request is RFC 7523 §2.1: ``grant_type`` (the JWT bearer grant, or the configured
custom one) and ``assertion``, plus ``scope`` and ``format`` when configured. Client
authentication, when configured, is RFC 6749 §2.3.1 (``client_secret_basic``, with the
id and secret form-encoded before base64 as §2.3.1 asks, or ``client_secret_post``) or
RFC 7523 §2.2 (``private_key_jwt``). ``client_credentials`` (RFC 6749 §4.4) has no
``assertion``: the client assertion is the only JWT sent.

The answer is read by its media type — JSON, form-encoded or XML, the three shapes of
SPEC §2.3's ``format`` — and a refusal raises :class:`TokenRequestError` quoting the
server's ``error`` and ``error_description`` (RFC 6749 §5.2).
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

import httpx

from jwtgate.client.config import JwtAuthConfig
from jwtgate.client.errors import JwtAuthConfigError, TokenRequestError
from jwtgate.client.mint import mint, mint_client_assertion
from jwtgate.client.transport import USER_AGENT, Flow, arun, client_options, run

__all__ = [
    "CLIENT_ASSERTION_TYPE",
    "TokenResponse",
    "aexchange",
    "exchange",
    "exchange_flow",
    "read_token_response",
    "token_request",
]

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"  # RFC 7523 §2.2
_ACCEPT = {
    "json": "application/json",
    "urlencoded": "application/x-www-form-urlencoded",
    "xml": "application/xml",
}
_XML_TYPES = ("application/xml", "text/xml")


@dataclass(frozen=True)
class TokenResponse:
    """A successful token response (RFC 6749 §5.1); ``fields`` holds every member sent."""

    access_token: str = field(repr=False)
    token_type: str
    expires_in: int | None
    scope: str | None
    fields: Mapping[str, Any] = field(repr=False)


def token_request(config: JwtAuthConfig, now: float) -> httpx.Request:
    """The token request for ``config`` with JWTs minted at ``now``."""
    url = _token_url(config)
    form = {"grant_type": config.grant_type}
    if config.grant_type != "client_credentials":
        form["assertion"] = mint(config, now=now)
    headers = {"Accept": _ACCEPT[config.format or "json"], "User-Agent": USER_AGENT}
    method, client_id = config.client_auth_method, config.client_id or ""
    if method == "client_secret_basic":
        pair = f"{_form_encode(client_id)}:{_form_encode(config.client_secret or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    elif method == "client_secret_post":
        form.update(client_id=client_id, client_secret=config.client_secret or "")
    elif method == "private_key_jwt":
        form["client_assertion_type"] = CLIENT_ASSERTION_TYPE
        form["client_assertion"] = mint_client_assertion(config, url, now=now)
    elif client_id:  # a public client names itself (RFC 6749 §3.2.1)
        form["client_id"] = client_id
    if config.scope:
        form["scope"] = config.scope
    if config.format:
        form["format"] = config.format
    return httpx.Request("POST", url, data=form, headers=headers)


def read_token_response(response: httpx.Response) -> TokenResponse:
    """The token in ``response``, or :class:`TokenRequestError` saying why there is none."""
    url = str(response.request.url)
    fields = _fields(response)
    if fields is None:
        kind = response.headers.get("content-type", "no content type")
        raise TokenRequestError(
            url, response.status_code, detail=f"the body is not a token response ({kind})"
        )
    token = fields.get("access_token")
    if response.status_code != 200 or not isinstance(token, str) or not token:
        raise TokenRequestError(
            url,
            response.status_code,
            error=_text(fields.get("error")),
            error_description=_text(fields.get("error_description")),
            detail=None if "error" in fields else "the response has no access_token",
        )
    token_type = _text(fields.get("token_type")) or "Bearer"
    if token_type.lower() != "bearer":  # RFC 6750: the only type this SDK can present
        raise TokenRequestError(url, 200, detail=f"token_type {token_type!r} is not Bearer")
    return TokenResponse(
        access_token=token,
        token_type=token_type,
        expires_in=_expires_in(fields.get("expires_in"), url),
        scope=_text(fields.get("scope")),
        fields=fields,
    )


def exchange_flow(config: JwtAuthConfig, now: float) -> Flow[TokenResponse]:
    """One exchange, without I/O: yields the request, returns the parsed answer."""
    response = yield token_request(config, now)
    return read_token_response(response)


def exchange(config: JwtAuthConfig) -> TokenResponse:
    """Mint and exchange now, blocking (``jwtgate token exchange`` uses this)."""
    return run(exchange_flow(config, time.time()), _options(config))


async def aexchange(config: JwtAuthConfig) -> TokenResponse:
    """Mint and exchange now, on the running event loop."""
    return await arun(exchange_flow(config, time.time()), _options(config))


def _options(config: JwtAuthConfig) -> dict[str, Any]:
    return client_options(config.tls, config.timeout_seconds)


def _token_url(config: JwtAuthConfig) -> str:
    if config.token_url is None:
        raise JwtAuthConfigError("token_url", "missing (needed to exchange the JWT)")
    return config.token_url


def _form_encode(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _fields(response: httpx.Response) -> dict[str, Any] | None:
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        return dict(urllib.parse.parse_qsl(response.text, keep_blank_values=True))
    if media in _XML_TYPES:
        try:
            # The body comes from the configured token endpoint; expat (>= 2.4) resolves
            # no external entities and bounds entity expansion.
            root = ElementTree.fromstring(response.content)  # noqa: S314
        except ElementTree.ParseError:
            return None
        return {child.tag: child.text or "" for child in root}
    try:
        document = json.loads(response.content)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        return None
    return document if isinstance(document, dict) else None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _expires_in(value: object, url: str) -> int | None:
    """RFC 6749 §5.1 ``expires_in``: a number of seconds (text in urlencoded and XML)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise TokenRequestError(url, 200, detail="expires_in is not a number of seconds")
