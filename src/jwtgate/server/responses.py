"""The JSON error body every front door shares (SPEC §2)."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

from jwtgate.logs import request_id_var

__all__ = ["error_response"]


def error_response(
    status: int,
    error: str,
    description: str,
    *,
    reason: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """``{"error", "reason"?, "error_description", "request_id"}`` with the given status."""
    body: dict[str, str] = {"error": error}
    if reason is not None:
        body["reason"] = reason
    body["error_description"] = description
    body["request_id"] = request_id_var.get()
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))
