"""The JWT bearer grant (RFC 7523 §2.1 and §3, SPEC §2.3).

Checks, in order; the first failure is reported:

1. ``assertion`` present (``invalid_request``), structurally a JWT (``token_malformed``);
2. its ``iss`` is a registered client or a ``trusted_issuers`` entry
   (``unknown_identity``) — the keys to check it with come from that registration;
3. the engine (:func:`~jwtgate.oauth.assertions.verify_assertion`): algorithm, keys,
   signature, ``exp`` (an expired assertion is ``invalid_grant``, never a 500 — Hydra
   #2066), ``nbf``, ``iat``, the ``max_assertion_lifetime`` ceiling, ``iss``, ``aud``;
4. ``sub``: for a client it defaults to the client itself and otherwise must match one
   of its ``subjects``; for a trusted issuer it is required and must match its
   ``subjects`` (``missing_claim``, ``not_permitted``);
5. who is asking: client authentication is optional with this grant (RFC 7523 §3.1);
   when a client authenticates it must be the assertion's client (a trusted issuer's
   assertion may be presented by any client of the same account); a bare ``client_id``
   must name the ``iss``. The asking client must be registered for ``jwt-bearer``
   (``unauthorized_client``);
6. scope (:mod:`.scopes`), then single use (a replay is ``invalid_grant``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jwtgate.errors import AuthError
from jwtgate.jose import parse_token
from jwtgate.oauth.assertions import (
    Party,
    assertion_issuer,
    party_name,
    single_use,
    verify_assertion,
)
from jwtgate.oauth.client_auth import AuthenticatedClient, Presented, authenticate_client
from jwtgate.oauth.context import JWT_BEARER, OAuthContext
from jwtgate.oauth.directory import ClientEntry
from jwtgate.oauth.errors import OAuthCode, OAuthError, from_auth_error
from jwtgate.oauth.issue import Grant
from jwtgate.oauth.scopes import grant_scopes

__all__ = ["allowed_subject", "find_party", "jwt_bearer_grant"]

POLICY_NAME = "jwt-bearer"
"""The grant's name in a client's ``grant_types`` (SPEC §3)."""


def _invalid_grant(words: str, label: str | None = None) -> OAuthError:
    return OAuthError(OAuthCode.INVALID_GRANT, words, label=label)


def find_party(ctx: OAuthContext, issuer: str) -> Party:
    """The registered client or trusted issuer an assertion's ``iss`` names."""
    party: Party | None = ctx.directory.clients.get(issuer) or ctx.directory.issuers.get(issuer)
    if party is None:
        raise _invalid_grant(
            f"the assertion's iss {ascii(issuer)[:80]} is neither a registered client "
            "nor a trusted issuer",
            "unknown_identity",
        )
    return party


def allowed_subject(party: Party, claims: Mapping[str, Any], context: str) -> str:
    """RFC 7523 §3: the ``sub`` the token will carry, if the registration allows it."""
    subject = claims.get("sub")
    if subject is None:
        if isinstance(party, ClientEntry):
            return party.id  # SPEC §2.3: sub defaults to the client itself
        raise _invalid_grant(
            f"the assertion has no sub; a trusted issuer must name one ({context})",
            "missing_claim",
        )
    if not isinstance(subject, str) or not subject:
        raise _invalid_grant(f"the assertion's sub is not a string ({context})", "claim_mismatch")
    registration = party.client if isinstance(party, ClientEntry) else party.issuer
    if not registration.subject_allowed(subject):
        raise _invalid_grant(
            f"subject {ascii(subject)[:80]} is not one of the subjects registered ({context})",
            "not_permitted",
        )
    return subject


def _asking_client(
    party: Party, issuer: str, authenticated: AuthenticatedClient | None, presented: Presented
) -> ClientEntry | None:
    """The client the token is for: the authenticated one, else the assertion's own."""
    if authenticated is None:
        if presented.client_id is not None and presented.client_id != issuer:
            raise _invalid_grant("client_id is not the assertion's iss", "wrong_issuer")
        return party if isinstance(party, ClientEntry) else None
    client = authenticated.entry
    if isinstance(party, ClientEntry):
        if party.id != client.id:
            raise _invalid_grant(
                f"the assertion is of client {party.id}, but client {client.id} authenticated",
                "wrong_issuer",
            )
    elif party.issuer.account != client.client.account:
        raise _invalid_grant(
            f"client {client.id} and {party_name(party)} belong to different accounts",
            "not_permitted",
        )
    return client


async def jwt_bearer_grant(
    ctx: OAuthContext, fields: Mapping[str, str], presented: Presented
) -> Grant:
    assertion = fields.get("assertion")
    if assertion is None:
        raise OAuthError(
            OAuthCode.INVALID_REQUEST, "the assertion parameter is missing (RFC 7523 section 2.1)"
        )
    authenticated = await authenticate_client(ctx, presented) if presented.method else None
    try:
        parsed = parse_token(assertion)
    except AuthError as failure:
        raise from_auth_error(OAuthCode.INVALID_GRANT, failure, "assertion") from None
    issuer = assertion_issuer(parsed, OAuthCode.INVALID_GRANT, "assertion")
    party = find_party(ctx, issuer)
    context = f"assertion of {party_name(party)}"
    verified = await verify_assertion(
        ctx,
        parsed,
        party,
        lifetime=ctx.settings.max_assertion_lifetime,
        audiences=ctx.assertion_audiences,
        error=OAuthCode.INVALID_GRANT,
        context=context,
    )
    subject = allowed_subject(party, verified.claims, context)
    client = _asking_client(party, issuer, authenticated, presented)
    if client is not None and POLICY_NAME not in client.client.grant_types:
        raise OAuthError(
            OAuthCode.UNAUTHORIZED_CLIENT,
            f"client {client.id} is not registered for the jwt-bearer grant",
        )
    registration = party.client if isinstance(party, ClientEntry) else party.issuer
    second = client if client is not None and client is not party else None
    scopes = grant_scopes(
        fields.get("scope"),
        registration.scopes,
        registration.default_scopes,
        holder=party_name(party) + (f" and client {second.id}" if second else ""),
        also_within=second.client.scopes if second else None,
    )
    replayed = _invalid_grant(f"the assertion was already used; each is accepted once ({context})")
    records = [single_use(ctx, parsed, issuer, replayed)]
    if authenticated is not None and authenticated.single_use is not None:
        records.insert(0, authenticated.single_use)
    return Grant(
        grant_type=JWT_BEARER,
        subject=subject,
        client_id=client.id if client is not None else issuer,
        account=registration.account,
        audience=client.client.audience if client is not None else (),
        scopes=scopes,
        single_use=tuple(records),
    )
