"""Checks that relate several entries of a policy, or several accounts' policies.

SPEC §3 rejects duplicate ids and dangling references; SPEC §2.1 asks that every
identity permitted on an authenticator binds a claim, and that ``enforced_claims`` are
bound by every such identity "when the policy is applied". Each check reports at the
entry or value at fault, with the key path in the message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar
from urllib.parse import urlsplit

from cryptography import x509

from jwtgate.policy.fields import is_loopback_url
from jwtgate.policy.problems import Path, PolicyError, PolicyProblem
from jwtgate.policy.schema import (
    Authenticator,
    Client,
    Host,
    Policy,
    TrustedIssuer,
    User,
)

__all__ = ["check_against_others", "check_policy"]

T = TypeVar("T")
_KEY_SOURCES = ("jwks_uri", "provider_uri", "public_keys")
_CREDENTIALS = ("certificate", "jwks", "jwks_uri", "secret_sha256")


class _Report:
    """Collects problems of one policy, positioned by its recorded source positions."""

    def __init__(self, policy: Policy, filename: str) -> None:
        self.policy = policy
        self.filename = filename
        self.problems: list[PolicyProblem] = []

    def add(self, path: Path, message: str, *, at_key: bool = False) -> None:
        problem = self.policy.positions.problem(self.filename, path, message, at_key=at_key)
        self.problems.append(problem)

    def line_of(self, path: Path) -> int:
        return self.policy.positions.locate(path)[0]

    def unique(self, section: str, field: str, items: Sequence[T], key: Callable[[T], str]) -> None:
        """SPEC §3: a duplicate id (or prefix, or issuer) is rejected at its second use."""
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            value = key(item)
            if value in seen:
                first = self.line_of((section, seen[value], field))
                self.add(
                    (section, i, field), f"duplicate {field} {value!r} (first at line {first})"
                )
            else:
                seen[value] = i


def _url_problem(url: str | None, allow_insecure_http: bool) -> str | None:
    """SPEC §2.1: https, or http to loopback, or http anywhere when explicitly allowed."""
    if url is None or urlsplit(url).scheme == "https" or allow_insecure_http:
        return None
    if is_loopback_url(url):
        return None
    return f"{url!r} must be https:// (http:// only to a loopback host or with allow_insecure_http)"


def _key_sources(report: _Report, path: Path, entry: Authenticator | TrustedIssuer) -> None:
    """Exactly one of jwks_uri, provider_uri, public_keys, each fetchable safely."""
    given = [name for name in _KEY_SOURCES if getattr(entry, name) is not None]
    if not given:
        report.add(path, "needs exactly one key source: jwks_uri, provider_uri or public_keys")
    elif len(given) > 1:
        report.add(
            (*path, given[1]),
            f"two key sources, {given[0]} and {given[1]}: keep exactly one",
            at_key=True,
        )
    for name in ("jwks_uri", "provider_uri"):
        problem = _url_problem(getattr(entry, name), entry.allow_insecure_http)
        if problem:
            report.add((*path, name), problem)
    if entry.ca_cert is not None and entry.public_keys is not None:
        report.add(
            (*path, "ca_cert"), "is only used to fetch jwks_uri or provider_uri", at_key=True
        )


def _authenticators(report: _Report) -> None:
    for i, auth in enumerate(report.policy.authenticators):
        _key_sources(report, ("authenticators", i), auth)
        if auth.issuer is None and auth.provider_uri is None:
            report.add(
                ("authenticators", i, "issuer"),
                "is required unless provider_uri supplies it by discovery (SPEC §2.1)",
            )


def _identities(report: _Report) -> None:
    """SPEC §2.1: references exist; permitted identities bind claims, enforced ones too."""
    by_id = {auth.id: auth for auth in report.policy.authenticators}
    defined = ", ".join(by_id) or "none"
    sections: tuple[tuple[str, str, Sequence[Host | User]], ...] = (
        ("hosts", "host", report.policy.hosts),
        ("users", "user", report.policy.users),
    )
    for section, kind, identities in sections:
        for i, ident in enumerate(identities):
            label = f"{kind} {ident.id}"
            for j, ref in enumerate(ident.authenticators):
                if ref not in by_id:
                    report.add(
                        (section, i, "authenticators", j),
                        f"unknown authenticator {ref!r} (defined in this policy: {defined})",
                    )
            if ident.authenticators and not ident.claims:
                report.add(
                    (section, i, "claims"),
                    f"{label} is permitted on authenticator {ident.authenticators[0]} "
                    "but binds no claim (SPEC §2.1)",
                )
                continue
            for ref in dict.fromkeys(ident.authenticators):
                auth = by_id.get(ref)
                if auth is None:
                    continue
                bound = {auth.claim_aliases.get(name, name) for name in ident.claims}
                for claim in auth.enforced_claims:
                    if claim not in bound:
                        report.add(
                            (section, i, "claims"),
                            f"{label} does not bind claim {claim!r}, "
                            f"enforced by authenticator {ref} (SPEC §2.1)",
                        )


def _scopes_subset(report: _Report, path: Path, scopes: list[str], defaults: list[str]) -> None:
    """SPEC §2.3: the default scopes are granted, so they must be registered scopes."""
    for k, scope in enumerate(defaults):
        if scope not in scopes:
            report.add((*path, "default_scopes", k), f"{scope!r} is not one of the scopes")


def _certificate_dates(report: _Report, path: Path, client: Client, now: datetime) -> None:
    """SPEC §3: a certificate that is expired or not yet valid is rejected, with the date."""
    pem = client.certificate or ""
    cert = x509.load_pem_x509_certificates(pem.encode("ascii"))[0]
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now > end:
        report.add(path, f"certificate of client {client.id} expired on {end:%Y-%m-%dT%H:%M:%SZ}")
    elif now < start:
        report.add(
            path,
            f"certificate of client {client.id} is not valid before {start:%Y-%m-%dT%H:%M:%SZ}",
        )


def _clients(report: _Report, now: datetime | None) -> None:
    issuers = {ti.issuer for ti in report.policy.trusted_issuers}
    for i, client in enumerate(report.policy.clients):
        path: Path = ("clients", i)
        given = [name for name in _CREDENTIALS if getattr(client, name) is not None]
        if not given:
            report.add(path, "needs exactly one of certificate, jwks, jwks_uri or secret_sha256")
        elif len(given) > 1:
            message = f"two credentials, {given[0]} and {given[1]}: keep exactly one"
            report.add((*path, given[1]), message, at_key=True)
        problem = _url_problem(client.jwks_uri, allow_insecure_http=False)
        if problem:
            report.add((*path, "jwks_uri"), problem)
        if given == ["secret_sha256"] and "jwt-bearer" in client.grant_types:
            report.add(
                (*path, "grant_types", client.grant_types.index("jwt-bearer")),
                "jwt-bearer needs a key (certificate, jwks or jwks_uri): "
                "an assertion cannot be verified with a secret hash",
            )
        _scopes_subset(report, path, client.scopes, client.default_scopes)
        if now is not None and client.certificate is not None:
            _certificate_dates(report, (*path, "certificate"), client, now)
        if client.id in issuers:
            report.add((*path, "id"), "is also a trusted issuer: `iss` would be ambiguous")


def _trusted_issuers(report: _Report) -> None:
    for i, trusted in enumerate(report.policy.trusted_issuers):
        _key_sources(report, ("trusted_issuers", i), trusted)
        _scopes_subset(report, ("trusted_issuers", i), trusted.scopes, trusted.default_scopes)


def _variables(report: _Report) -> None:
    """SPEC §3: a permit names an identity of this policy, ``host:<id>`` or ``user:<id>``."""
    known = {f"host:{h.id}" for h in report.policy.hosts} | {
        f"user:{u.id}" for u in report.policy.users
    }
    for i, variable in enumerate(report.policy.variables):
        for privilege in ("execute", "update"):
            for j, entry in enumerate(getattr(variable.permit, privilege)):
                if entry not in known:
                    kind = entry.partition(":")[0]
                    report.add(
                        ("variables", i, "permit", privilege, j),
                        f"{entry!r} names no {kind} defined in this policy",
                    )


def _routes(report: _Report) -> None:
    authenticators = {auth.id for auth in report.policy.authenticators}
    for i, route in enumerate(report.policy.routes):
        for j, accepted in enumerate(route.accept):
            if accepted != "self" and accepted not in authenticators:
                report.add(
                    ("routes", i, "accept", j),
                    f"{accepted!r} is neither 'self' nor an authenticator of this policy",
                )


def check_policy(policy: Policy, filename: str, now: datetime | None) -> list[PolicyProblem]:
    """Every cross-entry problem of one policy; certificate dates only when ``now`` is given.

    Stored policies are re-read without ``now``: a certificate that expires after it was
    applied must not stop jwtgate from starting (the engine refuses its assertions).
    """
    report = _Report(policy, filename)
    report.unique("authenticators", "id", policy.authenticators, lambda a: a.id)
    report.unique("hosts", "id", policy.hosts, lambda h: h.id)
    report.unique("users", "id", policy.users, lambda u: u.id)
    report.unique("clients", "id", policy.clients, lambda c: c.id)
    report.unique("trusted_issuers", "issuer", policy.trusted_issuers, lambda t: t.issuer)
    report.unique("variables", "id", policy.variables, lambda v: v.id)
    report.unique("routes", "prefix", policy.routes, lambda r: r.prefix)
    _authenticators(report)
    _identities(report)
    _clients(report, now)
    _trusted_issuers(report)
    _variables(report)
    _routes(report)
    return report.problems


def _owners(
    others: Iterable[Policy], account: str, key: Callable[[Policy], list[str]]
) -> dict[str, str]:
    return {
        value: other.account for other in others if other.account != account for value in key(other)
    }


def check_against_others(policy: Policy, others: Sequence[Policy], filename: str) -> None:
    """SPEC §3: client ids, route prefixes and trusted issuers are global, not per account.

    ``others`` are the applied policies of the other accounts; raises ``PolicyError``.
    """
    account = policy.account
    clients = _owners(others, account, lambda p: [c.id for c in p.clients])
    issuers = _owners(others, account, lambda p: [t.issuer for t in p.trusted_issuers])
    prefixes = _owners(others, account, lambda p: [r.prefix for r in p.routes])
    report = _Report(policy, filename)
    for i, client in enumerate(policy.clients):
        if client.id in clients:
            report.add(
                ("clients", i, "id"),
                f"client id {client.id!r} is already used by account {clients[client.id]} "
                "(client ids are unique across all accounts)",
            )
        elif client.id in issuers:
            report.add(
                ("clients", i, "id"),
                f"{client.id!r} is a trusted issuer of account {issuers[client.id]}",
            )
    for i, trusted in enumerate(policy.trusted_issuers):
        owner = issuers.get(trusted.issuer) or clients.get(trusted.issuer)
        if owner is not None:
            report.add(
                ("trusted_issuers", i, "issuer"),
                f"{trusted.issuer!r} is already an issuer or client of account {owner}",
            )
    for i, route in enumerate(policy.routes):
        if route.prefix in prefixes:
            report.add(
                ("routes", i, "prefix"),
                f"route prefix {route.prefix!r} is already used by "
                f"account {prefixes[route.prefix]}",
            )
    if report.problems:
        raise PolicyError(report.problems)
