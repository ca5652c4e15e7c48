"""Peer: an Authlib authorization server on Flask, run by gunicorn (one sync worker).

RFC 7523 JWT bearer grant with the client's registered RSA JWK, ES256 RFC 9068
``at+jwt`` access tokens (Authlib's ``JWTBearerTokenGenerator``), no ``jti`` replay
check (Authlib has none) — the set-up issue 9 measured. Keys are imported once at
start-up, as a well-tuned deployment would.

Environment: ``BENCH_ISSUER`` (the public URL; the token endpoint is
``{BENCH_ISSUER}/oauth/token``), ``BENCH_CLIENT_JWKS`` (file: the client's public JWK
Set), ``BENCH_PEER_SIGNING_PEM`` (file: the P-256 signing key).

Run: ``gunicorn -w 1 -b 127.0.0.1:PORT --chdir bench/peers authlib_app:app``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc7523 import JWTBearerGrant
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import Flask
from joserfc.jwk import ECKey, KeySet

ISSUER = os.environ["BENCH_ISSUER"]
CLIENT_ID = "bench-client"
CLIENT_KEYS = KeySet.import_key_set(json.loads(Path(os.environ["BENCH_CLIENT_JWKS"]).read_text()))
SIGNING_KEY = ECKey.import_key(
    Path(os.environ["BENCH_PEER_SIGNING_PEM"]).read_bytes(), {"kid": "bench-as-1"}
)


class Client(ClientMixin):
    """The one registered client: jwt-bearer grant, scopes read and write."""

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> str:
        return ""

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"read", "write"}
        return " ".join(item for item in scope.split() if item in allowed) if scope else ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == JWTBearerGrant.GRANT_TYPE


class User:
    def __init__(self, subject: str) -> None:
        self.subject = subject

    def get_user_id(self) -> str:
        return self.subject


CLIENT = Client()


class BenchJWTBearerGrant(JWTBearerGrant):
    def resolve_issuer_client(self, issuer: str) -> Client | None:
        return CLIENT if issuer == CLIENT_ID else None

    def resolve_client_public_key(self, client: Client) -> KeySet:
        return CLIENT_KEYS

    def authenticate_user(self, subject: str) -> User | None:
        return User(subject) if subject == CLIENT_ID else None

    def has_granted_permission(self, client: Client, user: User) -> bool:
        return True

    def get_audiences(self) -> list[str]:
        return [ISSUER, f"{ISSUER}/oauth/token"]


class TokenGenerator(JWTBearerTokenGenerator):
    def get_jwks(self) -> ECKey:
        return SIGNING_KEY

    def get_audiences(self, client: Any, user: Any, scope: str) -> str:
        return ISSUER


app = Flask(__name__)
server = AuthorizationServer(app, query_client=lambda client_id: None, save_token=lambda *a: None)
server.register_grant(BenchJWTBearerGrant)
server.register_token_generator("default", TokenGenerator(issuer=ISSUER, alg="ES256"))


@app.post("/oauth/token")
def token() -> Any:
    return server.create_token_response()


@app.get("/ready")
def ready() -> str:
    return "ok"
