"""The OAuth clients and trusted issuers one process serves (SPEC §2.3, §3).

Clients come from two places — the ``clients`` of every applied policy and the registry
of ``jwtgate client add`` — and share one id space (SPEC §3). Both are compiled by the
policy compiler, so a registered client obeys exactly the rules of a policy entry. A
:class:`ClientDirectory` is built when the policy or the registry version moves, never
per request: it holds, per client, the key configuration its assertions are checked
with (an X.509 certificate becomes a one-key JWK Set; keys load once, in the shared
:class:`~jwtgate.key_sources.KeySourceRegistry`) and the certificate's validity dates,
which are checked at request time because a certificate may expire after it was
applied (the policy checks dates only at apply).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from jwtgate.key_sources import KeyConfig
from jwtgate.policy import (
    CompiledClient,
    CompiledTrustedIssuer,
    PolicyError,
    Snapshot,
    compile_snapshot,
    policy_from_dict,
)

__all__ = [
    "EMPTY",
    "ClientDirectory",
    "ClientEntry",
    "IssuerEntry",
    "certificate_jwk",
    "compile_registered",
]

log = logging.getLogger("jwtgate.oauth")

Origin = Literal["policy", "registry"]


@dataclass(frozen=True)
class ClientEntry:
    """One client with what checking its credentials needs.

    ``keys`` is None for a secret client; ``valid_from``/``valid_until`` are the
    certificate's dates (None without a certificate).
    """

    client: CompiledClient
    origin: Origin
    keys: KeyConfig | None
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @property
    def id(self) -> str:
        return self.client.id


@dataclass(frozen=True)
class IssuerEntry:
    """A trusted issuer of RFC 7523 assertions and its key configuration."""

    issuer: CompiledTrustedIssuer
    keys: KeyConfig


def certificate_jwk(certificate: x509.Certificate) -> dict[str, Any]:
    """The public JWK of a certificate's key (RFC 7517), without ``kid`` or ``alg``."""
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return RSAAlgorithm.to_jwk(key, as_dict=True)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return ECAlgorithm.to_jwk(key, as_dict=True)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return OKPAlgorithm.to_jwk(key, as_dict=True)
    raise ValueError(f"unsupported certificate key {type(key).__name__}")


def _client_entry(client: CompiledClient, origin: Origin) -> ClientEntry:
    if client.certificate is not None:
        certificate = x509.load_pem_x509_certificate(client.certificate.encode("ascii"))
        jwks = {"keys": [certificate_jwk(certificate)]}
        return ClientEntry(
            client,
            origin,
            _keys(public_keys=jwks),
            certificate.not_valid_before_utc,
            certificate.not_valid_after_utc,
        )
    if client.jwks is not None:
        return ClientEntry(client, origin, _keys(public_keys=client.jwks))
    if client.jwks_uri is not None:
        return ClientEntry(client, origin, _keys(jwks_uri=client.jwks_uri))
    return ClientEntry(client, origin, None)


def _keys(
    *,
    jwks_uri: str | None = None,
    provider_uri: str | None = None,
    public_keys: Mapping[str, Any] | None = None,
    ca_cert: str | None = None,
    allow_insecure_http: bool = False,
) -> KeyConfig:
    return KeyConfig.of(
        jwks_uri=jwks_uri,
        provider_uri=provider_uri,
        public_keys=public_keys,
        ca_cert=ca_cert,
        allow_insecure_http=allow_insecure_http,
    )


def _issuer_entry(trusted: CompiledTrustedIssuer) -> IssuerEntry:
    return IssuerEntry(
        trusted,
        _keys(
            jwks_uri=trusted.jwks_uri,
            provider_uri=trusted.provider_uri,
            public_keys=trusted.public_keys,
            ca_cert=trusted.ca_cert,
            allow_insecure_http=trusted.allow_insecure_http,
        ),
    )


def compile_registered(account: str, document: Mapping[str, Any]) -> CompiledClient:
    """A registry entry compiled as the policy entry it is (raises ``PolicyError``)."""
    policy = policy_from_dict({"account": account, "clients": [dict(document)]})
    return compile_snapshot({account: policy}, 0).clients[policy.clients[0].id]


@dataclass(frozen=True)
class ClientDirectory:
    """Clients by id and trusted issuers by issuer URL; immutable, swapped whole."""

    clients: Mapping[str, ClientEntry]
    issuers: Mapping[str, IssuerEntry]

    @classmethod
    def build(
        cls, snapshot: Snapshot, registered: Iterable[tuple[str, Mapping[str, Any]]]
    ) -> ClientDirectory:
        """Policy clients and trusted issuers, then registered ``(account, document)``s.

        A registered entry that no longer compiles, or whose id the policy took
        meanwhile (apply and ``client add`` both refuse that, so only a race or a
        hand-edited row gets here), is left out and logged: the others keep working.
        """
        clients = {cid: _client_entry(c, "policy") for cid, c in snapshot.clients.items()}
        issuers = {url: _issuer_entry(t) for url, t in snapshot.trusted_issuers.items()}
        for account, document in registered:
            try:
                client = compile_registered(account, document)
                entry = _client_entry(client, "registry")
            except (PolicyError, ValueError) as error:
                log.error("registered client skipped: %s", error, extra={"account": account})
                continue
            if client.id in clients or client.id in issuers:
                log.error("registered client %s skipped: its id is taken", client.id)
                continue
            clients[client.id] = entry
        return cls(MappingProxyType(clients), MappingProxyType(issuers))

    def key_configs(self) -> Iterator[KeyConfig]:
        """Every key configuration in use, so reloads keep their caches warm."""
        for entry in self.clients.values():
            if entry.keys is not None:
                yield entry.keys
        for issuer in self.issuers.values():
            yield issuer.keys


EMPTY = ClientDirectory(MappingProxyType({}), MappingProxyType({}))
