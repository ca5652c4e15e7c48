"""The ASGI application factory: one Runtime, the front doors, the middleware."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

import jwtgate
from jwtgate.cache import CacheUnavailable
from jwtgate.logs import configure_logging
from jwtgate.rate_limits import RateLimited
from jwtgate.runtime import Runtime
from jwtgate.server import (
    admin,
    admin_clients,
    admin_diagnose,
    authn_jwt,
    inspect_page,
    oauth,
    ops,
    secrets,
    wellknown,
    whoami,
)
from jwtgate.server.middleware import BodyLimitMiddleware, RequestContextMiddleware
from jwtgate.server.proxy import ProxyMiddleware
from jwtgate.server.responses import error_response
from jwtgate.settings import Settings, load_settings
from jwtgate.store import StoreUnavailable

__all__ = ["SETTINGS_ENV", "app_from_environment", "create_app"]

log = logging.getLogger("jwtgate.server")

# `serve --workers N` hands each worker process the resolved settings through this
# variable (not prefixed JWTGATE_, so the settings model never reads it as a setting).
SETTINGS_ENV = "_JWTGATE_SERVE_SETTINGS"
RETRY_AFTER_SECONDS = "5"
BODY_LIMIT = 1024 * 1024  # SPEC §2.5


def create_app(settings: Settings) -> FastAPI:
    """Build the application; the Runtime starts in the lifespan (one per process)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings)
        await runtime.start()
        app.state.runtime = runtime
        log.info("serving", extra={"public_url": runtime.public_url, "pid": os.getpid()})
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="jwtgate",
        version=jwtgate.__version__,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.include_router(ops.router)
    app.include_router(wellknown.router)
    app.include_router(admin.router)
    app.include_router(admin_diagnose.router)
    app.include_router(inspect_page.router)
    app.include_router(authn_jwt.router)
    app.include_router(whoami.router)
    app.include_router(secrets.router)
    app.include_router(oauth.router)
    app.include_router(admin_clients.router)
    _install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, limit_for=_body_limit)
    app.add_middleware(ProxyMiddleware)  # proxy routes stream past the body limit
    app.add_middleware(RequestContextMiddleware)
    return app


def _body_limit(path: str) -> int:
    """SPEC §2.5: 1 MiB, and 64 KiB plus overhead for a secret value."""
    return secrets.BODY_LIMIT if path.startswith("/secrets/") else BODY_LIMIT


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(admin.AdminRefused)
    async def admin_refused(_: Request, error: admin.AdminRefused) -> Response:
        return error.response

    @app.exception_handler(StoreUnavailable)
    async def store_down(_: Request, error: StoreUnavailable) -> Response:
        log.warning("store unavailable", extra={"error": str(error)})
        return error_response(
            503,
            "temporarily_unavailable",
            "the store is unavailable; retry later",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )

    @app.exception_handler(RateLimited)
    async def rate_limited(_: Request, error: RateLimited) -> Response:
        return error_response(
            429,
            "rate_limited",
            f"{error}; retry after {error.retry_after} s",
            headers={"Retry-After": str(error.retry_after)},
        )

    @app.exception_handler(CacheUnavailable)
    async def cache_down(_: Request, error: CacheUnavailable) -> Response:
        log.warning("cache unavailable", extra={"error": str(error)})
        return error_response(
            503,
            "temporarily_unavailable",
            "the shared cache is unavailable; retry later",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return error_response(error.status_code, code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, error: RequestValidationError) -> Response:
        where = "; ".join(
            f"{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        return error_response(400, "invalid_request", where)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "server_error", "an unexpected error occurred")


def app_from_environment() -> FastAPI:
    """Factory for uvicorn workers: settings as `serve` resolved them, else from env/TOML."""
    raw = os.environ.get(SETTINGS_ENV)
    if raw:
        resolved = json.loads(raw)
        resolved["master_key"] = os.environ.get("JWTGATE_MASTER_KEY")
        settings = Settings.model_validate(resolved)
    else:
        settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
