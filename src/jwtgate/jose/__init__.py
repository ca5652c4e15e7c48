"""The validation engine (DESIGN "Validation"): parse, verify and check JWTs.

It knows nothing of HTTP servers, policy files or databases. A front door calls::

    parsed = parse_token(token)                  # token_malformed, check "structure"
    verified = await validate(parsed, rules, source, now=time.time())

and renders the :class:`~jwtgate.errors.AuthError` it may raise; ``jwtgate token
inspect`` calls :func:`explain` instead. Key sources: :func:`static_source`,
:func:`jwks_uri_source`, :func:`provider_source`.
"""

from jwtgate.jose.algorithms import ALGORITHMS
from jwtgate.jose.engine import CHECK_NAMES, CheckResult, explain, validate
from jwtgate.jose.keys import (
    KeySet,
    KeySource,
    KeysUnavailable,
    RemoteKeySource,
    jwks_uri_source,
    provider_source,
    static_source,
)
from jwtgate.jose.parse import MAX_TOKEN_LENGTH, STRUCTURE_CHECK, ParsedToken, parse_token
from jwtgate.jose.rules import Rules, VerifiedToken

__all__ = [
    "ALGORITHMS",
    "CHECK_NAMES",
    "MAX_TOKEN_LENGTH",
    "STRUCTURE_CHECK",
    "CheckResult",
    "KeySet",
    "KeySource",
    "KeysUnavailable",
    "ParsedToken",
    "RemoteKeySource",
    "Rules",
    "VerifiedToken",
    "explain",
    "jwks_uri_source",
    "parse_token",
    "provider_source",
    "static_source",
    "validate",
]
