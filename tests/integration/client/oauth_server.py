"""An independent OAuth 2.0 token endpoint and the API behind it, built on Authlib.

The SDK's interoperability test (issue 7): assertions minted by PyJWT are verified by
Authlib and joserfc, a different JOSE stack, and the access tokens Authlib issues are
then accepted by an Authlib ``ResourceProtector``. Routes:

- ``POST /oauth/token`` — Authlib's ``JWTBearerGrant`` (RFC 7523 §2.1, also under the
  custom grant type :data:`CUSTOM_GRANT`) and ``ClientCredentialsGrant`` with
  ``client_secret_basic``, ``client_secret_post`` and ``private_key_jwt`` (Authlib's
  ``JWTBearerClientAssertion``, RFC 7523 §2.2). ``format=urlencoded|xml`` re-renders the
  answer the way SPEC §2.3 describes, to exercise the SDK's parsing.
- ``GET /api/data`` — the access token as bearer (revocable: :meth:`revoke`).
- ``GET /api/refuse`` — always 401 (to count retries).
- ``GET /jwt-api/data`` — the SDK's own JWT as bearer, verified with joserfc.

Two choices of this server, as any deployment makes them: each client's registered
algorithm is the only one accepted for its assertions (Authlib alone would allow only
joserfc's "recommended" HS256, RS256 and ES256, so PS256 and EdDSA need saying); and a
JWT-bearer request that carries client credentials must authenticate with them, as the
client the assertion names (Authlib's grant leaves client authentication to the server).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from authlib.oauth2 import AuthorizationServer, OAuth2Error, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Payload, OAuth2Request, TokenMixin
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion, JWTBearerGrant
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CUSTOM_GRANT = "urn:example:params:oauth:grant-type:custom-jwt"
CLIENT_ASSERTION = JWTBearerClientAssertion.CLIENT_AUTH_METHOD  # Authlib's private_key_jwt


@dataclass
class Client(ClientMixin):
    """A registered client: the key that verifies its assertions, maybe a secret."""

    client_id: str
    algorithm: str
    key: Key
    secret: str | None = None
    scope: str = "read write"

    def get_client_id(self) -> str:
        return self.client_id

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return self.scope
        return " ".join(s for s in scope.split() if s in self.scope.split())

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret is not None and secrets.compare_digest(
            self.secret.encode(), client_secret.encode()
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method != "none" and (method == CLIENT_ASSERTION or self.secret is not None)

    def check_grant_type(self, grant_type: str) -> bool:
        return True


@dataclass
class Issued(TokenMixin):
    access_token: str
    client_id: str
    subject: str | None
    scope: str
    expires_at: float
    revoked: bool = False

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked


@dataclass
class ApiCall:
    """One call to the protected API: the credential and the body it carried."""

    authorization: str | None
    body: bytes


@dataclass
class Recorded:
    """One call to the token endpoint, as the tests inspect it."""

    form: dict[str, str]
    authorization: str | None
    status: int
    auth_method: str | None


class _Payload(OAuth2Payload):
    def __init__(self, form: FormData) -> None:
        self._form = form

    @property
    def data(self) -> dict[str, str]:
        return {name: str(value) for name, value in self._form.items()}

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in self._form.multi_items():
            values[name].append(str(value))
        return values


class _Request(OAuth2Request):
    """Authlib's request model over a Starlette request already read."""

    def __init__(self, request: Request, form: FormData) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        self.payload = _Payload(form)

    @property
    def args(self) -> dict[str, str]:
        return {}  # the token endpoint reads the form only

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


class _JwtBearer(JWTBearerGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", CLIENT_ASSERTION]

    def resolve_issuer_client(self, issuer: str) -> Client | None:
        return self.server.clients.get(issuer)

    def authenticate_user(self, subject: str) -> str:
        return subject

    def has_granted_permission(self, client: Client, user: str) -> bool:
        return True

    def get_audiences(self) -> list[str]:
        return [self.server.token_url, self.server.url]

    def process_assertion_claims(self, assertion: str) -> Any:
        _, claims = self.extract_assertion(assertion)
        client = self.resolve_issuer_client(str(claims.get("iss")))
        if client is None:
            raise InvalidGrantError(description="The client does not exist on this server.")
        try:
            token = jwt.decode(assertion, client.key, algorithms=[client.algorithm])
        except JoseError as error:
            raise InvalidGrantError(description=error.description) from error
        self.verify_claims(token.claims)
        return token.claims

    def validate_token_request(self) -> None:
        presented = self.request.headers.get("Authorization") or any(
            name in self.request.form for name in ("client_secret", "client_assertion")
        )
        authenticated = self.authenticate_token_endpoint_client() if presented else None
        super().validate_token_request()
        if authenticated is not None and authenticated is not self.request.client:
            raise InvalidClientError(description="the assertion names another client")


class _CustomJwtBearer(_JwtBearer):
    GRANT_TYPE = CUSTOM_GRANT


class _ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [CLIENT_ASSERTION, "client_secret_basic", "client_secret_post"]


class _ClientAssertion(JWTBearerClientAssertion):
    def __init__(self, server: TokenServer) -> None:
        super().__init__(validate_jti=True)
        self.server = server
        self._algorithm = ""

    def get_audiences(self) -> list[str]:
        return [self.server.token_url]

    def resolve_client_public_key(self, client: Client) -> Key:
        # Authlib calls this, then process_assertion_claims, in one synchronous run.
        self._algorithm = client.algorithm
        return client.key

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=[self._algorithm])
        except JoseError as error:
            raise InvalidClientError(description=error.description) from error
        self.verify_claims(token.claims)
        return token.claims

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        with self.server.lock:
            if (claims["sub"], jti) in self.server.seen_jtis:
                return False
            self.server.seen_jtis.add((claims["sub"], jti))
            return True


class _Validator(BearerTokenValidator):
    def __init__(self, server: TokenServer) -> None:
        super().__init__()
        self.server = server

    def authenticate_token(self, token_string: str) -> Issued | None:
        return self.server.tokens.get(token_string)


class TokenServer(AuthorizationServer):
    """The Authlib authorization server plus the protected API (see the module)."""

    def __init__(self) -> None:
        super().__init__()
        self.url = ""  # set by the fixture once the port is known
        self.clients: dict[str, Client] = {}
        self.tokens: dict[str, Issued] = {}
        self.token_requests: list[Recorded] = []
        self.api_calls: list[ApiCall] = []
        self.seen_jtis: set[tuple[str, str]] = set()
        self.lock = threading.Lock()
        self.expires_in = 3600
        self.delay = 0.0  # seconds the token endpoint waits before answering
        generator = BearerTokenGenerator(
            access_token_generator=lambda **_: secrets.token_urlsafe(24),
            expires_generator=lambda client, grant_type: self.expires_in,
        )
        self.register_token_generator("default", generator)
        for grant in (_JwtBearer, _CustomJwtBearer, _ClientCredentials):
            self.register_grant(grant)
        self.register_client_auth_method(CLIENT_ASSERTION, _ClientAssertion(self))
        self.protector = ResourceProtector()
        self.protector.register_token_validator(_Validator(self))

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/token"

    def register(self, client: Client) -> Client:
        self.clients[client.client_id] = client
        return client

    def revoke(self, access_token: str) -> None:
        self.tokens[access_token].revoked = True

    # -- what Authlib needs from a framework ---------------------------------------
    def query_client(self, client_id: str) -> Client | None:
        return self.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        self.tokens[token["access_token"]] = Issued(
            access_token=token["access_token"],
            client_id=request.client.client_id,
            subject=request.user,
            scope=token.get("scope", ""),
            expires_at=time.time() + token["expires_in"],
        )

    def create_oauth2_request(self, request: _Request) -> _Request:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, Any]:
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass

    # -- the ASGI application --------------------------------------------------------
    async def _token(self, request: Request) -> Response:
        # parsed here: Starlette's request.form() needs python-multipart
        form = FormData(
            urllib.parse.parse_qsl((await request.body()).decode(), keep_blank_values=True)
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        oauth_request = _Request(request, form)
        status, body, headers = self.create_token_response(oauth_request)
        self.token_requests.append(
            Recorded(
                {name: str(value) for name, value in form.items()},
                request.headers.get("authorization"),
                status,
                oauth_request.auth_method,
            )
        )
        return _render(status, dict(body), str(form.get("format", "json")), dict(headers))

    async def _record(self, request: Request) -> None:
        self.api_calls.append(ApiCall(request.headers.get("authorization"), await request.body()))

    async def _api(self, request: Request) -> Response:
        await self._record(request)
        try:
            token = self.protector.validate_request(None, request)
        except OAuth2Error as error:
            status, body, headers = error()
            return JSONResponse(body, status, headers=dict(headers))
        return JSONResponse({"client_id": token.client_id, "sub": token.subject})

    async def _refuse(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse({"error": "invalid_token"}, 401)

    async def _jwt_api(self, request: Request) -> Response:
        """The SDK's JWT itself as bearer: signed with the issuer's registered key and
        algorithm, ``aud`` this API, not expired (joserfc's claims registry)."""
        await self._record(request)
        _, _, value = request.headers.get("authorization", "").partition(" ")
        try:
            unverified = json.loads(jws.extract_compact(value.encode()).payload)
            client = self.clients[unverified["iss"]]
            token = jwt.decode(value, client.key, algorithms=[client.algorithm])
            jwt.JWTClaimsRegistry(
                aud={"essential": True, "value": f"{self.url}/jwt-api"}, exp={"essential": True}
            ).validate(token.claims)
        except (JoseError, ValueError, KeyError, TypeError):
            return JSONResponse({"error": "invalid_token"}, 401)
        return JSONResponse({"sub": token.claims.get("sub"), "iss": token.claims["iss"]})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth/token", self._token, methods=["POST"]),
                Route("/api/data", self._api, methods=["GET", "POST"]),
                Route("/api/refuse", self._refuse, methods=["GET", "POST"]),
                Route("/jwt-api/data", self._jwt_api),
            ]
        )


def _render(status: int, body: dict[str, Any], form: str, headers: dict[str, str]) -> Response:
    """JSON, or SPEC §2.3's ``format=urlencoded|xml`` shapes of the same fields."""
    headers = {**headers, "Cache-Control": "no-store"}
    headers.pop("Content-Type", None)
    if form == "urlencoded":
        text = urllib.parse.urlencode({k: str(v) for k, v in body.items()})
        return Response(text, status, headers, "application/x-www-form-urlencoded")
    if form == "xml":
        root = ElementTree.Element("token_response" if status == 200 else "error_response")
        for name, value in body.items():
            ElementTree.SubElement(root, name).text = str(value)
        return Response(ElementTree.tostring(root), status, headers, "application/xml")
    return JSONResponse(body, status, headers)
