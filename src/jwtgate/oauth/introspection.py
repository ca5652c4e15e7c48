"""Token introspection (RFC 7662 §2, SPEC §2.3).

Any authenticated client may ask (a resource server introspects tokens issued to
others, RFC 7662 §2.1). A token is active when it is a jwtgate access token that
verifies now — signature, ``typ: at+jwt``, issuer, times — and is not revoked; its
audience is not checked, since the caller is not necessarily that audience. Every
other token, including one that is not a JWT at all, is ``{"active": false}`` without
saying why (RFC 7662 §2.2).
"""

from __future__ import annotations

from typing import Any

from jwtgate.errors import AuthError
from jwtgate.own_tokens import OwnTokenVerifier
from jwtgate.signer import KeyRing

__all__ = ["INTROSPECTED_CLAIMS", "introspect"]

INTROSPECTED_CLAIMS = ("scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti")
"""The claims an active token's introspection shows (SPEC §2.3), when the token has them."""


async def introspect(
    token: str, verifier: OwnTokenVerifier, keyring: KeyRing, *, now: float
) -> dict[str, Any]:
    """RFC 7662 §2.2 response members for ``token``."""
    try:
        verified = await verifier.verify(token, keyring, now=now, audience=())
    except AuthError:
        return {"active": False}
    shown = {name: verified.claims[name] for name in INTROSPECTED_CLAIMS if name in verified.claims}
    return {"active": True, **shown, "token_type": "Bearer"}
