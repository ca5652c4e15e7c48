"""Keys found through OpenID Connect Discovery (policy ``provider_uri``, SPEC §2.1).

``GET {provider_uri}/.well-known/openid-configuration`` (OpenID Connect Discovery 1.0
§4) gives ``issuer`` and ``jwks_uri``. Rules:

- the document's ``issuer`` must be the provider URI itself (Discovery §4.3, ignoring a
  trailing ``/``) — otherwise one provider could vouch for another's tokens;
- the discovered ``jwks_uri`` must pass the same scheme rule as a configured one;
- the issuer becomes the source's :attr:`~RemoteKeySource.issuer`, which the engine's
  ``iss`` check uses when the authenticator sets no ``issuer`` (SPEC §2.1).

The discovery result is kept while JWK Set fetches succeed; a failed fetch forgets it,
so the next attempt (after the cooldown) discovers again. Caching, cooldown, single
flight and stale keys are those of :class:`~jwtgate.jose.keys.remote.RemoteKeySource`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx

from jwtgate.jose.keys.fetch import FetchError, check_url, fetch_json, make_client
from jwtgate.jose.keys.remote import Clock, Fetched, RemoteKeySource, load_jwks

__all__ = ["WELL_KNOWN", "provider_source"]

WELL_KNOWN = "/.well-known/openid-configuration"


class _Discovery:
    """Loads discovery (when not known) and then the JWK Set it names."""

    def __init__(self, provider_uri: str, client: httpx.AsyncClient, *, insecure: bool) -> None:
        self.provider_uri = provider_uri
        self.client = client
        self.insecure = insecure
        self.found: tuple[str, str] | None = None  # (issuer, jwks_uri)

    async def discover(self) -> tuple[str, str]:
        url = self.provider_uri.rstrip("/") + WELL_KNOWN
        document, _ = await fetch_json(self.client, url)
        if not isinstance(document, Mapping):
            raise FetchError(f"GET {url}: not a JSON object")
        issuer, jwks_uri = document.get("issuer"), document.get("jwks_uri")
        if not isinstance(issuer, str) or issuer.rstrip("/") != self.provider_uri.rstrip("/"):
            raise FetchError(f"GET {url}: issuer {issuer!a} is not the provider URI")
        if not isinstance(jwks_uri, str):
            raise FetchError(f"GET {url}: no jwks_uri")
        try:
            check_url(jwks_uri, allow_insecure_http=self.insecure)
        except ValueError as error:
            raise FetchError(f"GET {url}: discovered {error}") from error
        return issuer, jwks_uri

    async def __call__(self) -> Fetched:
        found = self.found or await self.discover()
        self.found = None
        keys, ttl = await load_jwks(self.client, found[1])
        self.found = found
        return Fetched(keys, ttl, issuer=found[0])


def provider_source(
    provider_uri: str,
    *,
    ca_cert: str | None = None,
    allow_insecure_http: bool = False,
    clock: Clock = time.time,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RemoteKeySource:
    """Keys and issuer of an OpenID provider; ``ValueError`` for a refused URI."""
    check_url(provider_uri, allow_insecure_http=allow_insecure_http)
    client = make_client(ca_cert, transport)
    load = _Discovery(provider_uri, client, insecure=allow_insecure_http)
    return RemoteKeySource(load, client, label=f"provider_uri {provider_uri}", clock=clock)
