"""Conjur-compatible secrets (SPEC §2.4).

- ``POST /secrets/{account}/variable/{id}``: the raw body is the new version (``update``;
  201, empty body). At most 64 KiB; binary-safe; an empty body is refused (422).
- ``GET /secrets/{account}/variable/{id}[?version=N]``: the raw value (``execute``).
- ``GET /secrets?variable_ids=a:variable:x,…``: a JSON map of full id to value; values
  are standard base64 when ``Accept-Encoding`` lists ``base64`` (the answer then carries
  ``Content-Encoding: base64``, as Conjur's batch answer does); otherwise a value that
  is not UTF-8 is 406.

``id`` is percent-encoded (``%2F`` for ``/``); unencoded ``/`` also works, as in
Conjur's glob route. Paths are split on the raw path, so ``%2F`` never splits.
Permissions come from :mod:`jwtgate.secret_access`; values from the store, so every
call needs it (503 when it is down). Refusals after authentication (403, 404) are
audited like the 401s that :func:`~jwtgate.server.bearer.authorize` audits.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.parse

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from jwtgate.access_tokens import wants_base64
from jwtgate.audit import AuditEvent
from jwtgate.errors import AuthError
from jwtgate.logs import request_id_var
from jwtgate.runtime import Runtime
from jwtgate.secret_access import (
    Access,
    Caller,
    Privilege,
    access,
    caller_of,
    parse_variable_ids,
)
from jwtgate.server.auth_errors import auth_error_response
from jwtgate.server.bearer import authorize
from jwtgate.server.responses import error_response
from jwtgate.store import SecretRepository

__all__ = ["BODY_LIMIT", "MAX_VALUE_BYTES", "router"]

router = APIRouter(tags=["secrets"])

MAX_VALUE_BYTES = 64 * 1024
BODY_LIMIT = MAX_VALUE_BYTES + 1024
"""SPEC §2.5: what the body-size middleware lets through under ``/secrets/``."""
PREFIX = "/secrets/"
_VERSION = re.compile(r"[0-9]{1,9}")  # ASCII digits that fit the store's integer column


class _Refused(Exception):
    """A 403/404 after authentication: audited, then answered."""

    def __init__(self, outcome: Access, subject: str | None, account: str) -> None:
        self.outcome = outcome
        self.subject = subject
        self.account = account


async def _identify(request: Request, runtime: Runtime) -> tuple[Caller | None, str | None]:
    """The caller of the request's access token and its ``sub``; AuthError (audited)."""
    claims = (await authorize(request, runtime)).claims
    subject = claims.get("sub")
    return caller_of(claims), subject if isinstance(subject, str) else None


def _variable_path(request: Request) -> tuple[str, str] | None:
    """``(account, id)`` from ``/secrets/{account}/variable/{id…}``, else None."""
    raw = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
    parts = [urllib.parse.unquote(part) for part in raw[len(PREFIX) :].split("/")]
    if len(parts) < 3 or parts[1] != "variable" or not parts[0] or not all(parts[2:]):
        return None
    return parts[0], "/".join(parts[2:])


def _not_found(text: str) -> JSONResponse:
    """Conjur's error shape, which SPEC §2.4 keeps for 404."""
    return JSONResponse({"error": {"code": "not_found", "message": text}}, status_code=404)


def _check(
    runtime: Runtime,
    who: tuple[Caller | None, str | None],
    variables: list[tuple[str, str]],
    privilege: Privilege,
) -> None:
    """SPEC §2.4: any unknown/invisible variable → 404, else any without the privilege
    → 403 (so a batch never tells which ids exist when one of them does not)."""
    caller, subject = who
    outcomes = [access(runtime.snapshot, caller, a, v, privilege) for a, v in variables]
    for outcome in (Access.NOT_FOUND, Access.FORBIDDEN):
        if outcome in outcomes:
            raise _Refused(outcome, subject, variables[outcomes.index(outcome)][0])


def _refusal(runtime: Runtime, refused: _Refused, what: str) -> Response:
    code = "forbidden" if refused.outcome is Access.FORBIDDEN else "not_found"
    runtime.record(
        AuditEvent(
            time=time.time(),
            request_id=request_id_var.get(),
            front_door="resource",
            decision="refused",
            code=code,
            reason="not_permitted" if refused.outcome is Access.FORBIDDEN else None,
            account=refused.account,
            subject=refused.subject,
        )
    )
    if refused.outcome is Access.FORBIDDEN:
        return error_response(
            403, "forbidden", f"the identity may not use {what}", reason="not_permitted"
        )
    return _not_found(f"{what} is empty or not found")


@router.post("/secrets/{rest:path}")
async def store_secret(request: Request) -> Response:
    """A new version of a variable; 201 with an empty body, as Conjur answers."""
    runtime: Runtime = request.app.state.runtime
    try:
        who = await _identify(request, runtime)
    except AuthError as error:
        return auth_error_response(error)
    target = _variable_path(request)
    if target is None:
        return _not_found("no such secrets endpoint")
    try:
        _check(runtime, who, [target], "update")
    except _Refused as refused:
        return _refusal(runtime, refused, f"variable {target[1]}")
    value = await request.body()
    if not value:
        return error_response(422, "invalid_request", "the secret value (request body) is empty")
    if len(value) > MAX_VALUE_BYTES:
        return error_response(
            413, "request_too_large", f"a secret value is at most {MAX_VALUE_BYTES} bytes"
        )
    await SecretRepository(runtime.database, runtime.master).append(*target, value)
    return Response(status_code=201)


@router.get("/secrets/{rest:path}")
async def fetch_secret(request: Request) -> Response:
    """The raw value of the newest (or the given) version."""
    runtime: Runtime = request.app.state.runtime
    try:
        who = await _identify(request, runtime)
    except AuthError as error:
        return auth_error_response(error)
    target = _variable_path(request)
    if target is None:
        return _not_found("no such secrets endpoint")
    try:
        _check(runtime, who, [target], "execute")
    except _Refused as refused:
        return _refusal(runtime, refused, f"variable {target[1]}")
    version_text = request.query_params.get("version")
    version = None
    if version_text is not None:
        if not _VERSION.fullmatch(version_text) or int(version_text) < 1:
            return error_response(422, "invalid_request", "version must be a positive integer")
        version = int(version_text)
    value = await SecretRepository(runtime.database, runtime.master).read(*target, version)
    if value is None:
        which = f"version {version} of variable" if version else "variable"
        return _not_found(f"{which} {target[1]} is empty or not found")
    return Response(value, media_type="application/octet-stream")


@router.get("/secrets")
async def fetch_secrets(request: Request) -> Response:
    """The newest value of each listed variable, as one JSON object keyed by full id."""
    runtime: Runtime = request.app.state.runtime
    try:
        who = await _identify(request, runtime)
    except AuthError as error:
        return auth_error_response(error)
    listed = request.query_params.getlist("variable_ids")
    try:
        if len(listed) > 1:
            raise ValueError("give variable_ids once, comma-separated")
        variables = parse_variable_ids(listed[0] if listed else None)
    except ValueError as error:
        return error_response(422, "invalid_request", str(error))
    try:
        _check(runtime, who, variables, "execute")
    except _Refused as refused:
        return _refusal(runtime, refused, "one of the variables")
    values = await SecretRepository(runtime.database, runtime.master).read_newest(variables)
    empty = next((v for v in variables if v not in values), None)
    if empty is not None:
        return _not_found(f"variable {empty[0]}:variable:{empty[1]} is empty or not found")
    encoded = wants_base64(request.headers.get("accept-encoding"))
    body: dict[str, str] = {}
    for account, variable_id in variables:
        value, full_id = values[account, variable_id], f"{account}:variable:{variable_id}"
        if encoded:
            body[full_id] = base64.b64encode(value).decode("ascii")
            continue
        try:
            body[full_id] = value.decode("utf-8")
        except UnicodeDecodeError:
            return error_response(
                406,
                "not_acceptable",
                f"{full_id} is not UTF-8: send Accept-Encoding: base64",
            )
    headers = {"Content-Encoding": "base64"} if encoded else {}
    return Response(json.dumps(body), media_type="application/json", headers=headers)
