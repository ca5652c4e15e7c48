"""Several processes on one PostgreSQL + Redis: changes reach every one within 2 s."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import policies
from tests.support.server import ServerProcess, admin_credential_from

PROPAGATION_LIMIT_SECONDS = 2.0


def _init(data_dir: Path, database_url: str) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jwtgate",
            "init",
            "--data-dir",
            str(data_dir),
            "--database-url",
            database_url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return admin_credential_from(result.stdout)


def _wait_for(check: object, limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if check():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {limit} s")


def test_policy_and_rotation_reach_every_instance(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    from tests.conftest import reset_postgres

    reset_postgres(postgres_url)
    data_dir = tmp_path / "var"
    credential = _init(data_dir, postgres_url)
    headers = {"Authorization": f"Bearer {credential}"}
    common = ["--data-dir", str(data_dir), "--database-url", postgres_url, "--cache-url", redis_url]
    env = {"JWTGATE_CACHE_PREFIX": f"jwtgate-test-{secrets.token_hex(6)}:"}
    with ServerProcess(*common, env=env) as first, ServerProcess(*common, env=env) as second:
        applied = httpx.post(f"{first.url}/admin/policy", content=policies.BASE, headers=headers)
        assert applied.json()["applied"] is True
        version = applied.json()["version"]

        def second_serves_it() -> bool:
            status = httpx.get(f"{second.url}/admin/status", headers=headers).json()
            return bool(status["policy_version"] == version)

        elapsed = _wait_for(second_serves_it, PROPAGATION_LIMIT_SECONDS)
        print(f"policy apply reached the second instance in {elapsed:.2f} s")

        rotated = httpx.post(f"{first.url}/admin/keys/rotate", headers=headers).json()["rotated"]

        def second_signs_with_it() -> bool:
            status = httpx.get(f"{second.url}/admin/status", headers=headers).json()
            return bool(status["signing_kid"] == rotated["current"])

        _wait_for(second_signs_with_it, PROPAGATION_LIMIT_SECONDS)
        kids = {
            key["kid"] for key in httpx.get(f"{second.url}/.well-known/jwks.json").json()["keys"]
        }
        assert {rotated["current"], rotated["retired"], rotated["next"]} <= kids


def test_workers_share_one_port(postgres_url: str, redis_url: str, tmp_path: Path) -> None:
    from tests.conftest import reset_postgres

    reset_postgres(postgres_url)
    data_dir = tmp_path / "var"
    credential = _init(data_dir, postgres_url)
    headers = {"Authorization": f"Bearer {credential}"}
    args = [
        "--data-dir",
        str(data_dir),
        "--database-url",
        postgres_url,
        "--cache-url",
        redis_url,
        "--workers",
        "2",
    ]
    env = {"JWTGATE_CACHE_PREFIX": f"jwtgate-test-{secrets.token_hex(6)}:"}
    with ServerProcess(*args, env=env) as server:
        pids = set()
        deadline = time.monotonic() + 20
        while len(pids) < 2 and time.monotonic() < deadline:
            with httpx.Client() as client:  # a new connection each time
                pids.add(client.get(f"{server.url}/admin/status", headers=headers).json()["pid"])
        assert len(pids) == 2
        assert os.getpid() not in pids
