"""Pydantic models of the policy file (SPEC §3), one model per kind of entry.

Every key of the SPEC §3 example is a field here, in the same order (``dump_policy``
relies on it), with its default and bounds. Models are strict (no "42" -> 42 coercion)
and forbid unknown keys. Rules about one value are in ``fields.py``; rules that relate
several values (exactly one key source, dangling references, enforced claims) are in
``checks.py`` so that each can point at the right line.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from jwtgate.policy.fields import (
    Algorithm,
    Audience,
    CaBundle,
    Certificate,
    ClaimName,
    ClaimValue,
    ClientId,
    Glob,
    GrantType,
    HostId,
    HttpUrl,
    IdentityPath,
    Jwk,
    Name,
    PermitEntry,
    RoutePrefix,
    Scope,
    SecretSha256,
    Text,
    Upstream,
    UserId,
    VariableId,
    fail,
)
from jwtgate.policy.problems import Positions

__all__ = [
    "Authenticator",
    "Client",
    "Host",
    "JwkSet",
    "Permit",
    "Policy",
    "Route",
    "TrustedIssuer",
    "User",
    "Variable",
]


def _default_algorithms() -> list[str]:
    return ["RS256", "RS384", "RS512"]


def _default_grant_types() -> list[GrantType]:
    return ["client_credentials"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class JwkSet(_Model):
    """A static JWK Set, RFC 7517 §5; needs at least one usable signing key."""

    keys: list[Jwk]

    @model_validator(mode="after")
    def _has_signing_key(self) -> JwkSet:
        if not any(key.get("use", "sig") == "sig" for key in self.keys):
            fail("the JWK Set holds no usable signing key")
        return self


class Authenticator(_Model):
    """An authn-jwt authenticator, ``/authn-jwt/<id>/<account>/...`` (SPEC §2.1)."""

    id: Name
    jwks_uri: HttpUrl | None = None
    provider_uri: HttpUrl | None = None
    public_keys: JwkSet | None = None
    ca_cert: CaBundle | None = None
    allow_insecure_http: bool = False
    issuer: Text | None = None
    audience: Audience = []
    algorithms: list[Algorithm] = Field(default_factory=_default_algorithms, min_length=1)
    token_app_property: Text | None = None
    identity_path: IdentityPath | None = None
    enforced_claims: list[ClaimName] = []
    claim_aliases: dict[ClaimName, ClaimName] = {}
    leeway_seconds: int = Field(0, ge=0, le=300)
    token_ttl_seconds: int = Field(480, ge=1, le=18000)
    enabled: bool = True


class Host(_Model):
    """An application identity, login ``host/<id>`` (SPEC §2.1)."""

    id: HostId
    authenticators: list[str] = []
    claims: dict[ClaimName, ClaimValue] = {}


class User(_Model):
    """A user identity, login ``<id>`` (SPEC §2.1)."""

    id: UserId
    authenticators: list[str] = []
    claims: dict[ClaimName, ClaimValue] = {}


class Client(_Model):
    """An OAuth 2.0 client of the registry (SPEC §2.3); ids are global."""

    id: ClientId
    certificate: Certificate | None = None
    jwks: JwkSet | None = None
    jwks_uri: HttpUrl | None = None
    secret_sha256: SecretSha256 | None = None
    grant_types: list[GrantType] = Field(default_factory=_default_grant_types, min_length=1)
    scopes: list[Scope] = []
    default_scopes: list[Scope] = []
    subjects: list[Glob] = []
    audience: Audience = []

    @model_validator(mode="before")
    @classmethod
    def _subjects_default_to_id(cls, data: Any) -> Any:
        """SPEC §2.3: ``sub`` defaults to the client itself."""
        if isinstance(data, dict) and "subjects" not in data and isinstance(data.get("id"), str):
            return {**data, "subjects": [data["id"]]}
        return data


class TrustedIssuer(_Model):
    """An external IdP whose RFC 7523 assertions are accepted (SPEC §2.3)."""

    issuer: HttpUrl
    jwks_uri: HttpUrl | None = None
    provider_uri: HttpUrl | None = None
    public_keys: JwkSet | None = None
    ca_cert: CaBundle | None = None
    allow_insecure_http: bool = False
    algorithms: list[Algorithm] = Field(default_factory=_default_algorithms, min_length=1)
    subjects: list[Glob] = Field(min_length=1)
    scopes: list[Scope] = []
    default_scopes: list[Scope] = []


class Permit(_Model):
    """Who may read (``execute``) and write (``update``) a variable (SPEC §2.4)."""

    execute: list[PermitEntry] = []
    update: list[PermitEntry] = []


class Variable(_Model):
    """A secret, ``/secrets/<account>/variable/<id>`` (SPEC §2.4)."""

    id: VariableId
    permit: Permit = Field(default_factory=Permit)


class Route(_Model):
    """A reverse-proxy route (SPEC §2.4)."""

    prefix: RoutePrefix
    upstream: Upstream
    accept: list[str] = Field(default_factory=lambda: ["self"], min_length=1)
    audience: Audience = []
    scopes: list[Scope] = []
    strip_prefix: bool = False
    timeout_seconds: float = Field(30.0, gt=0, le=300)


class Policy(_Model):
    """One account's policy file (SPEC §3).

    Build it with ``load_policy`` or ``policy_from_dict``, which also run the
    cross-entry checks; ``Policy.model_validate`` alone does not.
    """

    account: Name
    authenticators: list[Authenticator] = []
    hosts: list[Host] = []
    users: list[User] = []
    clients: list[Client] = []
    trusted_issuers: list[TrustedIssuer] = []
    variables: list[Variable] = []
    routes: list[Route] = []
    _positions: Positions = PrivateAttr(default_factory=Positions)

    @property
    def positions(self) -> Positions:
        """Where each key and value was in the source file (empty when built from a dict)."""
        return self._positions
