"""Fetching a JSON document (JWK Set or OIDC discovery) from an identity provider.

The limits are SPEC §2.1 and §2.5:

- URL scheme: ``https://``; ``http://`` only to a loopback address, or anywhere with
  ``allow_insecure_http`` (:func:`check_url`, applied to configured *and* discovered
  URLs). A key URL named inside a token is never fetched (RFC 8725 §3.10).
- Without ``ca_cert`` the operating system's trust store is used (OpenSSL's default
  paths, as ``ssl.create_default_context()`` loads them — not httpx's certifi bundle,
  so a CA an administrator installed system-wide is trusted); ``ca_cert`` (PEM)
  *replaces* it: the SSL context then trusts only that bundle.
- 5 s in total per fetch (connect, TLS, headers and body together, not per read), and
  at most 1 MiB of body, counted while streaming so a huge body is never held.
- Redirects are not followed: a redirect could lead to a scheme the rule refuses.
- Proxy environment variables are not used (``trust_env=False``): key fetches go where
  the configuration says, and loopback providers stay loopback.

Cache lifetime (:func:`cache_ttl`): ``Cache-Control: max-age`` clamped to 60 s … 24 h;
300 s when the header gives none; ``no-store``/``no-cache`` count as the 60 s floor —
jwtgate cannot refetch per request, and the cooldown would forbid it anyway.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import ssl
import urllib.parse

import httpx

__all__ = [
    "DEFAULT_TTL",
    "FETCH_TIMEOUT",
    "MAX_BODY",
    "MAX_TTL",
    "MIN_TTL",
    "FetchError",
    "cache_ttl",
    "check_url",
    "fetch_json",
    "make_client",
]

FETCH_TIMEOUT = 5.0
MAX_BODY = 1024 * 1024
MIN_TTL = 60.0
MAX_TTL = 24 * 3600.0
DEFAULT_TTL = 300.0


class FetchError(Exception):
    """A fetch that produced no usable document; the message says why (for logs)."""


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":  # RFC 6761 §6.3: always the loopback interface
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_insecure_http: bool) -> str:
    """Return ``url`` if SPEC §2.1 allows fetching keys from it, else ``ValueError``."""
    try:
        httpx.URL(url)
        parts = urllib.parse.urlsplit(url)
    except (httpx.InvalidURL, ValueError) as error:
        raise ValueError(f"{url!a} is not a valid URL: {error}") from error
    if not parts.hostname:
        raise ValueError(f"{url!a} is not an absolute URL")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and (allow_insecure_http or _is_loopback(parts.hostname)):
        return url
    if parts.scheme == "http":
        raise ValueError(
            f"{url!a}: http:// is allowed only to a loopback address "
            "or with allow_insecure_http: true"
        )
    raise ValueError(f"{url!a}: key URLs must be https:// (or http:// as allowed)")


def make_client(
    ca_cert: str | None, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    """One client per source; ``ValueError`` when ``ca_cert`` holds no PEM certificate."""
    if ca_cert is not None and "-----BEGIN CERTIFICATE-----" not in ca_cert:
        raise ValueError("ca_cert holds no PEM certificate")
    try:
        # cadata given: only that bundle is loaded; else the system store.
        verify = ssl.create_default_context(cadata=ca_cert)
    except (ssl.SSLError, ValueError) as error:
        raise ValueError(f"ca_cert is not a PEM certificate bundle: {error}") from error
    return httpx.AsyncClient(
        verify=verify,
        transport=transport,
        timeout=httpx.Timeout(FETCH_TIMEOUT),
        follow_redirects=False,
        trust_env=False,
        headers={"Accept": "application/json", "User-Agent": "jwtgate"},
    )


def cache_ttl(cache_control: str | None) -> float:
    """Seconds to keep a document, from its ``Cache-Control`` (see module docstring)."""
    directives = [part.strip().lower() for part in (cache_control or "").split(",")]
    if "no-store" in directives or "no-cache" in directives:
        return MIN_TTL
    for directive in directives:
        name, _, value = directive.partition("=")
        if name.strip() == "max-age":
            try:
                seconds = float(int(value.strip().strip('"')))
            except ValueError:
                return DEFAULT_TTL
            return min(max(seconds, MIN_TTL), MAX_TTL)
    return DEFAULT_TTL


async def _read(client: httpx.AsyncClient, url: str) -> tuple[bytes, float]:
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            raise FetchError(f"GET {url} answered HTTP {response.status_code}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            raise FetchError(f"GET {url}: body of {declared} bytes exceeds 1 MiB")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_BODY:
                raise FetchError(f"GET {url}: body exceeds 1 MiB")
        return bytes(body), cache_ttl(response.headers.get("cache-control"))


async def fetch_json(client: httpx.AsyncClient, url: str) -> tuple[object, float]:
    """GET ``url``: the parsed JSON body and its cache TTL, or :class:`FetchError`."""
    try:
        async with asyncio.timeout(FETCH_TIMEOUT):
            body, ttl = await _read(client, url)
    except TimeoutError as error:
        raise FetchError(f"GET {url}: no complete answer within {FETCH_TIMEOUT:g} s") from error
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as error:
        # ValueError: e.g. an IDNA error for a discovered host name; OSError: ssl.SSLError
        raise FetchError(f"GET {url}: {type(error).__name__}: {error}") from error
    try:
        return json.loads(body), ttl
    except (ValueError, RecursionError) as error:
        raise FetchError(f"GET {url}: the body is not JSON") from error
