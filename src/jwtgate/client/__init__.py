"""jwtgate's client SDK (SPEC §6).

Build a JWT from a :class:`JwtAuthConfig` (a PEM key or an HS secret, the algorithm, the
claims and headers), optionally exchange it at a token URL (RFC 7523), and attach the
result to requests with :class:`JwtBearerAuth` (httpx sync and async, requests), which
caches the token, refreshes it shortly before it expires — one refresh at a time — and
retries a request once after a 401. :class:`AuthnJwtAuth` does the same against
jwtgate's (or Conjur's) authn-jwt. docs/client.md shows each with a tested example.
"""

from jwtgate.client.auth import JwtBearerAuth
from jwtgate.client.authn_jwt import AuthnJwtAuth
from jwtgate.client.config import JwtAuthConfig
from jwtgate.client.errors import JwtAuthConfigError, TokenRequestError
from jwtgate.client.exchange import TokenResponse, aexchange, exchange
from jwtgate.client.mint import mint

__all__ = [
    "AuthnJwtAuth",
    "JwtAuthConfig",
    "JwtAuthConfigError",
    "JwtBearerAuth",
    "TokenRequestError",
    "TokenResponse",
    "aexchange",
    "exchange",
    "mint",
]
