"""What one OAuth request is checked against (SPEC §2.3): built per request from the
process's live state, so the pipeline modules stay free of HTTP and of the runtime.

The public URL fixes the ``aud`` values an assertion may name (SPEC §2.3, RFC 7523 §3
item 3): the token endpoint under either alias, the public URL itself (the issuer
identifier, RFC 8414 §2), and ``oauth.assertion_audiences``.
"""

from __future__ import annotations

from dataclasses import dataclass

from jwtgate.cache import SharedCache
from jwtgate.key_sources import KeySourceRegistry
from jwtgate.oauth.directory import ClientDirectory
from jwtgate.settings import OAuthSettings

__all__ = [
    "CLIENT_ASSERTION_TYPE",
    "CLIENT_CREDENTIALS",
    "JWT_BEARER",
    "TOKEN_PATHS",
    "OAuthContext",
]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"  # RFC 7523 §2.1
CLIENT_CREDENTIALS = "client_credentials"  # RFC 6749 §4.4
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"  # RFC 7523 §2.2
TOKEN_PATHS = ("/oauth/token", "/api/oauth/token")
"""The token endpoint and its API-gateway alias (SPEC §2.3)."""


@dataclass(frozen=True)
class OAuthContext:
    """The settings, clients, key sources and shared cache of this request, at ``now``.

    ``endpoint_url`` is the URL the request was sent to: a client assertion presented
    at the introspection or revocation endpoint may name it as ``aud`` (Authlib's
    ``private_key_jwt`` does), besides the audiences every assertion may name.
    """

    public_url: str
    settings: OAuthSettings
    directory: ClientDirectory
    key_sources: KeySourceRegistry
    cache: SharedCache
    now: float
    endpoint_url: str | None = None

    @property
    def assertion_audiences(self) -> tuple[str, ...]:
        """SPEC §2.3: the ``aud`` values a grant assertion may name."""
        endpoints = tuple(f"{self.public_url}{path}" for path in TOKEN_PATHS)
        return (*endpoints, self.public_url, *self.settings.assertion_audiences)

    @property
    def client_assertion_audiences(self) -> tuple[str, ...]:
        """The same, plus the URL of the endpoint the client assertion was sent to."""
        extra = (self.endpoint_url,) if self.endpoint_url else ()
        return (*self.assertion_audiences, *extra)

    def is_jwt_bearer(self, grant_type: str) -> bool:
        """RFC 7523 §2.1, or a custom name mapped to it by ``oauth.grant_type_aliases``."""
        return grant_type == JWT_BEARER or grant_type in self.settings.grant_type_aliases
