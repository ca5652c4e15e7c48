"""The admin API (SPEC §2.6): policy, signing keys and the audit trail.

Every call needs ``Authorization: Bearer <admin credential>``; the credential's SHA-256
is compared in constant time with the hash ``jwtgate init`` stored.
"""

from __future__ import annotations

import os
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import JSONResponse, Response

from jwtgate.audit import MAX_AUDIT_LIMIT, AuditEvent, parse_since
from jwtgate.control import (
    ADMIN_CREDENTIAL_KEY,
    DEFAULT_REPLAY_DAYS,
    apply_policy,
    load_policies,
    rotate_keys,
)
from jwtgate.crypto import hash_secret, secrets_equal
from jwtgate.logs import request_id_var
from jwtgate.policy import PolicyError, dump_policy
from jwtgate.runtime import Runtime
from jwtgate.server.responses import error_response
from jwtgate.signer import KeyRecord
from jwtgate.store import AuditRepository, KeyRepository, MetaRepository

__all__ = ["router"]


class AdminRefused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def require_admin(request: Request) -> Runtime:
    """Admit only the admin credential; anything else is 401 and an audit event."""
    runtime = _runtime(request)
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise AdminRefused(
            error_response(
                401,
                "token_missing",
                "the admin API needs Authorization: Bearer <admin credential>",
                headers={"WWW-Authenticate": 'Bearer realm="jwtgate-admin"'},
            )
        )
    expected = await MetaRepository(runtime.database).get(ADMIN_CREDENTIAL_KEY)
    if expected is None or not secrets_equal(hash_secret(credential), expected):
        _audit(runtime, "refused", code="token_invalid", reason="unknown_identity")
        raise AdminRefused(
            error_response(
                401,
                "token_invalid",
                "the admin credential is not valid",
                reason="unknown_identity",
                headers={"WWW-Authenticate": 'Bearer realm="jwtgate-admin", error="invalid_token"'},
            )
        )
    return runtime


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])
Admin = Annotated[Runtime, Depends(require_admin)]


def _audit(
    runtime: Runtime,
    decision: Literal["accepted", "refused"],
    *,
    code: str,
    reason: str | None = None,
) -> None:
    runtime.record(
        AuditEvent(
            time=time.time(),
            request_id=request_id_var.get(),
            front_door="admin",
            decision=decision,
            code=code,
            reason=reason,
            subject="admin",
        )
    )


@router.get("/policy")
async def get_policy(runtime: Admin, account: str | None = None) -> Response:
    """The applied policy as YAML with defaults filled in (all accounts, or one)."""
    _, policies = await load_policies(runtime.database)
    if account is not None:
        if account not in policies:
            return error_response(404, "not_found", f"no policy is applied for account {account}")
        selected = [policies[account]]
    else:
        selected = [policies[name] for name in sorted(policies)]
    if not selected:
        return error_response(404, "not_found", "no policy has been applied")
    body = "---\n".join(dump_policy(policy) for policy in selected)
    return Response(body, media_type="application/yaml")


@router.post("/policy")
async def post_policy(
    runtime: Admin,
    request: Request,
    dry_run: bool = False,
    since_days: Annotated[int, Query(ge=0, le=365)] = DEFAULT_REPLAY_DAYS,
) -> Response:
    """Apply (or with ``dry_run=true`` only report) the YAML policy in the body."""
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        return error_response(400, "invalid_request", "the policy body is not UTF-8 text")
    try:
        result = await apply_policy(
            runtime.database, text, "<request body>", dry_run=dry_run, since_days=since_days
        )
    except PolicyError as error:
        body = {
            "error": "invalid_policy",
            "error_description": str(error),
            "problems": [str(problem) for problem in error.problems],
            "request_id": request_id_var.get(),
        }
        return JSONResponse(body, status_code=422)
    if result.applied:
        _audit(runtime, "accepted", code="policy_applied")
        await runtime.reload()
    return JSONResponse(result.as_json())


@router.get("/status")
async def status(runtime: Admin) -> JSONResponse:
    """What this process serves now: policy version and signing key (for operators)."""
    assert runtime.keyring is not None
    return JSONResponse(
        {
            "pid": os.getpid(),
            "policy_version": runtime.snapshot.version,
            "signing_kid": runtime.keyring.current_kid,
            "signing_algorithm": runtime.keyring.current_algorithm,
            "audit_pending": runtime.audit.pending,
            "audit_dropped": runtime.audit.dropped,
        }
    )


@router.get("/keys")
async def list_keys(runtime: Admin) -> JSONResponse:
    records = await KeyRepository(runtime.database).all()
    return JSONResponse({"keys": [_key_json(record) for record in records]})


@router.post("/keys/rotate")
async def rotate(runtime: Admin) -> JSONResponse:
    plan = await rotate_keys(runtime.database, runtime.master, runtime.settings.signing_algorithm)
    _audit(runtime, "accepted", code="keys_rotated")
    await runtime.reload()
    records = await KeyRepository(runtime.database).all()
    return JSONResponse(
        {
            "rotated": {"current": plan.promote, "retired": plan.retire, "next": plan.create.kid},
            "keys": [_key_json(record) for record in records],
        }
    )


@router.get("/audit")
async def audit(
    runtime: Admin,
    since: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query()] = 100,
) -> Response:
    """Decision events, newest first (claims are never shown)."""
    if not 1 <= limit <= MAX_AUDIT_LIMIT:
        return error_response(400, "invalid_request", f"limit must be 1..{MAX_AUDIT_LIMIT}")
    try:
        since_epoch = parse_since(since)
    except ValueError as error:
        return error_response(400, "invalid_request", str(error))
    await runtime.audit.flush()
    events = await AuditRepository(runtime.database).read(since=since_epoch, limit=limit)
    return JSONResponse({"events": [event.public() for event in events]})


def _key_json(record: KeyRecord) -> dict[str, object]:
    return {
        "kid": record.kid,
        "algorithm": record.algorithm,
        "state": record.state.value,
        "created_at": record.created_at,
        "retired_at": record.retired_at,
    }
