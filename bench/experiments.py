"""jwtgate's own app with one proposed change, to measure it before anyone edits src/.

``python bench/experiments.py --variant starlette-routes --data-dir D --port P`` serves
what ``jwtgate serve --data-dir D --port P`` serves (same settings, same app factory,
same middleware), except:

- ``starlette-routes``: the three hot endpoints (``POST /oauth/token`` and its alias,
  ``POST /authn-jwt/…``, ``GET /authn/check``) are also mounted as plain Starlette
  routes ahead of FastAPI's included routers, so a hot request skips FastAPI's route
  matching over the included routers and its dependency machinery. The endpoint
  functions are jwtgate's own, unchanged (they take a ``Request`` and return a
  ``Response``). FastAPI's registrations stay for everything else (OpenAPI included).
- ``gc-freeze``: ``gc.freeze()`` once the app is built, so the cyclic collector's full
  (generation 2) passes no longer walk the hundreds of thousands of objects that
  imports and start-up created and that live for ever.
- ``gc-stats``: nothing changed, but every generation-2 collection that takes over
  5 ms is logged (a warning on stderr, in the server's log) with its duration.
- ``as-is``: nothing changed (to check that this launcher itself costs nothing).

Used by ``bench/run.sh --experiments``; never by the product or its tests.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import time
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from jwtgate.logs import configure_logging
from jwtgate.server.app import SETTINGS_ENV, app_from_environment
from jwtgate.settings import load_settings


def as_is_app() -> FastAPI:
    return app_from_environment()


class HotRoute(Route):
    """A plain Starlette route that names itself in ``scope["route"]``, as FastAPI's routes
    do: FastAPI 0.165's router does not set it for plain routes, and jwtgate's request log
    and metrics read it (without this the route label would be ``unmatched``)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self
        await super().handle(scope, receive, send)


def starlette_routes_app() -> FastAPI:
    from jwtgate.oauth import TOKEN_PATHS
    from jwtgate.server.authn_jwt import authenticate_endpoint
    from jwtgate.server.oauth.token import token_endpoint
    from jwtgate.server.whoami import check

    app = app_from_environment()
    hot: list[BaseRoute] = [
        *(HotRoute(path, token_endpoint, methods=["POST"]) for path in TOKEN_PATHS),
        HotRoute("/authn-jwt/{rest:path}", authenticate_endpoint, methods=["POST"]),
        HotRoute("/authn/check", check, methods=["GET"]),
    ]
    app.router.routes[0:0] = hot
    return app


def gc_freeze_app() -> FastAPI:
    app = app_from_environment()
    gc.collect()
    gc.freeze()
    return app


def gc_stats_app() -> FastAPI:
    log = logging.getLogger("bench.gc")
    started: list[float] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            took = (time.perf_counter() - started[0]) * 1000
            if took > 5:
                log.warning("gen2 collection took %.1f ms (%d collected)", took, info["collected"])

    gc.callbacks.append(watch)
    return app_from_environment()


VARIANTS = {
    "as-is": "as_is_app",
    "starlette-routes": "starlette_routes_app",
    "gc-freeze": "gc_freeze_app",
    "gc-stats": "gc_stats_app",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default=None)
    args = parser.parse_args()
    settings = load_settings(data_dir=args.data_dir, port=args.port, log_level=args.log_level)
    os.environ[SETTINGS_ENV] = json.dumps(
        json.loads(settings.model_dump_json(exclude={"master_key"}))
    )
    configure_logging(settings.log_level)
    uvicorn.run(
        f"experiments:{VARIANTS[args.variant]}",
        factory=True,
        app_dir=str(Path(__file__).resolve().parent),
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
