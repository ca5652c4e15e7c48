"""`token inspect --oauth` and `/admin/diagnose {"oauth": true}` run the token endpoint's
own checks on an assertion, and name the one that fails (SPEC §2.6, §5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.oauth.world import World

Case = tuple[str, Callable[[World], str], str, str | None, str | None]

CASES: list[Case] = [
    ("good", lambda w: w.cert_assertion(sub="user-1"), "", None, None),
    (
        "unknown client",
        lambda w: w.cert_assertion(iss="nobody"),
        "party",
        "token_invalid",
        "unknown_identity",
    ),
    (
        "expired",
        lambda w: w.cert_assertion(exp=int(time.time()) - 60),
        "exp",
        "token_expired",
        None,
    ),
    (
        "wrong audience",
        lambda w: w.cert_assertion(aud="https://elsewhere.example"),
        "aud",
        "token_invalid",
        "wrong_audience",
    ),
    (
        "too long",
        lambda w: w.cert_assertion(exp=int(time.time()) + 3600),
        "lifetime",
        "token_invalid",
        "claim_mismatch",
    ),
    (
        "subject not allowed",
        lambda w: w.cert_assertion(sub="mallory"),
        "subject",
        "token_invalid",
        "not_permitted",
    ),
    ("trusted issuer", lambda w: w.idp_assertion(), "", None, None),
]


def diagnose(world: World, token: str) -> dict[str, Any]:
    with world.admin() as admin:
        response = admin.post("/admin/diagnose", json={"token": token, "oauth": True})
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_api_explains_assertions(world: World, case: Case) -> None:
    name, build, check, code, reason = case
    assertion = build(world)
    report = diagnose(world, assertion)
    if not check:
        assert report["accepted"] is True, report
        granted = world.bearer_grant(assertion)
        assert granted.status_code == 200  # inspecting did not burn the assertion
        return
    assert report["accepted"] is False
    assert report["error"] == {"code": code, "reason": reason, "check": check}, name


def test_cli_explains_assertions(world: World, tmp_path: Path) -> None:
    credential = tmp_path / "admin.cred"
    credential.write_text(world.gate.admin_credential)
    remote = ["--server", world.gate.url, "--admin-credential-file", str(credential)]
    local = ["--data-dir", str(world.gate.settings.data_dir)]
    if world.gate.settings.database_url:
        local += ["--database-url", world.gate.settings.database_url]
    env_public = {"JWTGATE_PUBLIC_URL": world.public_url}
    for where, extra_env in ((remote, {}), (local, env_public)):
        bad = subprocess.run(
            [
                sys.executable,
                "-m",
                "jwtgate",
                "token",
                "inspect",
                world.cert_assertion(sub="x"),
                "--oauth",
                "--json",
                *where,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, **extra_env},
        )
        assert bad.returncode == 1, bad.stderr
        assert json.loads(bad.stdout)["error"]["check"] == "subject"
        good = subprocess.run(
            [sys.executable, "-m", "jwtgate", "token", "inspect", "-", "--oauth", *where],
            input=world.cert_assertion(sub="user-2"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, **extra_env},
        )
        assert good.returncode == 0, good.stdout + good.stderr
