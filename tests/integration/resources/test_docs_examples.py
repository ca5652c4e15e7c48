"""The three ways of docs/resources.md, run as written against real servers."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.resources.support import AppServer, mint, upstream_app
from tests.support.idp import LoopbackIdP
from tests.support.server import ServerThread

PAGE = Path(__file__).resolve().parents[3] / "docs" / "resources.md"
PYTHON = re.compile(r"```python\n# example: (\w+)\n(.*?)```", re.DOTALL)
YAML = re.compile(r"```yaml\n(account:.*?)```", re.DOTALL)


def example(name: str, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The ASGI app the page's example ``name`` builds, with ``environment`` set."""
    code = dict(PYTHON.findall(PAGE.read_text()))[name]
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    namespace: dict[str, Any] = {"__name__": f"docs_example_{name}"}
    exec(compile(code, f"{PAGE}#{name}", "exec"), namespace)
    return namespace["app"]


@pytest.fixture
def idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256"]) as running:
        yield running


def idp_token(idp: LoopbackIdP, **overrides: Any) -> dict[str, str]:
    now = int(time.time())
    claims = {"iss": idp.issuer, "aud": "reports-api", "sub": "ci-7", "iat": now, "exp": now + 60}
    return {"Authorization": f"Bearer {idp.mint({**claims, **overrides})}"}


def test_the_page_has_the_three_ways() -> None:
    text = PAGE.read_text()
    assert sorted(dict(PYTHON.findall(text))) == ["dependency", "middleware"]
    assert len(YAML.findall(text)) == 1


def test_middleware_example(server: ServerThread, monkeypatch: pytest.MonkeyPatch) -> None:
    public_url = server.settings.effective_public_url
    app = example("middleware", {"JWTGATE_PUBLIC_URL": public_url}, monkeypatch)
    with AppServer(app) as api, httpx.Client(base_url=api.url) as client:
        health = client.get("/healthz")
        good = client.get(
            "/reports", headers={"Authorization": f"Bearer {mint(server, scope='reports:read')}"}
        )
        no_scope = client.get("/reports", headers={"Authorization": f"Bearer {mint(server)}"})
        anonymous = client.get("/reports")
    assert health.status_code == 200
    assert good.json() == {"for": "host/jwt-apps/tester"}
    assert (no_scope.status_code, no_scope.json()["error"]) == (403, "insufficient_scope")
    assert (anonymous.status_code, anonymous.json()["error"]) == (401, "token_missing")


def test_dependency_example(idp: LoopbackIdP, monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {"IDP_ISSUER": idp.issuer, "IDP_JWKS_URI": idp.jwks_uri}
    app = example("dependency", environment, monkeypatch)
    with AppServer(app) as api, httpx.Client(base_url=api.url) as client:
        read = client.get("/reports", headers=idp_token(idp))
        other_api = client.get("/reports", headers=idp_token(idp, aud="billing-api"))
        cannot_write = client.post("/reports", headers=idp_token(idp))
        can_write = client.post("/reports", headers=idp_token(idp, scp=["reports:write"]))
    assert read.json() == {"for": "ci-7"}
    assert (other_api.status_code, other_api.json()["reason"]) == (401, "wrong_audience")
    assert cannot_write.status_code == 403
    assert can_write.json() == {"written_by": "ci-7"}


def test_proxy_route_example(server: ServerThread, idp: LoopbackIdP) -> None:
    (policy,) = YAML.findall(PAGE.read_text())
    with AppServer(upstream_app) as upstream:
        policy = (
            policy.replace("https://gitlab.example.com/oauth/discovery/keys", idp.jwks_uri)
            .replace("https://gitlab.example.com", idp.issuer)
            .replace("http://127.0.0.1:9000/", f"{upstream.url}/")
        )
        with server.admin() as admin:
            assert admin.post("/admin/policy", content=policy).status_code == 200
        own = {"Authorization": f"Bearer {mint(server, aud='https://reports.example')}"}
        with server.client() as client:
            with_own = client.get("/rest/2.0/reports", headers=own)
            with_ci = client.get("/rest/2.0/reports", headers=idp_token(idp))
            default_aud = client.get(
                "/rest/2.0/reports", headers={"Authorization": f"Bearer {mint(server)}"}
            )
    assert with_own.json()["raw_path"] == "/rest/2.0/reports"
    assert with_ci.status_code == 200
    assert ["x-jwtgate-subject", "ci-7"] in with_ci.json()["headers"]
    assert (default_aud.status_code, default_aud.json()["reason"]) == (401, "wrong_audience")
