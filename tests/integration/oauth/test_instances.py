"""Two ``jwtgate serve`` processes sharing PostgreSQL and Redis (SPEC §2.3, §2.5): an
assertion is accepted once across both, and a token revoked on one is refused by the
other within 1 s."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import reset_postgres
from tests.integration.oauth.world import SECRET, World
from tests.support.idp import LoopbackIdP
from tests.support.server import ServerProcess, admin_credential_from

PUBLIC_URL = "https://auth.example.test"
REVOCATION_LIMIT_SECONDS = 1.0


@pytest.fixture
def pair(postgres_url: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[World, World]]:
    reset_postgres(postgres_url)
    data_dir = tmp_path / "var"
    init = subprocess.run(
        [
            sys.executable,
            "-m",
            "jwtgate",
            "init",
            "--data-dir",
            str(data_dir),
            "--database-url",
            postgres_url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    credential = admin_credential_from(init.stdout)
    args = [
        *("--data-dir", str(data_dir), "--database-url", postgres_url, "--cache-url", redis_url),
        *("--public-url", PUBLIC_URL),
    ]
    env = {"JWTGATE_CACHE_PREFIX": f"jwtgate-test-{secrets.token_hex(6)}:"}
    with (
        LoopbackIdP(["RS256"]) as idp,
        ServerProcess(*args, env=env) as first,
        ServerProcess(*args, env=env) as second,
    ):
        one = World(idp, PUBLIC_URL, first.url, credential)
        one.apply()
        other = one.at(second.url)
        deadline = time.monotonic() + 5
        while (
            other.post(
                data={
                    "grant_type": "client_credentials",
                    "client_id": "secret-app",
                    "client_secret": SECRET,
                }
            ).status_code
            != 200
        ):
            assert time.monotonic() < deadline, "the second instance never served the policy"
            time.sleep(0.05)
        yield one, other


def test_an_assertion_is_accepted_once_across_instances(pair: tuple[World, World]) -> None:
    one, other = pair
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(10):
            assertion = one.cert_assertion()
            answers = list(pool.map(lambda w: w.bearer_grant(assertion), (one, other)))
            statuses = sorted(answer.status_code for answer in answers)
            assert statuses == [200, 400], [answer.text for answer in answers]
            refused = next(answer for answer in answers if answer.status_code == 400).json()
            assert refused["error"] == "invalid_grant"
            assert refused["error_description"].startswith("invalid_grant: ")


def test_a_revocation_reaches_the_other_instance_within_a_second(pair: tuple[World, World]) -> None:
    one, other = pair
    secret_app = {"client_id": "secret-app", "client_secret": SECRET}
    token = one.post(data={"grant_type": "client_credentials", **secret_app}).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    with other.client() as client:
        assert client.get("/whoami", headers=bearer).status_code == 200
        assert one.post("/oauth/revoke", data={"token": token, **secret_app}).status_code == 200
        started = time.monotonic()
        while True:
            answer = client.get("/whoami", headers=bearer)
            if answer.status_code == 401:
                break
            assert time.monotonic() - started < REVOCATION_LIMIT_SECONDS, answer.text
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        assert answer.json()["reason"] == "revoked"
    introspected = other.post("/oauth/introspect", data={"token": token, **secret_app})
    assert introspected.json() == {"active": False}
    print(f"revocation refused by the other instance after {elapsed:.2f} s")


def test_instances_share_one_public_url(pair: tuple[World, World]) -> None:
    one, other = pair
    documents = [httpx.get(f"{w.url}/.well-known/oauth-authorization-server").json() for w in pair]
    assert documents[0] == documents[1]
    assert documents[0]["issuer"] == one.public_url == other.public_url == PUBLIC_URL
