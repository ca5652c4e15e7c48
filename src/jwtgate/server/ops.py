"""Operations endpoints (SPEC §2.6): liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import JSONResponse, Response

from jwtgate.runtime import Runtime

__all__ = ["router"]

router = APIRouter(tags=["operations"])

READY_TIMEOUT_SECONDS = 2.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and its event loop answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready when the store and the cache answer; identity providers do not count."""
    runtime: Runtime = request.app.state.runtime
    checks = {"store": runtime.database.ping(), "cache": runtime.cache.ping()}
    results = await asyncio.gather(
        *(asyncio.wait_for(check, READY_TIMEOUT_SECONDS) for check in checks.values()),
        return_exceptions=True,
    )
    failing = [name for name, result in zip(checks, results, strict=True) if result is not None]
    if failing:
        return JSONResponse({"status": "unavailable", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
