"""The authn-jwt pipeline (SPEC §2.1), without HTTP: a JWT in, a host or user out.

Checks run in SPEC order and the first failure is raised as an AuthError whose
``check`` names it: ``structure`` → ``authenticator`` → the engine's checks
(algorithm … audience) → ``identity`` → ``permitted`` → ``claim_bindings``. An
unknown account, an unknown or disabled authenticator and an unknown identity give
one indistinguishable error, so that none of them can be probed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.jose import ParsedToken, Rules, parse_token, validate
from jwtgate.key_sources import KeyConfig, KeySourceRegistry
from jwtgate.policy import CompiledAccount, CompiledAuthenticator, CompiledIdentity, Snapshot

__all__ = [
    "UNKNOWN_IDENTITY_DESCRIPTION",
    "Authenticated",
    "AuthnRequest",
    "authenticate",
    "claim_matches",
    "key_config",
    "lookup_claim",
]

UNKNOWN_IDENTITY_DESCRIPTION = "the account, authenticator or identity is unknown or disabled"
_ABSENT = object()


@dataclass(frozen=True)
class AuthnRequest:
    account: str
    service_id: str
    login: str | None  # the URL's id, percent-decoded; None for the short URL form
    token: str


@dataclass(frozen=True)
class Authenticated:
    authenticator: CompiledAuthenticator
    identity: CompiledIdentity
    claims: Mapping[str, Any]


def key_config(authenticator: CompiledAuthenticator) -> KeyConfig:
    return KeyConfig.of(
        jwks_uri=authenticator.jwks_uri,
        provider_uri=authenticator.provider_uri,
        public_keys=authenticator.public_keys,
        ca_cert=authenticator.ca_cert,
        allow_insecure_http=authenticator.allow_insecure_http,
    )


def rules_for(authenticator: CompiledAuthenticator) -> Rules:
    """The engine's rules for an authenticator (``issuer`` None: discovery supplies it)."""
    return Rules(
        algorithms=frozenset(authenticator.algorithms),
        issuer=authenticator.issuer,
        audience=authenticator.audience,
        leeway_seconds=authenticator.leeway_seconds,
    )


def _unknown(detail: str, check: str) -> AuthError:
    return AuthError(
        ErrorCode.TOKEN_INVALID,
        UNKNOWN_IDENTITY_DESCRIPTION,
        reason=Reason.UNKNOWN_IDENTITY,
        detail=detail,
        check=check,
    )


def find_authenticator(
    snapshot: Snapshot, account_name: str, service_id: str
) -> tuple[CompiledAccount, CompiledAuthenticator]:
    account = snapshot.accounts.get(account_name)
    authenticator = account.authenticators.get(service_id) if account else None
    if account is None or authenticator is None or not authenticator.enabled:
        raise _unknown(
            f"no enabled authenticator {service_id} in account {account_name}", "authenticator"
        )
    return account, authenticator


async def authenticate(
    request: AuthnRequest, snapshot: Snapshot, sources: KeySourceRegistry, *, now: float
) -> Authenticated:
    parsed: ParsedToken = parse_token(request.token)
    account, authenticator = find_authenticator(snapshot, request.account, request.service_id)
    source = sources.get(key_config(authenticator))
    verified = await validate(parsed, rules_for(authenticator), source, now=now)
    identity = resolve_identity(account, authenticator, request.login, verified.claims)
    check_permitted(authenticator, identity)
    check_bindings(authenticator, identity, verified.claims)
    return Authenticated(authenticator, identity, verified.claims)


def resolve_identity(
    account: CompiledAccount,
    authenticator: CompiledAuthenticator,
    login: str | None,
    claims: Mapping[str, Any],
) -> CompiledIdentity:
    """The host or user the token speaks for (SPEC §2.1 ``token_app_property``)."""
    prop = authenticator.token_app_property
    if prop is None:
        if not login:
            raise _unknown("no id in the URL and no token_app_property", "identity")
        identity = account.identity(login)
        if identity is None:
            raise _unknown(f"no identity {login}", "identity")
        return identity
    value = lookup_claim(claims, prop)
    if value is _ABSENT:
        raise _invalid(Reason.MISSING_CLAIM, f"the token has no claim {prop!r}", "identity")
    if not isinstance(value, str):
        raise _invalid(Reason.CLAIM_MISMATCH, f"the claim {prop!r} is not a string", "identity")
    if not value:
        raise _unknown(f"claim {prop} is empty", "identity")
    if login:
        raise _invalid(
            Reason.NOT_PERMITTED,
            "this authenticator takes the identity from the token: drop the id from the URL",
            "identity",
        )
    host_id = (
        f"{authenticator.identity_path.strip('/')}/{value}"
        if authenticator.identity_path
        else value
    )
    identity = account.hosts.get(host_id)
    if identity is None:
        raise _unknown(f"no host {host_id}", "identity")
    return identity


def check_permitted(authenticator: CompiledAuthenticator, identity: CompiledIdentity) -> None:
    if authenticator.id not in identity.authenticators or not identity.bindings:
        raise AuthError(
            ErrorCode.FORBIDDEN,
            f"{identity.login} is not permitted to use authenticator {authenticator.id}",
            reason=Reason.NOT_PERMITTED,
            check="permitted",
        )


def check_bindings(
    authenticator: CompiledAuthenticator, identity: CompiledIdentity, claims: Mapping[str, Any]
) -> None:
    """Every bound claim must be present and match (value or glob, aliases applied)."""
    for binding in identity.bindings:
        name = authenticator.claim_aliases.get(binding.claim, binding.claim)
        value = lookup_claim(claims, name)
        if value is _ABSENT:
            raise _invalid(
                Reason.MISSING_CLAIM, f"the token has no claim {name!r}", "claim_bindings"
            )
        if not claim_matches(value, binding.matches):
            raise _invalid(
                Reason.CLAIM_MISMATCH,
                f"the claim {name!r} does not match the binding of {identity.login}",
                "claim_bindings",
                detail=f"claim {name} does not match {binding.pattern!r}",
            )


def lookup_claim(claims: Mapping[str, Any], name: str) -> Any:
    """A literal key first, then a ``/``-separated nested path; ``_ABSENT`` if neither."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("/"):
        if not isinstance(value, Mapping) or part not in value:
            return _ABSENT
        value = value[part]
    return value


def claim_matches(value: Any, matches: Any) -> bool:
    """SPEC §2.1: strings match directly, numbers and booleans by their JSON text,
    arrays when any string element matches; objects and null never."""
    if isinstance(value, str):
        return bool(matches(value))
    if isinstance(value, bool | int | float):
        return bool(matches(json.dumps(value)))
    if isinstance(value, list):
        return any(isinstance(item, str) and matches(item) for item in value)
    return False


def _invalid(reason: Reason, description: str, check: str, detail: str | None = None) -> AuthError:
    return AuthError(
        ErrorCode.TOKEN_INVALID, description, reason=reason, check=check, detail=detail
    )
