"""RFC 7523 §3 for both uses of a JWT at jwtgate: the grant assertion (§2.1) and the
client assertion (§2.2, ``private_key_jwt``).

Signature, ``exp``/``nbf``/``iat``, the lifetime ceiling, ``iss`` and ``aud`` are the
validation engine's checks (:func:`jwtgate.jose.validate`), given these rules
(SPEC §2.3): the issuer is the client id or the trusted issuer; ``aud`` one of
:attr:`OAuthContext.assertion_audiences`; ``exp`` required; ``oauth.leeway_seconds``;
``max_lifetime_seconds`` the lifetime bound of the use (``max_assertion_lifetime`` or
``max_client_assertion_lifetime``), which caps ``exp`` relative to *now* as well as to
``iat``, so a future ``iat`` cannot stretch it (fosite #877). This module adds only
what is specific to assertions:

- a client's X.509 certificate must be in date at request time (it may have expired
  since it was applied) and, being one key, is chosen whatever ``kid`` the header names;
- single use (SPEC §2.3): keyed by (``iss``, ``jti``) or, without a string ``jti``, by
  the SHA-256 of the canonical assertion, recorded with one atomic set-if-absent in the
  shared cache until ``exp`` + leeway. The record is built here and *taken* by
  :func:`take_single_use` only after every other check of the request passed, so a
  refused forgery never burns a ``jti`` (DESIGN "Known traps": no check-then-mark).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from jwtgate.cache import SharedCache
from jwtgate.errors import AuthError
from jwtgate.jose import ALGORITHMS, ParsedToken, Rules, VerifiedToken, validate
from jwtgate.oauth.context import OAuthContext
from jwtgate.oauth.directory import ClientEntry, IssuerEntry
from jwtgate.oauth.errors import OAuthCode, OAuthError, from_auth_error

__all__ = [
    "Party",
    "SingleUse",
    "assertion_issuer",
    "certificate_in_date",
    "party_name",
    "party_rules",
    "single_use",
    "take_single_use",
    "verify_assertion",
]

Party = ClientEntry | IssuerEntry
"""Who may sign an assertion: a registered client or a trusted issuer."""

_DATE = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class SingleUse:
    """A single-use record to take once the request passed every other check."""

    key: str
    ttl_seconds: float
    replayed: OAuthError


def party_name(party: Party) -> str:
    """``client X`` or ``trusted issuer U``, for descriptions."""
    if isinstance(party, IssuerEntry):
        return f"trusted issuer {party.issuer.issuer}"
    return f"client {party.id}"


def assertion_issuer(parsed: ParsedToken, error: OAuthCode, what: str) -> str:
    """The unverified ``iss`` that names whose keys to check the assertion with."""
    issuer = parsed.claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise OAuthError(
            error, f"the {what} has no iss string (RFC 7523 section 3)", label="missing_claim"
        )
    return issuer


def party_rules(
    ctx: OAuthContext, party: Party, lifetime: int, audiences: tuple[str, ...]
) -> Rules:
    """The engine's rules for an assertion of ``party`` (RFC 7523 §3)."""
    if isinstance(party, IssuerEntry):
        algorithms, issuer = frozenset(party.issuer.algorithms), party.issuer.issuer
    else:
        # A client registers keys, not algorithms: any asymmetric algorithm its key fits.
        algorithms, issuer = frozenset(ALGORITHMS), party.id
    return Rules(
        algorithms=algorithms,
        issuer=issuer,
        audience=audiences,
        leeway_seconds=ctx.settings.leeway_seconds,
        require_exp=True,
        max_lifetime_seconds=lifetime,
    )


def certificate_in_date(entry: ClientEntry, now: float, error: OAuthCode) -> None:
    """SPEC §3: an expired or not yet valid certificate is refused — here, at request time."""
    if entry.valid_until is not None and now > entry.valid_until.timestamp():
        when = entry.valid_until.strftime(_DATE)
        words = f"the certificate registered for client {entry.id} expired on {when}"
        raise OAuthError(error, words, label="unknown_key")
    if entry.valid_from is not None and now < entry.valid_from.timestamp():
        when = entry.valid_from.strftime(_DATE)
        words = f"the certificate registered for client {entry.id} is not valid before {when}"
        raise OAuthError(error, words, label="unknown_key")


async def verify_assertion(
    ctx: OAuthContext,
    parsed: ParsedToken,
    party: Party,
    *,
    lifetime: int,
    audiences: tuple[str, ...],
    error: OAuthCode,
    context: str,
) -> VerifiedToken:
    """Run the engine on an assertion of ``party``; failures become ``error``.

    ``context`` ("assertion of client X") ends every description, so the caller knows
    whose keys and rules were used.
    """
    keys = party.keys
    if keys is None:
        words = f"{party_name(party)} has no key registered, only a secret ({context})"
        raise OAuthError(error, words, label="unknown_key")
    if isinstance(party, ClientEntry):
        certificate_in_date(party, ctx.now, error)
        if party.valid_until is not None:  # one certificate, one key: kid does not choose
            parsed = dataclasses.replace(parsed, key_id=None)
    source = ctx.key_sources.get(keys)
    try:
        return await validate(
            parsed, party_rules(ctx, party, lifetime, audiences), source, now=ctx.now
        )
    except AuthError as failure:
        raise from_auth_error(error, failure, context) from None


def single_use(
    ctx: OAuthContext, parsed: ParsedToken, issuer: str, replayed: OAuthError
) -> SingleUse:
    """The record that makes a verified assertion single-use until ``exp`` + leeway."""
    jti = parsed.claims.get("jti")
    if isinstance(jti, str):
        name = json.dumps([issuer, jti], ensure_ascii=False)
        key = "oauth:jti:" + hashlib.sha256(name.encode("utf-8")).hexdigest()
    else:
        key = "oauth:assertion:" + hashlib.sha256(parsed.compact.encode("ascii")).hexdigest()
    expires = float(parsed.claims["exp"]) + ctx.settings.leeway_seconds
    return SingleUse(key, expires - ctx.now, replayed)


async def take_single_use(cache: SharedCache, records: Iterable[SingleUse]) -> None:
    """Take each record with one atomic set-if-absent; a replay raises its error.

    ``CacheUnavailable`` propagates: replay-protected grants fail closed (SPEC §2.5).
    """
    for record in records:
        if not await cache.add_once(record.key, record.ttl_seconds):
            raise record.replayed
