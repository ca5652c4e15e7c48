"""A jwtgate with OAuth clients of every kind, and helpers to mint what they send.

The policy registers (account ``cucumber``):

- ``SampleConfidentialApp`` — an X.509 certificate (RSA), both grants, scopes
  read/write (default read), subjects itself and ``user-*`` (the seed's client);
- ``jwks-app`` — a static JWK Set (ES256 key with kid), client_credentials only,
  audience ``https://api.example``;
- ``remote-app`` — a ``jwks_uri`` served by the loopback IdP, jwt-bearer only;
- ``secret-app`` — a secret (stored as SHA-256), client_credentials, scopes read/write;
- the loopback IdP as a trusted issuer: subjects ``alice`` and ``svc-*``, scopes
  read/write (default read).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.support.idp import LoopbackIdP, public_jwk
from tests.support.server import ServerThread

ACCOUNT = "cucumber"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
EXTRA_AUDIENCE = "https://gateway.example/token"
ALIAS_GRANT = "urn:example:params:oauth:grant-type:gateway-jwt"
SECRET = "s3cr3t-" + "x" * 40


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def certificate_pem(
    key: Any,
    *,
    name: str = "SampleConfidentialApp",
    not_before: float | None = None,
    not_after: float | None = None,
) -> str:
    """A self-signed certificate for ``key``'s public key."""
    now = time.time()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.datetime.fromtimestamp(not_before or now - 3600, datetime.UTC)
    end = datetime.datetime.fromtimestamp(not_after or now + 86400 * 30, datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def indent(text: str, spaces: int) -> str:
    return text.replace("\n", "\n" + " " * spaces).rstrip()


@dataclass
class World:
    """A jwtgate serving the policy above (at ``url``), its IdP and the clients' keys.

    ``gate`` is the in-process server when there is one (tests that look inside it);
    :meth:`at` is the same world seen through another instance sharing its store.
    """

    idp: LoopbackIdP
    public_url: str
    url: str
    admin_credential: str
    gate: ServerThread | None = None
    cert_key: rsa.RSAPrivateKey = field(default_factory=rsa_key)
    ec_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    @classmethod
    def on(cls, gate: ServerThread, idp: LoopbackIdP) -> World:
        public_url = str(gate.settings.effective_public_url)
        return cls(idp, public_url, gate.url, gate.admin_credential, gate)

    def at(self, url: str) -> World:
        return dataclasses.replace(self, url=url, gate=None)

    @property
    def runtime(self) -> Any:
        assert self.gate is not None, "an in-process server"
        return self.gate.runtime

    @property
    def token_url(self) -> str:
        return f"{self.public_url}/oauth/token"

    def client(self, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **options)

    def admin(self) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {self.admin_credential}"})

    def policy(self) -> str:
        jwks = {"keys": [public_jwk(self.ec_key, kid="ec-1", use="sig", alg="ES256")]}
        secret_sha256 = hashlib.sha256(SECRET.encode()).hexdigest()
        cert = indent(certificate_pem(self.cert_key), 6)
        return f"""\
account: {ACCOUNT}
clients:
  - id: SampleConfidentialApp
    certificate: |
      {cert}
    grant_types: [jwt-bearer, client_credentials]
    scopes: [read, write]
    default_scopes: [read]
    subjects: [SampleConfidentialApp, "user-*"]
  - id: jwks-app
    jwks: {json.dumps(jwks)}
    grant_types: [client_credentials]
    scopes: [read]
    audience: [https://api.example]
  - id: remote-app
    jwks_uri: {self.idp.jwks_uri}
    grant_types: [jwt-bearer]
    scopes: [read]
  - id: secret-app
    secret_sha256: {secret_sha256}
    grant_types: [client_credentials]
    scopes: [read, write]
trusted_issuers:
  - issuer: {self.idp.issuer}
    jwks_uri: {self.idp.jwks_uri}
    subjects: [alice, "svc-*"]
    scopes: [read, write]
    default_scopes: [read]
"""

    def apply(self) -> None:
        with self.admin() as admin:
            applied = admin.post("/admin/policy", content=self.policy())
        assert applied.status_code == 200, applied.text

    # -- assertions -------------------------------------------------------------------
    def claims(self, iss: str = "SampleConfidentialApp", **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        base: dict[str, Any] = {
            "iss": iss,
            "aud": f"{self.public_url}/api/oauth/token",
            "iat": now,
            "exp": now + 120,
            "jti": uuid.uuid4().hex,
        }
        base.update(overrides)
        return {name: value for name, value in base.items() if value is not None}

    def cert_assertion(self, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
        """Signed by the key of SampleConfidentialApp's certificate (RS256, no kid)."""
        return jwt.encode(
            self.claims(**overrides), self.cert_key, algorithm="RS256", headers=headers
        )

    def cert_client_assertion(self, **overrides: Any) -> str:
        """A ``private_key_jwt`` client assertion of SampleConfidentialApp (RFC 7523 §2.2)."""
        claims = {"sub": "SampleConfidentialApp", "aud": self.token_url, **overrides}
        return self.cert_assertion(**claims)

    def ec_assertion(self, **overrides: Any) -> str:
        claims = self.claims(**{"iss": "jwks-app", "sub": "jwks-app", **overrides})
        return jwt.encode(claims, self.ec_key, algorithm="ES256", headers={"kid": "ec-1"})

    def idp_assertion(self, **overrides: Any) -> str:
        """An assertion of the trusted issuer (sub alice unless overridden)."""
        return self.idp.mint(self.claims(**{"iss": self.idp.issuer, "sub": "alice", **overrides}))

    def client_assertion_fields(self, assertion: str) -> dict[str, str]:
        return {"client_assertion_type": CLIENT_ASSERTION_TYPE, "client_assertion": assertion}

    # -- requests ---------------------------------------------------------------------
    def post(self, path: str = "/oauth/token", **options: Any) -> httpx.Response:
        with self.client() as client:
            return client.post(path, **options)

    def bearer_grant(self, assertion: str, **fields: str) -> httpx.Response:
        return self.post(data={"grant_type": JWT_BEARER, "assertion": assertion, **fields})


def issued(response: httpx.Response) -> dict[str, Any]:
    """The claims of the access token in a JSON token response (signature not checked)."""
    token = response.json()["access_token"]
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    return dict(jwt.decode(token, options={"verify_signature": False}))


def refused(response: httpx.Response, status: int, error: str, label: str) -> str:
    """Assert an RFC 6749 §5.2 error whose description starts with ``label: ``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    assert body["error_description"].startswith(f"{label}: "), body
    assert response.headers["cache-control"] == "no-store"
    return str(body["error_description"])
