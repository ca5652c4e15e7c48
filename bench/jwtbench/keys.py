"""The bench's key material, and fast minting of distinct RS256 assertions.

Three keys are made per bench run (never reused across runs):

- the OAuth client's RSA-2048 key (``bench-client``): signs the jwt-bearer grant and
  ``private_key_jwt`` client assertions that jwtgate, Authlib and node-oidc-provider
  all receive — the very same assertions;
- the identity provider's RSA-2048 key: signs the authn-jwt tokens, published by a
  loopback JWKS server;
- a P-256 key the peers sign their ES256 access tokens with (jwtgate signs with the
  ES256 key ``jwtgate init`` made).

Assertions are signed with ``cryptography`` directly (PKCS#1 v1.5, SHA-256), which is
about twice as fast as ``jwt.encode`` for RSA, so pools of tens of thousands are cheap.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

CLIENT_ID = "bench-client"
CLIENT_KID = "bench-client-1"
IDP_KID = "bench-idp-1"
PEER_KID = "bench-as-1"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 900
"""Seconds an assertion stays valid: one round of the bench must fit in it."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def rsa_public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "RSA",
        "n": _uint(numbers.n),
        "e": _uint(numbers.e),
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
    }


def ec_jwk(key: ec.EllipticCurvePrivateKey, kid: str, *, private: bool) -> dict[str, str]:
    numbers = key.private_numbers()
    public = numbers.public_numbers
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(public.x.to_bytes(32, "big")),
        "y": b64url(public.y.to_bytes(32, "big")),
        "kid": kid,
        "use": "sig",
        "alg": "ES256",
    }
    if private:
        jwk["d"] = b64url(numbers.private_value.to_bytes(32, "big"))
    return jwk


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class BenchKeys:
    client: rsa.RSAPrivateKey
    idp: rsa.RSAPrivateKey
    peer_signer: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> BenchKeys:
        return cls(
            client=rsa.generate_private_key(public_exponent=65537, key_size=2048),
            idp=rsa.generate_private_key(public_exponent=65537, key_size=2048),
            peer_signer=ec.generate_private_key(ec.SECP256R1()),
        )

    def client_jwks(self) -> dict[str, Any]:
        return {"keys": [rsa_public_jwk(self.client, CLIENT_KID)]}

    def idp_jwks(self) -> dict[str, Any]:
        return {"keys": [rsa_public_jwk(self.idp, IDP_KID)]}

    def write(self, folder: Path) -> dict[str, Path]:
        """Files the peers read: the client's public JWKS and the signing key."""
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            "client_jwks": folder / "client-jwks.json",
            "client_pem": folder / "client.pem",
            "idp_pem": folder / "idp.pem",
            "peer_signing_jwk": folder / "peer-signing-jwk.json",
            "peer_signing_pem": folder / "peer-signing.pem",
        }
        files["client_jwks"].write_text(json.dumps(self.client_jwks()))
        files["client_pem"].write_bytes(pem(self.client))
        files["idp_pem"].write_bytes(pem(self.idp))
        files["peer_signing_jwk"].write_text(
            json.dumps(ec_jwk(self.peer_signer, PEER_KID, private=True))
        )
        files["peer_signing_pem"].write_bytes(pem(self.peer_signer))
        for path in files.values():
            os.chmod(path, 0o600)
        return files


def sign_rs256(key: rsa.RSAPrivateKey, kid: str, claims: dict[str, Any]) -> str:
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{b64url(signature)}"


# -- pool items (one line each; see lua/pool.lua) ------------------------------------------


def client_assertion(key: rsa.RSAPrivateKey, audience: str, now: int) -> str:
    """``iss`` = ``sub`` = the client: valid as an RFC 7523 §2.1 grant assertion and as a
    §2.2 client assertion, at jwtgate, Authlib and node-oidc-provider alike."""
    claims = {
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": audience,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
        "jti": uuid.uuid4().hex,
    }
    return sign_rs256(key, CLIENT_KID, claims)


def jwt_bearer_body(assertion: str) -> str:
    return f"grant_type={JWT_BEARER.replace(':', '%3A')}&assertion={assertion}&scope=read"


def client_credentials_body(assertion: str) -> str:
    return (
        "grant_type=client_credentials"
        f"&client_id={CLIENT_ID}"
        f"&client_assertion_type={CLIENT_ASSERTION_TYPE.replace(':', '%3A')}"
        f"&client_assertion={assertion}&scope=read"
    )


def idp_token(key: rsa.RSAPrivateKey, issuer: str, audience: str, now: int) -> str:
    """An authn-jwt token whose two bound claims match host ``apps/bench-app``."""
    claims = {
        "iss": issuer,
        "sub": "bench-app",
        "aud": audience,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME,
        "jti": uuid.uuid4().hex,
        "project_id": "42",
        "ref": "refs/heads/main",
    }
    return sign_rs256(key, IDP_KID, claims)


def authn_body(token: str) -> str:
    return f"jwt={token}"


def now() -> int:
    return int(time.time())
