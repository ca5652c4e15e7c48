"""Validated policies -> one immutable ``Snapshot`` that the hot path reads (DESIGN "Policy").

Everything is keyed for O(1) lookups and frozen (frozen dataclasses, tuples,
``MappingProxyType``), so a snapshot can be shared by every request without locks and
swapped whole when a new policy version is applied.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from jwtgate.policy.problems import PolicyError, PolicyProblem
from jwtgate.policy.schema import Authenticator, Client, Host, Policy, Route, TrustedIssuer, User

__all__ = [
    "ClaimBinding",
    "CompiledAccount",
    "CompiledAuthenticator",
    "CompiledClient",
    "CompiledIdentity",
    "CompiledRoute",
    "CompiledTrustedIssuer",
    "CompiledVariable",
    "Snapshot",
    "compile_glob",
    "compile_snapshot",
    "glob_matches",
]

KeySourceKind = Literal["jwks_uri", "provider_uri", "public_keys"]
CredentialKind = Literal["certificate", "jwks", "jwks_uri", "secret_sha256"]
_DEFAULT_TTL = 480
_EDDSA = ("EdDSA", "Ed25519")


@functools.lru_cache(maxsize=4096)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """SPEC §3 globs: ``*`` any run (``/`` included), ``?`` one character, all else literal.

    The regex is for ``fullmatch``. Each inner ``*segment`` is an atomic group taking
    the leftmost match, which is exact for globs and keeps matching linear: a plain
    ``.*a.*a.*b`` would backtrack polynomially on a hostile 64 KiB claim value.
    """
    segments = ["".join("." if c == "?" else re.escape(c) for c in s) for s in pattern.split("*")]
    if len(segments) == 1:
        return re.compile(segments[0], re.DOTALL)
    inner = "".join(f"(?>.*?{s})" for s in segments[1:-1] if s)
    return re.compile(f"{segments[0]}{inner}.*{segments[-1]}", re.DOTALL)


def glob_matches(pattern: str, value: str) -> bool:
    """Whether ``value`` matches the SPEC §3 glob ``pattern`` (bindings, ``subjects``)."""
    return compile_glob(pattern).fullmatch(value) is not None


def _freeze(value: Any) -> Any:
    """Deep-freeze JSON data (a JWKS); ``dict(key)`` hands a key back to ``jwt.PyJWK``."""
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True, slots=True)
class ClaimBinding:
    """One bound claim of an identity (SPEC §2.1); ``matcher`` is its compiled glob."""

    claim: str
    pattern: str
    matcher: re.Pattern[str]

    def matches(self, value: str) -> bool:
        return self.matcher.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class CompiledAuthenticator:
    """Every policy field of an authenticator, normalised (SPEC §2.1)."""

    account: str
    id: str
    key_source_kind: KeySourceKind
    jwks_uri: str | None
    provider_uri: str | None
    public_keys: Mapping[str, Any] | None
    ca_cert: str | None
    allow_insecure_http: bool
    issuer: str | None
    audience: tuple[str, ...]
    algorithms: tuple[str, ...]
    token_app_property: str | None
    identity_path: str | None
    enforced_claims: tuple[str, ...]
    claim_aliases: Mapping[str, str]
    leeway_seconds: int
    token_ttl_seconds: int
    enabled: bool


@dataclass(frozen=True, slots=True)
class CompiledIdentity:
    """A host (login ``host/<id>``) or a user (login ``<id>``), SPEC §2.1."""

    account: str
    kind: Literal["host", "user"]
    id: str
    login: str
    authenticators: frozenset[str]
    bindings: tuple[ClaimBinding, ...]

    @property
    def ref(self) -> str:
        """The form variable permits use: ``host:<id>`` or ``user:<id>``."""
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class CompiledVariable:
    """A secret with the refs (``host:<id>``, ``user:<id>``) allowed to read or write it."""

    account: str
    id: str
    execute: frozenset[str]
    update: frozenset[str]


@dataclass(frozen=True, slots=True)
class CompiledClient:
    """An OAuth client (SPEC §2.3); ``credential_kind`` says which credential field is set."""

    account: str
    id: str
    credential_kind: CredentialKind
    certificate: str | None
    jwks: Mapping[str, Any] | None
    jwks_uri: str | None
    secret_sha256: str | None
    grant_types: frozenset[str]
    scopes: tuple[str, ...]
    default_scopes: tuple[str, ...]
    subjects: tuple[str, ...]
    audience: tuple[str, ...]

    def subject_allowed(self, subject: str) -> bool:
        """SPEC §2.3: an assertion's ``sub`` must match one of the ``subjects`` globs."""
        return any(glob_matches(pattern, subject) for pattern in self.subjects)


@dataclass(frozen=True, slots=True)
class CompiledTrustedIssuer:
    """An external IdP for RFC 7523 assertions (SPEC §2.3)."""

    account: str
    issuer: str
    key_source_kind: KeySourceKind
    jwks_uri: str | None
    provider_uri: str | None
    public_keys: Mapping[str, Any] | None
    ca_cert: str | None
    allow_insecure_http: bool
    algorithms: tuple[str, ...]
    subjects: tuple[str, ...]
    scopes: tuple[str, ...]
    default_scopes: tuple[str, ...]

    def subject_allowed(self, subject: str) -> bool:
        """SPEC §2.3: ``sub`` is required and must match one of the ``subjects`` globs."""
        return any(glob_matches(pattern, subject) for pattern in self.subjects)


@dataclass(frozen=True, slots=True)
class CompiledRoute:
    """A reverse-proxy route (SPEC §2.4); ``accept`` holds ``self`` and/or authenticator ids."""

    account: str
    prefix: str
    upstream: str
    accept: tuple[str, ...]
    audience: tuple[str, ...]
    scopes: tuple[str, ...]
    strip_prefix: bool
    timeout_seconds: float


@dataclass(frozen=True, slots=True)
class CompiledAccount:
    """One account's entries, keyed by id (hosts by id without ``host/``)."""

    name: str
    authenticators: Mapping[str, CompiledAuthenticator]
    hosts: Mapping[str, CompiledIdentity]
    users: Mapping[str, CompiledIdentity]
    variables: Mapping[str, CompiledVariable]

    def identity(self, login: str) -> CompiledIdentity | None:
        """SPEC §2.1: ``host/<id>`` names a host, any other login a user."""
        if login.startswith("host/"):
            return self.hosts.get(login[5:])
        return self.users.get(login)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every account's compiled policy at one ``version``; the hot path reads only this."""

    version: int
    accounts: Mapping[str, CompiledAccount]
    clients: Mapping[str, CompiledClient]
    trusted_issuers: Mapping[str, CompiledTrustedIssuer]
    routes: tuple[CompiledRoute, ...]
    max_token_ttl_seconds: int
    _routes_by_prefix: Mapping[str, CompiledRoute] = field(repr=False, compare=False)
    _route_depth: int = field(repr=False, compare=False)

    def route_for(self, path: str) -> CompiledRoute | None:
        """The route with the longest prefix of ``path``, if any (SPEC §2.4).

        Prefixes end with '/', so only the first few '/'-ended heads of ``path`` (as many
        as the deepest prefix has) are looked up, whatever the path's length.
        """
        ends: list[int] = []
        pos = -1
        for _ in range(self._route_depth):
            pos = path.find("/", pos + 1)
            if pos < 0:
                break
            ends.append(pos + 1)
        for end in reversed(ends):
            route = self._routes_by_prefix.get(path[:end])
            if route is not None:
                return route
        return None


def _algorithms(names: Iterable[str]) -> tuple[str, ...]:
    """Dedupe; ``EdDSA`` and ``Ed25519`` name the same thing (RFC 9864, SPEC §2.2)."""
    chosen = dict.fromkeys(names)
    if any(name in chosen for name in _EDDSA):
        chosen.update(dict.fromkeys(_EDDSA))
    return tuple(chosen)


def _key_source(entry: Authenticator | TrustedIssuer) -> KeySourceKind:
    if entry.jwks_uri is not None:
        return "jwks_uri"
    return "provider_uri" if entry.provider_uri is not None else "public_keys"


def _authenticator(account: str, a: Authenticator) -> CompiledAuthenticator:
    return CompiledAuthenticator(
        account=account,
        id=a.id,
        key_source_kind=_key_source(a),
        jwks_uri=a.jwks_uri,
        provider_uri=a.provider_uri,
        public_keys=_freeze(a.public_keys.model_dump()) if a.public_keys else None,
        ca_cert=a.ca_cert,
        allow_insecure_http=a.allow_insecure_http,
        issuer=a.issuer,
        audience=tuple(a.audience),
        algorithms=_algorithms(a.algorithms),
        token_app_property=a.token_app_property,
        identity_path=a.identity_path,
        enforced_claims=tuple(a.enforced_claims),
        claim_aliases=MappingProxyType(dict(a.claim_aliases)),
        leeway_seconds=a.leeway_seconds,
        token_ttl_seconds=a.token_ttl_seconds,
        enabled=a.enabled,
    )


def _identity(account: str, ident: Host | User) -> CompiledIdentity:
    kind: Literal["host", "user"] = "host" if isinstance(ident, Host) else "user"
    return CompiledIdentity(
        account=account,
        kind=kind,
        id=ident.id,
        login=f"host/{ident.id}" if kind == "host" else ident.id,
        authenticators=frozenset(ident.authenticators),
        bindings=tuple(ClaimBinding(c, p, compile_glob(p)) for c, p in ident.claims.items()),
    )


def _client(account: str, c: Client) -> CompiledClient:
    kind: CredentialKind = (
        "certificate"
        if c.certificate
        else "jwks"
        if c.jwks
        else "jwks_uri"
        if c.jwks_uri
        else "secret_sha256"
    )
    return CompiledClient(
        account=account,
        id=c.id,
        credential_kind=kind,
        certificate=c.certificate,
        jwks=_freeze(c.jwks.model_dump()) if c.jwks else None,
        jwks_uri=c.jwks_uri,
        secret_sha256=c.secret_sha256,
        grant_types=frozenset(c.grant_types),
        scopes=tuple(c.scopes),
        default_scopes=tuple(c.default_scopes),
        subjects=tuple(c.subjects),
        audience=tuple(c.audience),
    )


def _trusted_issuer(account: str, t: TrustedIssuer) -> CompiledTrustedIssuer:
    return CompiledTrustedIssuer(
        account=account,
        issuer=t.issuer,
        key_source_kind=_key_source(t),
        jwks_uri=t.jwks_uri,
        provider_uri=t.provider_uri,
        public_keys=_freeze(t.public_keys.model_dump()) if t.public_keys else None,
        ca_cert=t.ca_cert,
        allow_insecure_http=t.allow_insecure_http,
        algorithms=_algorithms(t.algorithms),
        subjects=tuple(t.subjects),
        scopes=tuple(t.scopes),
        default_scopes=tuple(t.default_scopes),
    )


def _route(account: str, r: Route) -> CompiledRoute:
    return CompiledRoute(
        account=account,
        prefix=r.prefix,
        upstream=r.upstream,
        accept=tuple(dict.fromkeys(r.accept)),
        audience=tuple(r.audience),
        scopes=tuple(r.scopes),
        strip_prefix=r.strip_prefix,
        timeout_seconds=r.timeout_seconds,
    )


def _account(name: str, policy: Policy) -> CompiledAccount:
    return CompiledAccount(
        name=name,
        authenticators=MappingProxyType(
            {a.id: _authenticator(name, a) for a in policy.authenticators}
        ),
        hosts=MappingProxyType({h.id: _identity(name, h) for h in policy.hosts}),
        users=MappingProxyType({u.id: _identity(name, u) for u in policy.users}),
        variables=MappingProxyType(
            {
                v.id: CompiledVariable(
                    name, v.id, frozenset(v.permit.execute), frozenset(v.permit.update)
                )
                for v in policy.variables
            }
        ),
    )


def _global(
    what: str, entries: Iterable[tuple[str, Any]], problems: list[PolicyProblem]
) -> dict[str, Any]:
    """Key entries that are unique across accounts (SPEC §3); clashes become problems."""
    table: dict[str, Any] = {}
    for key, entry in entries:
        if key in table:
            owners = f"{table[key].account} and {entry.account}"
            problems.append(
                PolicyProblem("<snapshot>", 1, 1, f"{what} {key!r} is in accounts {owners}")
            )
        table[key] = entry
    return table


def compile_snapshot(policies: Mapping[str, Policy], version: int) -> Snapshot:
    """Compile the applied policies, keyed by account, into snapshot ``version``.

    Raises ``PolicyError`` if a key is not its policy's account, or if global ids clash
    (``check_against_others`` prevents both at apply time; this keeps the snapshot sound).
    """
    problems = [
        PolicyProblem("<snapshot>", 1, 1, f"policy of account {p.account!r} is keyed {name!r}")
        for name, p in policies.items()
        if name != p.account
    ]
    accounts = {name: _account(name, policy) for name, policy in policies.items()}
    items = sorted(policies.items())
    clients = _global(
        "client", ((c.id, _client(n, c)) for n, p in items for c in p.clients), problems
    )
    issuers = _global(
        "trusted issuer",
        ((t.issuer, _trusted_issuer(n, t)) for n, p in items for t in p.trusted_issuers),
        problems,
    )
    by_prefix = _global(
        "route prefix", ((r.prefix, _route(n, r)) for n, p in items for r in p.routes), problems
    )
    if problems:
        raise PolicyError(problems)
    ttls = [a.token_ttl_seconds for p in policies.values() for a in p.authenticators]
    return Snapshot(
        version=version,
        accounts=MappingProxyType(accounts),
        clients=MappingProxyType(clients),
        trusted_issuers=MappingProxyType(issuers),
        routes=tuple(sorted(by_prefix.values(), key=lambda r: (-len(r.prefix), r.prefix))),
        max_token_ttl_seconds=max(ttls, default=_DEFAULT_TTL),
        _routes_by_prefix=MappingProxyType(by_prefix),
        _route_depth=max((prefix.count("/") for prefix in by_prefix), default=0),
    )
