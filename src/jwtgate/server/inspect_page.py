"""``GET /ui/inspect``: the web token inspector (SPEC §2.6).

A self-contained page (its own script and style, no third-party assets) that asks for
the admin credential, keeps it in memory and calls ``POST /admin/diagnose``. A strict
Content-Security-Policy allows nothing but this server, so a pasted token cannot be
sent anywhere else.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from starlette.responses import Response

__all__ = ["router"]

router = APIRouter(tags=["ui"], include_in_schema=False)

_STATIC = resources.files("jwtgate.server").joinpath("static")
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_FILES = {
    "inspect": ("inspect.html", "text/html; charset=utf-8"),
    "inspect.js": ("inspect.js", "text/javascript; charset=utf-8"),
    "inspect.css": ("inspect.css", "text/css; charset=utf-8"),
}


def _serve(name: str) -> Response:
    filename, media_type = _FILES[name]
    return Response(
        _STATIC.joinpath(filename).read_bytes(), media_type=media_type, headers=_HEADERS
    )


@router.get("/ui/inspect")
async def page() -> Response:
    return _serve("inspect")


@router.get("/ui/inspect.js")
async def script() -> Response:
    return _serve("inspect.js")


@router.get("/ui/inspect.css")
async def style() -> Response:
    return _serve("inspect.css")
