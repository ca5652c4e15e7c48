"""``/.well-known/jwks.json``: jwtgate's public signing keys (SPEC §2.2)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from jwtgate.runtime import Runtime

__all__ = ["router"]

router = APIRouter(tags=["keys"])

# Short enough that verifiers see a rotation's new current key (published as `next`
# well before it signs) long before it is used; long enough to spare the server.
JWKS_MAX_AGE_SECONDS = 300


@router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    assert runtime.keyring is not None  # start() refuses to serve without keys
    return JSONResponse(
        runtime.keyring.jwks(),
        headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}"},
    )
