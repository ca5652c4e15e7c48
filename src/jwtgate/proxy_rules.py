"""Reverse-proxy routes without I/O (SPEC §2.4): the upstream URL and the headers.

- **Path.** The forwarded path is the upstream URL's path joined with the request's
  raw path (percent-encoding kept, so ``%2F`` stays one segment), minus the route's
  prefix with ``strip_prefix: true``; the query string is kept as sent. The prefix is
  matched segment by segment on the raw path: a request that reaches a prefix only by
  decoding ``%2F`` is not the route's (:func:`upstream_url` gives None). A ``.`` or
  ``..`` segment, encoded or not, is refused (:class:`DotSegment`) rather than
  forwarded: the upstream would resolve it outside the route's path (the classic
  reverse-proxy traversal), and normalising it here would change what was signed off.
- **Request headers.** Removed: hop-by-hop headers (RFC 9110 §7.6.1, including those
  the ``Connection`` header names), ``Host`` (the upstream's is sent), ``Authorization``
  (the credential stays with jwtgate), ``Expect`` (jwtgate already answered it), every
  client-sent ``X-Jwtgate-*`` (so an identity can never be spoofed), and the client's
  ``X-Request-Id``, replaced by jwtgate's request id (the same when it was sane).
  ``X-Forwarded-*`` pass unchanged: the ASGI server may already have taken the client
  address from them (uvicorn's trusted proxies), and jwtgate cannot tell its own peer
  apart from that. Added: ``X-Jwtgate-Subject`` — the token's ``sub``, anything but
  printable ASCII percent-encoded (absent when the token has no string ``sub``) — and
  ``X-Jwtgate-Claims``, the unpadded base64url of the verified claims as JSON.
- **Response headers.** Hop-by-hop headers are removed, and ``Date``/``Server``,
  which the serving process sets itself.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from jwtgate.policy import CompiledRoute

__all__ = ["DotSegment", "request_headers", "response_headers", "upstream_url"]

Header = tuple[bytes, bytes]

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
_NOT_FORWARDED = HOP_BY_HOP | {b"host", b"authorization", b"expect", b"x-request-id"}
_NOT_RETURNED = HOP_BY_HOP | {b"date", b"server"}
_IDENTITY_PREFIX = b"x-jwtgate-"
_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


class DotSegment(ValueError):
    """The request path holds a ``.`` or ``..`` segment (see module docstring)."""


def upstream_url(route: CompiledRoute, raw_path: str, query_string: bytes) -> str | None:
    """The URL to forward to, or None when the raw path does not spell the prefix."""
    segments = raw_path.split("/")
    prefix = route.prefix.strip("/").split("/")
    head, tail = segments[1 : 1 + len(prefix)], segments[1 + len(prefix) :]
    if [urllib.parse.unquote(part) for part in head] != prefix:
        return None
    if any(urllib.parse.unquote(part) in (".", "..") for part in tail):
        raise DotSegment(f"the path {raw_path!r} holds a dot segment")
    upstream = urllib.parse.urlsplit(route.upstream)
    path = "/" + "/".join(tail) if route.strip_prefix else raw_path
    url = f"{upstream.scheme}://{upstream.netloc}{upstream.path.rstrip('/')}{path}"
    return f"{url}?{query_string.decode('latin-1')}" if query_string else url


def _connection_tokens(headers: Iterable[Header]) -> set[bytes]:
    return {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    }


def request_headers(
    headers: Iterable[Header],
    claims: Mapping[str, Any],
    *,
    request_id: str,
) -> list[Header]:
    """The headers sent upstream for a request whose token carried ``claims``."""
    received = list(headers)
    drop = _NOT_FORWARDED | _connection_tokens(received)
    chunked = any(name.lower() == b"transfer-encoding" for name, _ in received)
    if chunked:  # RFC 9112 §6.3: Transfer-Encoding overrides Content-Length
        drop |= {b"content-length"}
    sent = [
        (name, value)
        for name, value in received
        if name.lower() not in drop and not name.lower().startswith(_IDENTITY_PREFIX)
    ]
    sent.append((b"x-request-id", request_id.encode("latin-1")))
    subject = claims.get("sub")
    if isinstance(subject, str):
        sent.append((b"x-jwtgate-subject", urllib.parse.quote(subject, safe=_PRINTABLE).encode()))
    document = json.dumps(dict(claims), separators=(",", ":")).encode()
    sent.append((b"x-jwtgate-claims", base64.urlsafe_b64encode(document).rstrip(b"=")))
    return sent


def response_headers(headers: Iterable[Header]) -> list[Header]:
    """The upstream's response headers as the client gets them."""
    received = list(headers)
    drop = _NOT_RETURNED | _connection_tokens(received)
    return [(name, value) for name, value in received if name.lower() not in drop]
