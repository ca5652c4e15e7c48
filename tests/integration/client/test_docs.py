"""Every example in docs/client.md runs (FastAPI's docs_src ↔ tests idea): the example
hosts are pointed at an Authlib token endpoint, its API and a real jwtgate."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from joserfc import jwt

from tests.integration.client.oauth_server import Client, TokenServer
from tests.support.idp import LoopbackIdP
from tests.support.server import ServerThread
from tests.unit.client.material import private_key, verifying_key

pytestmark = pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)

DOCS = Path(__file__).parents[3] / "docs" / "client.md"
BLOCK = re.compile(r"^```(toml|python|sh)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"
SECRET = "docs-client-secret-" + "x" * 24


def blocks() -> list[tuple[str, str]]:
    found = BLOCK.findall(DOCS.read_text())
    assert {kind for kind, _ in found} == {"toml", "python", "sh"}
    return found


@pytest.fixture
def idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["ES256"]) as running:
        yield running


@pytest.fixture
def workdir(tmp_path: Path, oauth: TokenServer, server: ServerThread, idp: LoopbackIdP) -> Path:
    """The reader's folder: the key, the secret file, a mounted service-account token;
    my-app registered at the token endpoint, the kubernetes authenticator at jwtgate."""
    key = private_key("ES256")
    (tmp_path / "client-key.pem").write_text(key)
    (tmp_path / "client-secret.txt").write_text(SECRET + "\n")
    oauth.register(Client("my-app", "ES256", verifying_key("ES256", key), SECRET))
    policy = f"""\
account: cucumber
authenticators:
  - id: kubernetes
    jwks_uri: {idp.jwks_uri}
    issuer: {idp.issuer}
    audience: [conjur]
    algorithms: [ES256]
hosts:
  - id: jwt-apps/myapp
    authenticators: [kubernetes]
    claims: {{sub: "system:serviceaccount:payments:myapp"}}
"""
    with server.admin() as admin:
        assert admin.post("/admin/policy", content=policy).status_code == 200
    claims = {
        "iss": idp.issuer,
        "aud": "conjur",
        "sub": "system:serviceaccount:payments:myapp",
        "exp": int(time.time()) + 600,
    }
    (tmp_path / "sa-token").write_text(idp.mint(claims))
    return tmp_path


def localise(text: str, oauth: TokenServer, server: ServerThread, workdir: Path) -> str:
    for example, real in {
        "https://auth.example.com": oauth.url,
        "https://api.example.com": oauth.url,
        "https://jwtgate.example.com": server.url,
        TOKEN_FILE: str(workdir / "sa-token"),
    }.items():
        text = text.replace(example, real)
    return text


def run(kind: str, code: str, cwd: Path) -> str:
    command = (
        [sys.executable, "-c", code]
        if kind == "python"
        else ["bash", "-euo", "pipefail", "-c", code]
    )
    environ = {name: value for name, value in os.environ.items() if not name.startswith("JWTGATE_")}
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}"
    done = subprocess.run(
        command, cwd=cwd, env=environ, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, f"{code}\n{done.stderr}"
    return done.stdout


def test_every_example_runs(
    oauth: TokenServer, server: ServerThread, idp: LoopbackIdP, workdir: Path
) -> None:
    key = verifying_key("ES256", (workdir / "client-key.pem").read_text())
    ran: list[str] = []
    for kind, text in blocks():
        code = localise(text, oauth, server, workdir)
        if kind == "toml":
            name = code.splitlines()[0].removeprefix("# ").strip()
            (workdir / name).write_text(code)
            continue
        output = run(kind, code, workdir)
        if kind == "python" and "AuthnJwtAuth" in code:
            assert output.strip() == "host/jwt-apps/myapp"
            ran.append("authn-jwt")
        elif kind == "python":
            assert output.startswith("200"), output
            ran.append("python")
        elif "token exchange" in code:
            answer = json.loads(output)
            assert answer["access_token"] in oauth.tokens and answer["scope"] == "read"
            assert oauth.token_requests[-1].auth_method == "client_secret_basic"
            ran.append("exchange")
        else:
            claims = jwt.decode(output.strip(), key, ["ES256"]).claims
            assert claims["iss"] == "my-app" and claims["tenant"] == "blue"
            ran.append("mint")
    assert ran == ["python", "python", "python", "authn-jwt", "mint", "mint", "mint", "exchange"]
