"""Algorithm allow-list, keys, key selection and signature (SPEC §2.1, RFC 7515 §5.2).

The order is SPEC's: the algorithm is judged before any key is fetched, so a token
with ``alg: none`` or ``HS256`` costs nothing; a key source that cannot deliver is
``token_unprocessable`` (the token is not at fault, so never ``bad_signature``); then the
key is chosen by ``kid`` among the keys usable for the algorithm (``unknown_key``), and
only then is the signature checked (``bad_signature``).

Header fields that carry or point at keys — ``jwk``, ``x5c``, ``jku``, ``x5u`` — are
never consulted (RFC 8725 §3.10): keys come only from the configured source.

Signatures are verified by PyJWT's algorithm objects on ``cryptography`` keys loaded
when the key set was built — no hand-written crypto, no key parsing per request.
:func:`signature_valid` is the one place that turns whatever PyJWT or cryptography
raise for odd input (an all-zero ECDSA signature, a wrong-length RSA one) into "does
not verify".
"""

from __future__ import annotations

import logging

from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.jose.algorithms import ALGORITHMS, Algorithm, canonical_name, is_none
from jwtgate.jose.keys.base import KeySet, KeySource, KeysUnavailable, VerificationKey
from jwtgate.jose.parse import ParsedToken
from jwtgate.jose.rules import Rules, invalid

__all__ = [
    "check_algorithm",
    "check_signature",
    "obtain_keys",
    "select_keys",
    "signature_valid",
]

log = logging.getLogger("jwtgate.jose")


def check_algorithm(parsed: ParsedToken, rules: Rules) -> Algorithm:
    """SPEC §2.1 "algorithm allow-list": ``disallowed_algorithm`` unless the token's
    ``alg`` is both configured and one jwtgate can verify with a public key."""
    name = parsed.algorithm
    if is_none(name):
        raise invalid(Reason.DISALLOWED_ALGORITHM, "unsigned tokens (alg none) are refused")
    allowed = {canonical_name(configured) for configured in rules.algorithms}
    algorithm = ALGORITHMS.get(canonical_name(name))
    if algorithm is None or algorithm.name not in allowed:
        raise invalid(
            Reason.DISALLOWED_ALGORITHM,
            "the token's algorithm is not allowed",
            f"alg {name!a}; allowed {sorted(rules.algorithms)!a}",
        )
    return algorithm


async def obtain_keys(source: KeySource) -> KeySet:
    """SPEC §2.1 "keys", §2.5: no usable key can be had → ``token_unprocessable``."""
    try:
        return await source.key_set()
    except KeysUnavailable as error:
        raise AuthError(
            ErrorCode.TOKEN_UNPROCESSABLE,
            "the keys to verify the token cannot be obtained right now",
            detail=str(error),
        ) from error


async def select_keys(
    parsed: ParsedToken, algorithm: Algorithm, keys: KeySet, source: KeySource
) -> tuple[VerificationKey, ...]:
    """SPEC §2.1 "key selection": the usable key named by ``kid`` — or, without ``kid``,
    the only usable key for the algorithm. One cooldown-limited refetch (the provider
    may have rotated) before ``unknown_key``."""
    candidates = keys.candidates(algorithm, parsed.key_id)
    if not candidates:
        refreshed = await source.refresh("unknown_key")
        if refreshed is not None:
            candidates = refreshed.candidates(algorithm, parsed.key_id)
    if not candidates:
        which = f"kid {parsed.key_id!a}" if parsed.key_id is not None else "no kid"
        raise invalid(
            Reason.UNKNOWN_KEY,
            "no usable key matches the token",
            f"{which}, alg {parsed.algorithm!a}: no single usable {algorithm.key_type} key",
        )
    return candidates


def signature_valid(parsed: ParsedToken, algorithm: Algorithm, key: VerificationKey) -> bool:
    """True only when PyJWT says the signature verifies; any exception means it does not."""
    try:
        return algorithm.verifier.verify(parsed.signing_input, key.key, parsed.signature)
    except Exception as error:  # PyJWT/cryptography raise TypeError, ValueError… for odd input
        log.debug("signature check raised %s for %s", type(error).__name__, key.describe())
        return False


async def check_signature(
    parsed: ParsedToken,
    algorithm: Algorithm,
    candidates: tuple[VerificationKey, ...],
    source: KeySource,
) -> VerificationKey:
    """SPEC §2.1 "signature" (RFC 7515 §5.2 step 8): ``bad_signature`` unless a selected
    key verifies it — after one cooldown-limited refetch, in case the provider replaced
    a key under the same ``kid``."""
    for key in candidates:
        if signature_valid(parsed, algorithm, key):
            return key
    refreshed = await source.refresh("bad_signature")
    if refreshed is not None:
        for key in refreshed.candidates(algorithm, parsed.key_id):
            if signature_valid(parsed, algorithm, key):
                return key
    raise invalid(
        Reason.BAD_SIGNATURE,
        "the token's signature does not verify",
        f"alg {parsed.algorithm!a} with {', '.join(key.describe() for key in candidates)}",
    )
