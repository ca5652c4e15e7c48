"""OAuth response bodies: JSON, form-urlencoded or XML (SPEC §2.3 ``format``).

Successes and errors take the same shape choice: ``application/json``;
``application/x-www-form-urlencoded`` with the same fields; ``application/xml`` with
one root element (``<token_response>`` or ``<error_response>``) holding one child per
field. Every answer carries ``Cache-Control: no-store`` and ``Pragma: no-cache``
(RFC 6749 §5.1) — tokens and verdicts about tokens must not be cached.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from xml.sax.saxutils import escape

from starlette.responses import JSONResponse, Response

from jwtgate.logs import request_id_var
from jwtgate.oauth import Format, OAuthError
from jwtgate.server.responses import error_response

__all__ = ["NO_STORE", "render", "render_error"]

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

Fields = Mapping[str, str | int]


def _xml(root: str, fields: Fields) -> str:
    children = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in fields.items())
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{children}</{root}>\n'


def render(
    fields: Fields,
    fmt: Format,
    *,
    root: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``fields`` in the body shape ``fmt``, uncacheable."""
    all_headers = {**NO_STORE, **(headers or {})}
    if fmt == "urlencoded":
        body = urllib.parse.urlencode({name: str(value) for name, value in fields.items()})
        return Response(
            body,
            status_code=status,
            media_type="application/x-www-form-urlencoded",
            headers=all_headers,
        )
    if fmt == "xml":
        return Response(
            _xml(root, fields),
            status_code=status,
            media_type="application/xml",
            headers=all_headers,
        )
    return JSONResponse(dict(fields), status_code=status, headers=all_headers)


def render_error(error: OAuthError, fmt: Format = "json") -> Response:
    """RFC 6749 §5.2 in ``fmt``: ``error``, ``error_description``, ``request_id`` (SPEC §2)."""
    headers = {**NO_STORE, **error.headers}
    if fmt == "json":
        return error_response(error.status, str(error.error), error.description, headers=headers)
    fields = {
        "error": str(error.error),
        "error_description": error.description,
        "request_id": request_id_var.get(),
    }
    return render(fields, fmt, root="error_response", status=error.status, headers=error.headers)
