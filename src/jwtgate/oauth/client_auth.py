"""Client authentication at the token, introspection and revocation endpoints.

Three methods (SPEC §2.3, RFC 8414 names):

- ``client_secret_basic`` (RFC 6749 §2.3.1): ``Authorization: Basic`` of the
  form-urlencoded ``client_id:client_secret``;
- ``client_secret_post`` (RFC 6749 §2.3.1): ``client_id`` and ``client_secret`` in the
  body;
- ``private_key_jwt`` (RFC 7523 §2.2, RFC 7521 §4.2): ``client_assertion_type`` and a
  ``client_assertion`` whose ``iss`` and ``sub`` are the client id, checked like a grant
  assertion (:mod:`.assertions`) but with ``oauth.max_client_assertion_lifetime``.

"The client MUST NOT use more than one authentication method in each request"
(RFC 6749 §2.3): two are ``invalid_request``. Every failure to authenticate is
``invalid_client`` (401). Secrets are stored as SHA-256 and compared in constant time;
an unknown client and a wrong secret get the same description, so ids cannot be probed.
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from jwtgate.crypto import hash_secret, secrets_equal
from jwtgate.errors import AuthError
from jwtgate.jose import parse_token
from jwtgate.oauth.assertions import (
    SingleUse,
    assertion_issuer,
    single_use,
    verify_assertion,
)
from jwtgate.oauth.context import CLIENT_ASSERTION_TYPE, OAuthContext
from jwtgate.oauth.directory import ClientEntry
from jwtgate.oauth.errors import OAuthCode, OAuthError, from_auth_error

__all__ = [
    "METHODS",
    "AuthenticatedClient",
    "Method",
    "Presented",
    "authenticate_client",
    "presented_credentials",
]

Method = Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
METHODS: tuple[Method, ...] = ("private_key_jwt", "client_secret_basic", "client_secret_post")
UNKNOWN_OR_WRONG = "the client is unknown or its secret is wrong"
_NO_SECRET = "0" * 64  # compared against when the client has no secret: same timing


def _invalid_client(words: str, label: str | None = None) -> OAuthError:
    return OAuthError(OAuthCode.INVALID_CLIENT, words, label=label)


def _invalid_request(words: str) -> OAuthError:
    return OAuthError(OAuthCode.INVALID_REQUEST, words)


@dataclass(frozen=True)
class Presented:
    """The client credentials one request carries, as sent (nothing verified)."""

    method: Method | None
    client_id: str | None
    secret: str | None = None
    assertion: str | None = None


@dataclass(frozen=True)
class AuthenticatedClient:
    """A client that proved who it is; ``single_use`` is its assertion's pending record."""

    entry: ClientEntry
    method: Method
    single_use: SingleUse | None = None


def _basic(value: str) -> tuple[str, str]:
    """RFC 6749 §2.3.1 / RFC 7617: base64 of ``urlencode(id):urlencode(secret)``."""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _invalid_client("the Basic credentials are not base64 of UTF-8 text") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise _invalid_client("the Basic credentials are not client_id:client_secret")
    return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)


def presented_credentials(authorization: str | None, fields: Mapping[str, str]) -> Presented:
    """Which method a request uses, refusing mixtures and half-sent credentials."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    basic = _basic(value) if scheme.lower() == "basic" else None
    form_id, form_secret = fields.get("client_id"), fields.get("client_secret")
    assertion_type, assertion = fields.get("client_assertion_type"), fields.get("client_assertion")
    used = [
        name
        for name, present in (
            ("Basic", basic is not None),
            ("client_secret", form_secret is not None),
            ("client_assertion", assertion is not None or assertion_type is not None),
        )
        if present
    ]
    if len(used) > 1:
        raise _invalid_request(
            f"more than one client authentication method ({', '.join(used)}); "
            "use exactly one (RFC 6749 section 2.3)"
        )
    if basic is not None:
        if form_id is not None and form_id != basic[0]:
            raise _invalid_request("the body's client_id is not the Basic client id")
        return Presented("client_secret_basic", basic[0], secret=basic[1])
    if form_secret is not None:
        if form_id is None:
            raise _invalid_request("client_secret needs client_id (RFC 6749 section 2.3.1)")
        return Presented("client_secret_post", form_id, secret=form_secret)
    if assertion is not None or assertion_type is not None:
        if assertion is None or assertion_type is None:
            raise _invalid_request(
                "client_assertion and client_assertion_type go together (RFC 7521 section 4.2)"
            )
        if assertion_type != CLIENT_ASSERTION_TYPE:
            raise _invalid_request(f"client_assertion_type must be {CLIENT_ASSERTION_TYPE}")
        return Presented("private_key_jwt", form_id, assertion=assertion)
    return Presented(None, form_id)


def _check_secret(ctx: OAuthContext, client_id: str, secret: str) -> ClientEntry:
    entry = ctx.directory.clients.get(client_id)
    expected = entry.client.secret_sha256 if entry is not None else None
    matches = secrets_equal(hash_secret(secret), expected or _NO_SECRET)
    if entry is None or expected is None or not matches:
        raise _invalid_client(UNKNOWN_OR_WRONG, label="unknown_identity")
    return entry


async def _check_assertion(
    ctx: OAuthContext, assertion: str, client_id: str | None
) -> AuthenticatedClient:
    """RFC 7523 §3 with ``iss`` = ``sub`` = client id (§2.2); replay → ``invalid_client``."""
    try:
        parsed = parse_token(assertion)
    except AuthError as failure:
        raise from_auth_error(OAuthCode.INVALID_CLIENT, failure, "client assertion") from None
    issuer = assertion_issuer(parsed, OAuthCode.INVALID_CLIENT, "client assertion")
    if client_id is not None and client_id != issuer:
        raise _invalid_client(
            "client_id is not the client assertion's iss (RFC 7521 section 4.2)",
            label="wrong_issuer",
        )
    entry = ctx.directory.clients.get(issuer)
    if entry is None:
        raise _invalid_client(
            f"no client {ascii(issuer)[:80]} is registered (client assertion)",
            label="unknown_identity",
        )
    context = f"client assertion of client {entry.id}"
    verified = await verify_assertion(
        ctx,
        parsed,
        entry,
        lifetime=ctx.settings.max_client_assertion_lifetime,
        audiences=ctx.client_assertion_audiences,
        error=OAuthCode.INVALID_CLIENT,
        context=context,
    )
    subject = verified.claims.get("sub")
    if subject is None:
        raise _invalid_client(f"the client assertion has no sub ({context})", "missing_claim")
    if subject != issuer:
        raise _invalid_client(
            f"the client assertion's sub must be its client id, RFC 7523 section 3 ({context})",
            "claim_mismatch",
        )
    replayed = _invalid_client(
        f"the client assertion was already used; send a new one with each request ({context})"
    )
    record = single_use(ctx, parsed, issuer, replayed)
    return AuthenticatedClient(entry, "private_key_jwt", record)


async def authenticate_client(ctx: OAuthContext, presented: Presented) -> AuthenticatedClient:
    """The client that ``presented`` proves, or ``invalid_client``.

    Sending no credentials at all is ``invalid_client`` too (RFC 6749 §5.2 "no client
    authentication included").
    """
    if presented.method == "private_key_jwt" and presented.assertion is not None:
        return await _check_assertion(ctx, presented.assertion, presented.client_id)
    if presented.method is not None and presented.client_id and presented.secret is not None:
        entry = _check_secret(ctx, presented.client_id, presented.secret)
        return AuthenticatedClient(entry, presented.method)
    raise _invalid_client(
        "client authentication is required: Basic, client_secret or client_assertion"
    )
