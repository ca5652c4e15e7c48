"""Sampled answers must carry real tokens: ES256 ``at+jwt`` that verify with the server's
published keys and name the right issuer and subject."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt


class SampleError(Exception):
    """A sampled answer is not what a successful request returns."""


@dataclass(frozen=True)
class Expect:
    """What every sampled answer of one scenario must be."""

    status: int
    shape: str  # "oauth" (RFC 6749 JSON), "conjur" (flattened JWS JSON), "empty"
    issuer: str = ""
    subject: str = ""
    scope: str | None = None


def _compact(shape: str, body: str) -> str:
    document = json.loads(body)
    if shape == "oauth":
        if document.get("token_type", "").lower() != "bearer":
            raise SampleError(f"token_type is {document.get('token_type')!r}")
        return str(document["access_token"])
    parts = [document[name].rstrip("=") for name in ("protected", "payload", "signature")]
    return ".".join(parts)


def verify_token(compact: str, jwks: dict[str, Any], expect: Expect) -> dict[str, Any]:
    header = jwt.get_unverified_header(compact)
    if header.get("typ") != "at+jwt" or header.get("alg") != "ES256":
        raise SampleError(f"header {header} is not an ES256 at+jwt")
    keys = [key for key in jwks["keys"] if key.get("kid") == header.get("kid")]
    if "kid" not in header and len(jwks["keys"]) == 1:
        keys = list(jwks["keys"])  # Authlib's tokens carry no kid; it has one key
    if not keys:
        raise SampleError(f"kid {header.get('kid')!r} is not in the server's JWKS")
    claims: dict[str, Any] = jwt.decode(
        compact,
        jwt.PyJWK(keys[0], "ES256").key,
        algorithms=["ES256"],
        options={"verify_aud": False, "require": ["exp", "iat", "iss", "sub"]},
    )
    if claims["iss"] != expect.issuer:
        raise SampleError(f"iss {claims['iss']!r}, expected {expect.issuer!r}")
    if claims["sub"] != expect.subject:
        raise SampleError(f"sub {claims['sub']!r}, expected {expect.subject!r}")
    if expect.scope is not None and claims.get("scope") != expect.scope:
        raise SampleError(f"scope {claims.get('scope')!r}, expected {expect.scope!r}")
    if claims["exp"] <= time.time():
        raise SampleError("the token has already expired")
    return claims


def check_samples(prefix: Path, threads: int, jwks: dict[str, Any], expect: Expect) -> int:
    """Verify every sampled answer of a run; returns how many were checked."""
    checked = 0
    for thread in range(threads):
        path = Path(f"{prefix}.{thread}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            status_text, _, body = line.partition("\t")
            if int(status_text) != expect.status:
                raise SampleError(f"status {status_text}, expected {expect.status}: {body[:200]}")
            if expect.shape == "empty":
                if body.strip():
                    raise SampleError(f"expected an empty body, got {body[:200]!r}")
            else:
                try:
                    verify_token(_compact(expect.shape, body), jwks, expect)
                except (KeyError, ValueError, jwt.PyJWTError) as error:
                    raise SampleError(f"{type(error).__name__}: {error}: {body[:200]}") from None
            checked += 1
    if checked == 0:
        raise SampleError(f"no answers were sampled ({prefix}.*)")
    return checked
