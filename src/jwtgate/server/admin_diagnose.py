"""``POST /admin/diagnose`` (SPEC §2.6): the ``token inspect --json`` report over HTTP."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from jwtgate.diagnose import clean_token, inspect_authenticator, inspect_oauth
from jwtgate.oauth import OAuthContext
from jwtgate.runtime import Runtime
from jwtgate.server.admin import require_admin
from jwtgate.server.responses import error_response

__all__ = ["router"]

router = APIRouter(prefix="/admin", tags=["admin"])
Admin = Annotated[Runtime, Depends(require_admin)]


class DiagnoseRequest(BaseModel):
    """``authenticator`` is ``ACCOUNT/SERVICE_ID``; ``login`` the URL's id, if any."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=128 * 1024)
    authenticator: str | None = None
    login: str | None = None
    oauth: bool = False


@router.post("/diagnose")
async def diagnose(runtime: Admin, request: DiagnoseRequest) -> Response:
    token = clean_token(request.token)
    now = time.time()
    if request.authenticator is not None and not request.oauth:
        account, _, service_id = request.authenticator.partition("/")
        if not account or not service_id:
            return error_response(400, "invalid_request", "authenticator is ACCOUNT/SERVICE_ID")
        report = await inspect_authenticator(
            token,
            runtime.snapshot,
            runtime.key_sources,
            account=account,
            service_id=service_id,
            login=request.login,
            now=now,
        )
        return JSONResponse(report.as_json())
    if request.oauth and request.authenticator is None:
        context = OAuthContext(
            public_url=runtime.public_url,
            settings=runtime.settings.oauth,
            directory=runtime.clients,
            key_sources=runtime.key_sources,
            cache=runtime.cache,
            now=now,
        )
        return JSONResponse((await inspect_oauth(token, context)).as_json())
    return error_response(
        400, "invalid_request", "give exactly one of authenticator (ACCOUNT/SERVICE_ID) or oauth"
    )
