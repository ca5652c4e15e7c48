"""The OAuth 2.0 pipeline (SPEC §2.3), without HTTP: one module per grant or RFC.

- :mod:`.form` — the request body (RFC 6749 §3.1, §3.2) and ``format``;
- :mod:`.client_auth` — client authentication (RFC 6749 §2.3, RFC 7523 §2.2);
- :mod:`.assertions` — RFC 7523 §3 on the validation engine, and single use;
- :mod:`.jwt_bearer`, :mod:`.client_credentials` — the grants (RFC 7523 §2.1,
  RFC 6749 §4.4); :mod:`.scopes` — RFC 6749 §3.3; :mod:`.issue` — the access token;
- :mod:`.introspection` (RFC 7662), :mod:`.revocation` (RFC 7009);
- :mod:`.directory` — the clients and trusted issuers a process serves;
  :mod:`.registry` — ``jwtgate client add|list|remove``.

The front door (:mod:`jwtgate.server.oauth`) builds an :class:`OAuthContext`, calls
these, and renders :class:`OAuthError` or the result in the requested format.
"""

from jwtgate.oauth.assertions import SingleUse, take_single_use
from jwtgate.oauth.client_auth import (
    METHODS,
    AuthenticatedClient,
    Presented,
    authenticate_client,
    presented_credentials,
)
from jwtgate.oauth.client_credentials import client_credentials_grant
from jwtgate.oauth.context import (
    CLIENT_ASSERTION_TYPE,
    CLIENT_CREDENTIALS,
    JWT_BEARER,
    TOKEN_PATHS,
    OAuthContext,
)
from jwtgate.oauth.directory import EMPTY, ClientDirectory, ClientEntry, IssuerEntry
from jwtgate.oauth.errors import OAuthCode, OAuthError, unavailable
from jwtgate.oauth.form import FORMATS, Format, form_fields, parse_pairs, response_format
from jwtgate.oauth.introspection import introspect
from jwtgate.oauth.issue import Grant, issue, token_fields
from jwtgate.oauth.jwt_bearer import jwt_bearer_grant
from jwtgate.oauth.revocation import Revocation, plan_revocation

__all__ = [
    "CLIENT_ASSERTION_TYPE",
    "CLIENT_CREDENTIALS",
    "EMPTY",
    "FORMATS",
    "JWT_BEARER",
    "METHODS",
    "TOKEN_PATHS",
    "AuthenticatedClient",
    "ClientDirectory",
    "ClientEntry",
    "Format",
    "Grant",
    "IssuerEntry",
    "OAuthCode",
    "OAuthContext",
    "OAuthError",
    "Presented",
    "Revocation",
    "SingleUse",
    "authenticate_client",
    "client_credentials_grant",
    "form_fields",
    "introspect",
    "issue",
    "jwt_bearer_grant",
    "parse_pairs",
    "plan_revocation",
    "presented_credentials",
    "response_format",
    "take_single_use",
    "token_fields",
    "unavailable",
]
