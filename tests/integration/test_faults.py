"""Dependencies fail and come back: what keeps working, what fails clearly, what recovers.

PostgreSQL, Redis and the identity provider are cut through a TCP proxy the test
controls (or an IdP the test runs), never by stopping the machine's shared servers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Backend, reset_postgres
from tests.integration.test_authn_jwt import policy_for, post, token, url
from tests.support import policies
from tests.support.idp import LoopbackIdP
from tests.support.server import ServerThread, initialised_settings
from tests.support.tcp_proxy import TcpProxy, wait_until


@pytest.fixture
def idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256"]) as running:
        yield running


def _proxied_server(tmp_path: Path, database_url: str, cache_url: str) -> tuple[ServerThread, str]:
    settings, credential = initialised_settings(
        tmp_path / "var",
        database_url=database_url,
        cache_url=cache_url,
        reload_interval_seconds=0.2,
        audit={"flush_interval_seconds": 0.1},
    )
    return ServerThread(settings, credential), credential


def test_postgres_outage(
    postgres_url: str, redis_url: str, tmp_path: Path, idp: LoopbackIdP
) -> None:
    reset_postgres(postgres_url)
    with TcpProxy("127.0.0.1", 5432) as proxy:
        server, _ = _proxied_server(tmp_path, proxy.url_for(postgres_url, 5432), redis_url)
        with server:
            with server.admin() as admin:
                assert admin.post("/admin/policy", content=policy_for(idp)).status_code == 200
            assert post(server, url(), token(idp)).status_code == 200

            proxy.cut()
            for n in range(5):  # authentication keeps working from the snapshot and caches
                response = post(server, url(), token(idp), headers={"X-Request-Id": f"outage-{n}"})
                assert response.status_code == 200, response.text
            issued = response.json()
            access = ".".join(issued[p].rstrip("=") for p in ("protected", "payload", "signature"))
            with server.client() as client:
                who = client.get("/whoami", headers={"Authorization": f"Bearer {access}"})
                ready = client.get("/readyz")
            assert who.status_code == 200
            assert ready.status_code == 503 and ready.json()["failing"] == ["store"]
            with server.admin() as admin:
                write = admin.post("/admin/policy", content=policies.OTHER_ACCOUNT)
            assert write.status_code == 503
            assert write.json()["error"] == "temporarily_unavailable"
            assert write.headers["retry-after"]
            assert server.runtime.audit.pending >= 5  # buffered, not lost
            assert server.runtime.audit.dropped == 0

            proxy.restore()
            wait_until(lambda: server.runtime.audit.pending == 0, 10)
            with server.client() as client:
                wait_until(lambda: client.get("/readyz").status_code == 200, 10)
            with server.admin() as admin:
                events = admin.get("/admin/audit", params={"limit": 50}).json()["events"]
                assert (
                    admin.post("/admin/policy", content=policies.OTHER_ACCOUNT).status_code == 200
                )
            written = {event["request_id"] for event in events}
            assert {f"outage-{n}" for n in range(5)} <= written


def test_redis_outage(postgres_url: str, redis_url: str, tmp_path: Path, idp: LoopbackIdP) -> None:
    reset_postgres(postgres_url)
    host_port = redis_url.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    with TcpProxy(host, int(port)) as proxy:
        server, _ = _proxied_server(tmp_path, postgres_url, proxy.url_for(redis_url, 6379))
        with server:
            with server.admin() as admin:
                assert admin.post("/admin/policy", content=policy_for(idp)).status_code == 200
            first = post(server, url(), token(idp))
            assert first.status_code == 200
            access = ".".join(
                first.json()[p].rstrip("=") for p in ("protected", "payload", "signature")
            )

            proxy.cut()
            with server.client() as client:
                ready = client.get("/readyz")
                check = client.get("/authn/check", headers={"Authorization": f"Bearer {access}"})
            assert ready.status_code == 503 and ready.json()["failing"] == ["cache"]
            assert check.status_code == 204  # the last known revocation list is used
            assert post(server, url(), token(idp)).status_code == 200

            proxy.restore()
            with server.client() as client:
                wait_until(lambda: client.get("/readyz").status_code == 200, 10)


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
def test_hanging_idp_blocks_no_worker(server: ServerThread, idp: LoopbackIdP) -> None:
    with server.admin() as admin:
        assert admin.post("/admin/policy", content=policy_for(idp)).status_code == 200
    idp.mode = "hang"
    idp.hang_seconds = 10
    outcome: dict[str, object] = {}

    def authenticate() -> None:
        started = time.monotonic()
        outcome["response"] = post(server, url(), token(idp))
        outcome["seconds"] = time.monotonic() - started

    waiting = threading.Thread(target=authenticate)
    waiting.start()
    time.sleep(0.5)
    started = time.monotonic()
    with httpx.Client(base_url=server.url, timeout=5) as client:
        for _ in range(10):
            assert client.get("/healthz").status_code == 200
    assert time.monotonic() - started < 2  # the event loop is not blocked by the fetch
    waiting.join(15)
    response = outcome["response"]
    assert isinstance(response, httpx.Response)
    assert response.json()["error"] == "token_unprocessable"
    assert float(str(outcome["seconds"])) < 6.5


@pytest.mark.parametrize("backend", ["sqlite+memory", "postgresql+redis"], indirect=True)
def test_authenticator_rate_limit(backend: Backend, tmp_path: Path, idp: LoopbackIdP) -> None:
    settings, credential = initialised_settings(
        tmp_path / "var",
        database_url=backend.database_url,
        cache_url=backend.cache_url,
        cache_prefix=backend.cache_prefix,
        rate_limit={"per_authenticator": {"requests_per_second": 0.5, "burst": 2}},
    )
    with ServerThread(settings, credential) as server:
        with server.admin() as admin:
            assert admin.post("/admin/policy", content=policy_for(idp)).status_code == 200
        assert post(server, url(), token(idp)).status_code == 200
        assert post(server, url(), token(idp)).status_code == 200
        limited = post(server, url(), token(idp))
        assert limited.status_code == 429
        assert limited.json()["error"] == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        other = post(server, url("gitlab", None), token(idp))  # another authenticator
        assert other.status_code == 200
