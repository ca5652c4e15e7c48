"""Operations endpoints over real HTTP: health, readiness, metrics, request ids, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.server import ServerThread, free_port, initialised_settings


def test_healthz_and_readyz(server: ServerThread) -> None:
    with server.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


def test_readyz_names_an_unreachable_cache(tmp_path: Path) -> None:
    dead_cache = f"redis://127.0.0.1:{free_port()}/0"
    settings, credential = initialised_settings(tmp_path / "var", cache_url=dead_cache)
    with ServerThread(settings, credential) as running, running.client() as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "failing": ["cache"]}
        assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [("abc-123_X.y", True), ("a" * 128, True), ("a" * 129, False), ("bad id!", False), ("", False)],
)
def test_request_id_is_echoed_only_when_sane(server: ServerThread, sent: str, echoed: bool) -> None:
    with server.client() as client:
        response = client.get("/healthz", headers={"X-Request-Id": sent})
    returned = response.headers["x-request-id"]
    assert (returned == sent) is echoed
    assert 1 <= len(returned) <= 128


def test_every_response_has_a_request_id(server: ServerThread) -> None:
    with server.client() as client:
        for response in (client.get("/nope"), client.post("/healthz"), client.get("/admin/keys")):
            assert response.headers["x-request-id"]
            assert response.json()["request_id"] == response.headers["x-request-id"]


def test_metrics_are_prometheus_text(server: ServerThread) -> None:
    with server.client() as client:
        client.get("/healthz")
        metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'jwtgate_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text


def test_oversized_body_is_refused_before_parsing(server: ServerThread) -> None:
    body = b"x" * (1024 * 1024 + 1)
    with server.admin() as client:
        declared = client.post("/admin/policy", content=body)
        streamed = client.post("/admin/policy", content=iter([body[:600_000], body[600_000:]]))
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["error"] == "request_too_large"


def test_jwks_has_current_and_next_with_cache_control(server: ServerThread) -> None:
    with server.client() as client:
        response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    keys = response.json()["keys"]
    assert len(keys) == 2
    assert all(key["kty"] == "EC" and key["crv"] == "P-256" and "d" not in key for key in keys)


def test_unknown_path_is_json_404(server: ServerThread) -> None:
    with server.client() as client:
        response = client.get("/does-not-exist")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_server_answers_after_a_bad_request(server: ServerThread) -> None:
    with server.client() as client:
        client.get("/admin/audit", params={"limit": "many"}, headers={"Authorization": "x"})
        assert client.get("/healthz").status_code == 200
