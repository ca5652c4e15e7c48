"""The client credentials grant (RFC 6749 §4.4, SPEC §2.3).

The client authenticates (``private_key_jwt``, ``client_secret_basic`` or
``client_secret_post``, :mod:`.client_auth`), must be registered for
``client_credentials`` (else ``unauthorized_client``) and gets a token whose ``sub`` is
its own id, with the scopes of :func:`~jwtgate.oauth.scopes.grant_scopes`.
"""

from __future__ import annotations

from collections.abc import Mapping

from jwtgate.oauth.client_auth import Presented, authenticate_client
from jwtgate.oauth.context import CLIENT_CREDENTIALS, OAuthContext
from jwtgate.oauth.errors import OAuthCode, OAuthError
from jwtgate.oauth.issue import Grant
from jwtgate.oauth.scopes import grant_scopes

__all__ = ["client_credentials_grant"]


async def client_credentials_grant(
    ctx: OAuthContext, fields: Mapping[str, str], presented: Presented
) -> Grant:
    authenticated = await authenticate_client(ctx, presented)
    client = authenticated.entry.client
    if CLIENT_CREDENTIALS not in client.grant_types:
        raise OAuthError(
            OAuthCode.UNAUTHORIZED_CLIENT,
            f"client {client.id} is not registered for the client_credentials grant",
        )
    scopes = grant_scopes(
        fields.get("scope"), client.scopes, client.default_scopes, holder=f"client {client.id}"
    )
    records = (authenticated.single_use,) if authenticated.single_use else ()
    return Grant(
        grant_type=CLIENT_CREDENTIALS,
        subject=client.id,
        client_id=client.id,
        account=client.account,
        audience=client.audience,
        scopes=scopes,
        single_use=records,
    )
