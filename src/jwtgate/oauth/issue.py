"""What a grant decides, and the access token it becomes (SPEC §2.2, RFC 9068, RFC 6749 §5.1).

A :class:`Grant` is built only from the registration (client or trusted issuer) and the
verified subject: the token's ``aud`` is the client's registered ``audience`` (else the
public URL), its ``scope`` the granted scopes. Nothing else of an assertion — its
``aud``, ``scope`` or any other claim — is copied into the token (SPEC §2.3; Hydra
#3255 copied the assertion's ``aud``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jwtgate.access_tokens import IssuedToken, mint_access_token
from jwtgate.oauth.assertions import SingleUse
from jwtgate.signer import KeyRing

__all__ = ["Grant", "issue", "token_fields"]


@dataclass(frozen=True)
class Grant:
    """An accepted token request; ``single_use`` records are taken before issuing."""

    grant_type: str
    subject: str
    client_id: str
    account: str
    audience: tuple[str, ...]
    scopes: tuple[str, ...]
    single_use: tuple[SingleUse, ...] = field(default=())

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)


def issue(grant: Grant, keyring: KeyRing, *, public_url: str, ttl: int, now: float) -> IssuedToken:
    """Sign the ``at+jwt`` for ``grant`` (``authn`` is the grant type, SPEC §2.2)."""
    return mint_access_token(
        keyring,
        issuer=public_url,
        subject=grant.subject,
        audience=grant.audience or public_url,
        ttl_seconds=ttl,
        account=grant.account,
        authn=grant.grant_type,
        now=now,
        client_id=grant.client_id,
        scope=grant.scope,
    )


def token_fields(issued: IssuedToken, grant: Grant) -> dict[str, str | int]:
    """RFC 6749 §5.1 / SPEC §2.3 success fields, in this order."""
    return {
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": grant.scope,
    }
