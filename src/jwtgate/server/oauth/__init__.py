"""The OAuth 2.0 front door (SPEC §2.3): one module per RFC.

- :mod:`.token` — ``POST /oauth/token`` and ``/api/oauth/token`` (RFC 6749, RFC 7523);
- :mod:`.introspect` — ``POST /oauth/introspect`` (RFC 7662);
- :mod:`.revoke` — ``POST /oauth/revoke`` (RFC 7009);
- :mod:`.metadata` — ``/.well-known/oauth-authorization-server`` (RFC 8414) and
  ``/.well-known/openid-configuration``.

Each parses its input, calls :mod:`jwtgate.oauth` and renders the answer
(:mod:`.render`).
"""

from fastapi import APIRouter

from jwtgate.server.oauth import introspect, metadata, revoke, token

__all__ = ["router"]

router = APIRouter()
for _module in (token, introspect, revoke, metadata):
    router.include_router(_module.router)
