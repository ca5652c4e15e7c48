"""What another API requires of a bearer token: :class:`TokenRules` (SPEC §2.4).

The rules are those of an authenticator without identity bindings — issuer, keys,
audience, algorithms, leeway, optionally ``typ`` — checked by jwtgate's one validation
engine (:mod:`jwtgate.jose`), so a token gets exactly the SPEC §4 code here that
jwtgate itself would give it. Keys come from a key source of the engine (JWKS URI,
OIDC discovery or a static JWKS) with its cache, cooldown and outage rules (SPEC §2.5).

Unlike an authenticator, ``audience`` is required: an API that accepts any token its
identity provider issued, whoever it was meant for, accepts tokens stolen from every
other API of that provider (RFC 8725 §3.9).

Revocations are known only with ``cache_url`` (the shared cache jwtgate instances use,
with the same ``cache_prefix``): the list is read once before the first token is
accepted and then polled in the background, as every jwtgate instance does.

Live state (HTTP clients, the poller) belongs to one event loop; it is created on the
first call in a loop, and again if the rules are used from another loop (tests that
run an app per loop), so one ``TokenRules`` can be built at import time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jwtgate.cache import RevocationList, SharedCache, open_cache
from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.jose import ALGORITHMS, KeySet, KeySource, Rules, VerifiedToken, parse_token, validate
from jwtgate.jose.algorithms import canonical_name
from jwtgate.jose.keys.fetch import check_url
from jwtgate.key_sources import KeyConfig

__all__ = ["DEFAULT_ALGORITHMS", "JWTGATE_ALGORITHMS", "TokenRules"]

DEFAULT_ALGORITHMS = ("RS256", "RS384", "RS512")
"""An authenticator's default (SPEC §2.1)."""
JWTGATE_ALGORITHMS = ("ES256", "RS256", "EdDSA")
"""The algorithms jwtgate signs with (SPEC §2.2)."""
JWTGATE_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
JWKS_PATH = "/.well-known/jwks.json"
MAX_LEEWAY_SECONDS = 300


@dataclass
class _Live:
    """Per-event-loop state: the key source and, with a cache, the revocation list."""

    loop: asyncio.AbstractEventLoop
    source: KeySource
    cache: SharedCache | None
    revocations: RevocationList | None
    ready: asyncio.Event
    poller: asyncio.Task[None] | None


class TokenRules:
    """The rules a protected API applies to bearer tokens; see the module docstring."""

    def __init__(
        self,
        *,
        issuer: str | None = None,
        jwks_uri: str | None = None,
        provider_uri: str | None = None,
        public_keys: Mapping[str, Any] | None = None,
        audience: str | Sequence[str],
        algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
        leeway_seconds: int = 0,
        token_type: str | None = None,
        cache_url: str | None = None,
        cache_prefix: str = "jwtgate:",
    ) -> None:
        given = [n for n, v in [("jwks_uri", jwks_uri), ("provider_uri", provider_uri)] if v]
        given += ["public_keys"] if public_keys is not None else []
        if len(given) != 1:
            raise ValueError("give exactly one of jwks_uri, provider_uri, public_keys")
        if issuer is None and provider_uri is None:
            raise ValueError("issuer is required (only provider_uri discovers it)")
        for url in (jwks_uri, provider_uri):
            if url:
                check_url(url, allow_insecure_http=False)
        if public_keys is not None:
            KeySet.from_jwks(public_keys)  # ValueError unless it is a JWK Set
        audiences = (audience,) if isinstance(audience, str) else tuple(audience)
        if not audiences or not all(isinstance(a, str) and a for a in audiences):
            raise ValueError("audience must name at least one audience")
        unknown = [a for a in algorithms if canonical_name(a) not in ALGORITHMS]
        if isinstance(algorithms, str) or not algorithms or unknown:
            raise ValueError(f"algorithms must be a list of {sorted(ALGORITHMS)}; not {unknown}")
        if not 0 <= leeway_seconds <= MAX_LEEWAY_SECONDS:
            raise ValueError(f"leeway_seconds must be 0..{MAX_LEEWAY_SECONDS}")
        self.rules = Rules(
            algorithms=frozenset(algorithms),
            issuer=issuer,
            audience=audiences,
            leeway_seconds=leeway_seconds,
            token_type=token_type,
        )
        self._keys = KeyConfig.of(
            jwks_uri=jwks_uri,
            provider_uri=provider_uri,
            public_keys=public_keys,
            ca_cert=None,
            allow_insecure_http=False,
        )
        if cache_url is not None:
            open_cache(cache_url)  # ValueError for an unsupported scheme now; connects lazily
        self._cache = (cache_url, cache_prefix) if cache_url is not None else None
        self._live: _Live | None = None

    @classmethod
    def for_jwtgate(
        cls,
        public_url: str,
        audience: str | Sequence[str] | None = None,
        cache_url: str | None = None,
        cache_prefix: str = "jwtgate:",
    ) -> TokenRules:
        """jwtgate's access tokens: ``typ`` ``at+jwt``, ``iss`` the public URL, keys from
        its JWKS, ``aud`` the public URL unless ``audience`` names others (SPEC §2.4)."""
        base = public_url.rstrip("/")
        return cls(
            issuer=public_url,
            jwks_uri=base + JWKS_PATH,
            audience=audience if audience is not None else public_url,
            algorithms=JWTGATE_ALGORITHMS,
            token_type=JWTGATE_TOKEN_TYPE,
            cache_url=cache_url,
            cache_prefix=cache_prefix,
        )

    async def verify(self, token: str, *, now: float | None = None) -> VerifiedToken:
        """The verified token, or :class:`~jwtgate.errors.AuthError` with its SPEC §4 code."""
        parsed = parse_token(token)
        live = self._state()
        verified = await validate(
            parsed, self.rules, live.source, now=time.time() if now is None else now
        )
        if live.revocations is not None:
            await live.ready.wait()
            token_id = verified.claims.get("jti")
            if isinstance(token_id, str) and live.revocations.is_revoked(token_id):
                raise AuthError(
                    ErrorCode.TOKEN_INVALID,
                    "the token has been revoked",
                    reason=Reason.REVOKED,
                    check="revocation",
                )
        return verified

    async def aclose(self) -> None:
        """Stop the revocation poller and close the HTTP clients (on app shutdown)."""
        live, self._live = self._live, None
        if live is None:
            return
        if live.poller is not None:
            live.poller.cancel()
            await asyncio.gather(live.poller, return_exceptions=True)
        await live.source.aclose()
        if live.cache is not None:
            await live.cache.close()

    def _state(self) -> _Live:
        """This loop's live state, created synchronously so concurrent first calls share it."""
        loop = asyncio.get_running_loop()
        if self._live is not None and self._live.loop is loop:
            return self._live
        ready = asyncio.Event()
        cache = revocations = poller = None
        if self._cache is not None:
            url, prefix = self._cache
            cache = open_cache(url, prefix=prefix)
            revocations = RevocationList(cache)
            poller = loop.create_task(_follow(revocations, ready))
        else:
            ready.set()
        self._live = _Live(loop, self._keys.open(), cache, revocations, ready, poller)
        return self._live


async def _follow(revocations: RevocationList, ready: asyncio.Event) -> None:
    """Read the list once (so the first token is checked against it), then keep polling."""
    try:
        await revocations.refresh()
    finally:
        ready.set()
    await revocations.run()
