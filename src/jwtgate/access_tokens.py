"""jwtgate's access tokens: minting (SPEC §2.2) and the forms they travel in.

A token is a compact JWS signed by the current key (``typ: at+jwt``). Conjur clients
receive it as the flattened JWS JSON with ``=``-padded ``protected``/``payload`` and
send it back as ``Authorization: Token token="<base64 of that JSON>"``; everything
else uses ``Authorization: Bearer <compact>``. Both forms name the same signature.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jwtgate.errors import AuthError, ErrorCode
from jwtgate.signer import KeyRing

__all__ = [
    "IssuedToken",
    "conjur_json",
    "credential_from_authorization",
    "mint_access_token",
    "wants_base64",
]

_TOKEN_PARAM = re.compile(r'^token\s*=\s*"([^"]*)"\s*$', re.IGNORECASE)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    claims: Mapping[str, Any]

    @property
    def expires_in(self) -> int:
        return int(self.claims["exp"]) - int(self.claims["iat"])


def mint_access_token(
    keyring: KeyRing,
    *,
    issuer: str,
    subject: str,
    audience: str | Sequence[str],
    ttl_seconds: int,
    account: str | None,
    authn: str,
    now: float,
    client_id: str | None = None,
    scope: str | None = None,
) -> IssuedToken:
    """Sign an ``at+jwt`` access token; nothing from an assertion is copied into it."""
    issued_at = int(now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience if isinstance(audience, str) else list(audience),
        "iat": issued_at,
        "exp": issued_at + ttl_seconds,
        "jti": secrets.token_urlsafe(16),
        "authn": authn,
    }
    if account is not None:
        claims["acct"] = account
    if client_id is not None:
        claims["client_id"] = client_id
    if scope is not None:
        claims["scope"] = scope
    return IssuedToken(keyring.sign(claims), claims)


def _padded(part: str) -> str:
    return part + "=" * (-len(part) % 4)


def conjur_json(compact: str) -> dict[str, str]:
    """The flattened JWS JSON of a compact token, padded as Conjur's own tokens are."""
    protected, payload, signature = compact.split(".")
    return {"protected": _padded(protected), "payload": _padded(payload), "signature": signature}


def credential_from_authorization(header: str | None) -> str | None:
    """The compact token in an ``Authorization`` header, or None when there is none.

    ``Bearer <compact>`` (scheme case-insensitive) and Conjur's ``Token token="<base64
    of the flattened JSON>"`` are read; any other scheme counts as no credential. A
    ``Token`` value that does not decode to the flattened JSON is ``token_malformed``.
    """
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() != "token":
        return None
    match = _TOKEN_PARAM.match(value)
    if not match:
        raise AuthError(ErrorCode.TOKEN_MALFORMED, 'expected Token token="<base64 token>"')
    return _compact_from_conjur(match.group(1))


def _compact_from_conjur(encoded: str) -> str:
    try:
        document = json.loads(base64.b64decode(encoded, validate=True))
        parts = [document[name] for name in ("protected", "payload", "signature")]
    except (binascii.Error, ValueError, TypeError, KeyError) as error:
        raise AuthError(
            ErrorCode.TOKEN_MALFORMED,
            "the Token credential is not base64 of a flattened JWS JSON",
            detail=str(error),
        ) from None
    if not all(isinstance(part, str) for part in parts):
        raise AuthError(ErrorCode.TOKEN_MALFORMED, "the flattened JWS members must be strings")
    return ".".join(part.rstrip("=") for part in parts)


def wants_base64(accept_encoding: str | None) -> bool:
    """``Accept-Encoding`` lists ``base64`` (comma-separated, case-insensitive, SPEC §2.1)."""
    items = (accept_encoding or "").split(",")
    return any(item.split(";")[0].strip().lower() == "base64" for item in items)
