"""Authorization server metadata (RFC 8414 §2, §3): ``GET /.well-known/oauth-authorization-server``
and, for clients that only know OpenID Connect discovery, the same document at
``GET /.well-known/openid-configuration``.

jwtgate has no authorization endpoint and issues no ID tokens, so
``response_types_supported`` (required by RFC 8414) is empty and no OpenID-only
member is claimed. ``issuer`` is the public URL — the ``iss`` of every token it signs
and one of the ``aud`` values an assertion may name (SPEC §2).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from jwtgate.jose import ALGORITHMS
from jwtgate.oauth import CLIENT_CREDENTIALS, JWT_BEARER, METHODS, TOKEN_PATHS
from jwtgate.runtime import Runtime
from jwtgate.server.oauth import introspect, revoke

__all__ = ["metadata_document", "router"]

router = APIRouter(tags=["oauth"])
MAX_AGE_SECONDS = 300


def metadata_document(runtime: Runtime) -> dict[str, Any]:
    """The RFC 8414 §2 members for this process's public URL and settings."""
    base = runtime.public_url
    algorithms = sorted({*ALGORITHMS, "EdDSA"})
    methods = list(METHODS)
    return {
        "issuer": base,
        "token_endpoint": f"{base}{TOKEN_PATHS[0]}",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "grant_types_supported": [
            JWT_BEARER,
            CLIENT_CREDENTIALS,
            *runtime.settings.oauth.grant_type_aliases,
        ],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": methods,
        "token_endpoint_auth_signing_alg_values_supported": algorithms,
        "introspection_endpoint": f"{base}{introspect.PATH}",
        "introspection_endpoint_auth_methods_supported": methods,
        "introspection_endpoint_auth_signing_alg_values_supported": algorithms,
        "revocation_endpoint": f"{base}{revoke.PATH}",
        "revocation_endpoint_auth_methods_supported": methods,
        "revocation_endpoint_auth_signing_alg_values_supported": algorithms,
    }


@router.get("/.well-known/oauth-authorization-server")
@router.get("/.well-known/openid-configuration")
async def metadata(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    return JSONResponse(
        metadata_document(runtime),
        headers={"Cache-Control": f"public, max-age={MAX_AGE_SECONDS}"},
    )
