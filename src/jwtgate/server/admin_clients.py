"""``/admin/clients``: the client application registry through the admin API (SPEC §2.6,
§5 ``jwtgate client add|list|remove --server``).

- ``GET /admin/clients`` → ``{"clients": [...]}``, policy and registry clients alike
  (credential kinds only, never a credential);
- ``POST /admin/clients`` with a JSON object (``account``, ``id``, one of
  ``certificate`` (PEM text), ``jwks``, ``jwks_uri``, ``generate_secret: true``, and
  optionally ``grant_types``, ``scopes``, ``default_scopes``, ``subjects``,
  ``audience``) → 201 ``{"client": {...}, "client_secret": …}`` — the secret only when
  generated, and only in this answer; 422 ``invalid_client_metadata`` (RFC 7591 §3.2.2)
  with ``problems`` for a bad entry, 409 ``conflict`` for an id in use;
- ``DELETE /admin/clients/{id}`` → 200 ``{"removed": id}``, 404 unknown, 409 when the
  client belongs to a policy.

This process reloads at once; the others within their poll interval (SPEC §2.5).
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from jwtgate.audit import AuditEvent
from jwtgate.logs import request_id_var
from jwtgate.oauth.registry import (
    ClientConflict,
    ClientInvalid,
    ClientNotFound,
    add_client,
    describe_client,
    list_clients,
    remove_client,
)
from jwtgate.runtime import Runtime
from jwtgate.server.admin import require_admin
from jwtgate.server.responses import error_response

__all__ = ["router"]

router = APIRouter(prefix="/admin/clients", tags=["admin"])
Admin = Annotated[Runtime, Depends(require_admin)]


def _audit(runtime: Runtime, code: str, client_id: str) -> None:
    runtime.record(
        AuditEvent(
            time=time.time(),
            request_id=request_id_var.get(),
            front_door="admin",
            decision="accepted",
            code=code,
            subject="admin",
            client_id=client_id,
        )
    )


@router.get("")
async def get_clients(runtime: Admin) -> JSONResponse:
    return JSONResponse({"clients": await list_clients(runtime.database)})


@router.post("", response_model=None)
async def post_client(runtime: Admin, request: Request) -> Response:
    try:
        body: Any = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return error_response(400, "invalid_request", "the body must be a JSON object")
    try:
        registered = await add_client(runtime.database, body)
    except ClientInvalid as error:
        document = {
            "error": "invalid_client_metadata",
            "error_description": str(error),
            "problems": error.problems,
            "request_id": request_id_var.get(),
        }
        return JSONResponse(document, status_code=422)
    except ClientConflict as error:
        return error_response(409, "conflict", str(error))
    client = registered.client
    _audit(runtime, "client_added", client.id)
    await runtime.reload()
    answer: dict[str, Any] = {
        "client": describe_client(client.account, client.document, "registry", client.created_at)
    }
    if registered.secret is not None:
        answer["client_secret"] = registered.secret
    return JSONResponse(answer, status_code=201, headers={"Cache-Control": "no-store"})


@router.delete("/{client_id:path}", response_model=None)
async def delete_client(runtime: Admin, client_id: str) -> Response:
    try:
        await remove_client(runtime.database, client_id)
    except ClientNotFound as error:
        return error_response(404, "not_found", str(error))
    except ClientConflict as error:
        return error_response(409, "conflict", str(error))
    _audit(runtime, "client_removed", client_id)
    await runtime.reload()
    return JSONResponse({"removed": client_id})
