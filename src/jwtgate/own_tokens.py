"""Verification of jwtgate's own access tokens (SPEC §2.4): the same engine, own keys.

jwtgate's APIs accept only its own tokens: ``typ`` ``at+jwt``, ``iss`` the public URL,
``aud`` containing the public URL, signed by a key in the current key ring with one
of the ring's algorithms, and not revoked.
"""

from __future__ import annotations

from collections.abc import Sequence

from jwtgate.cache import RevocationList
from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.jose import KeySource, Rules, VerifiedToken, parse_token, static_source, validate
from jwtgate.signer import KeyRing

__all__ = ["ACCESS_TOKEN_TYPE", "VERIFIED_CACHE_SIZE", "OwnTokenVerifier"]

VERIFIED_CACHE_SIZE = 10_000
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret


class OwnTokenVerifier:
    """Holds a key source built from the current ring; rebuilt only when the ring changes."""

    def __init__(self, public_url: str, revocations: RevocationList) -> None:
        self.public_url = public_url
        self.revocations = revocations
        self._ring: KeyRing | None = None
        self._source: KeySource | None = None
        self._rules: Rules | None = None
        # Tokens that passed every check, by (token, audience). A hit skips parsing and
        # the signature, but expiry and revocation are checked on every use; the cache
        # is emptied whenever the key ring changes.
        self._verified: dict[tuple[str, tuple[str, ...] | None], VerifiedToken] = {}

    def _prepare(self, ring: KeyRing) -> tuple[KeySource, Rules]:
        if ring is not self._ring or self._source is None or self._rules is None:
            self._verified.clear()
            self._source = static_source(ring.jwks())
            self._rules = Rules(
                algorithms=ring.algorithms(),
                issuer=self.public_url,
                audience=(self.public_url,),
                token_type=ACCESS_TOKEN_TYPE,
            )
            self._ring = ring
        return self._source, self._rules

    async def verify(
        self, token: str, ring: KeyRing, *, now: float, audience: Sequence[str] | None = None
    ) -> VerifiedToken:
        """Verified claims of a jwtgate access token, or AuthError with the SPEC §4 code."""
        source, rules = self._prepare(ring)
        key = (token, None if audience is None else tuple(audience))
        cached = self._verified.get(key)
        if cached is not None and now < cached.claims["exp"]:
            self._check_revocation(cached)
            return cached
        parsed = parse_token(token)
        if audience is not None:
            rules = Rules(
                algorithms=rules.algorithms,
                issuer=rules.issuer,
                audience=tuple(audience),
                token_type=rules.token_type,
            )
        verified = await validate(parsed, rules, source, now=now)
        self._check_revocation(verified)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.pop(next(iter(self._verified)))  # the oldest entry
        self._verified[key] = verified
        return verified

    def _check_revocation(self, verified: VerifiedToken) -> None:
        token_id = verified.claims.get("jti")
        if isinstance(token_id, str) and self.revocations.is_revoked(token_id):
            raise AuthError(
                ErrorCode.TOKEN_INVALID,
                "the token has been revoked",
                reason=Reason.REVOKED,
                check="revocation",
            )
