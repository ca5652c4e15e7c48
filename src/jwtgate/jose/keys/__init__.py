"""Key sources (DESIGN "Key sources"): one protocol, one module per source.

- :func:`static_source` — a JWK Set from configuration (``public_keys``);
- :func:`jwks_uri_source` — a JWK Set URL (``jwks_uri``);
- :func:`provider_source` — OpenID Connect Discovery (``provider_uri``).
"""

from jwtgate.jose.keys.base import KeySet, KeySource, KeysUnavailable, VerificationKey, load_jwk
from jwtgate.jose.keys.discovery import provider_source
from jwtgate.jose.keys.remote import RemoteKeySource, jwks_uri_source
from jwtgate.jose.keys.static import StaticKeySource, static_source

__all__ = [
    "KeySet",
    "KeySource",
    "KeysUnavailable",
    "RemoteKeySource",
    "StaticKeySource",
    "VerificationKey",
    "jwks_uri_source",
    "load_jwk",
    "provider_source",
    "static_source",
]
