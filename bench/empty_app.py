"""Baselines: the cheapest answers uvicorn (uvloop + httptools) can give on one core.

- ``app``: a bare ASGI callable answering 200 with an empty body — the "empty uvicorn
  endpoint" of issue 9, the ceiling for any Python HTTP service here;
- ``fastapi_app``: the same answer from a FastAPI route (no middleware), to show what
  the framework's routing costs on its own.

Run: ``uvicorn --app-dir bench empty_app:app --loop uvloop --http httptools``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.responses import Response

_START = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]}
_BODY = {"type": "http.response.body", "body": b""}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(_START)
    await send(_BODY)


fastapi_app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@fastapi_app.get("/")
async def empty() -> Response:
    return Response(status_code=200)
