"""The command line, run as a user would (a subprocess), on the local store."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import policies
from tests.support.server import ServerProcess, admin_credential_from


def jwtgate(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jwtgate", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def initialised(tmp_path: Path) -> tuple[Path, str]:
    result = jwtgate("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path, admin_credential_from(result.stdout)


def test_init_creates_everything_once(initialised: tuple[Path, str]) -> None:
    cwd, credential = initialised
    var = cwd / "var"
    assert stat.S_IMODE((var / "master.key").stat().st_mode) == 0o600
    assert (var / "jwtgate.db").is_file()
    assert (var / "policy.yaml").is_file()
    assert credential.startswith("jga_")
    assert credential not in (var / "jwtgate.db").read_bytes().decode("latin-1")
    again = jwtgate("init", cwd=cwd)
    assert again.returncode == 0
    assert "admin credential" not in again.stdout
    assert "already initialised" in again.stdout


def test_sample_policy_validates_and_applies(initialised: tuple[Path, str]) -> None:
    cwd, _ = initialised
    assert jwtgate("policy", "validate", "var/policy.yaml", cwd=cwd).returncode == 0
    applied = jwtgate("policy", "apply", "var/policy.yaml", cwd=cwd)
    assert applied.returncode == 0, applied.stderr
    assert "applied as version 1" in applied.stdout
    again = jwtgate("policy", "apply", "var/policy.yaml", cwd=cwd)
    assert again.stdout.strip() == "no changes"


def test_policy_commands(initialised: tuple[Path, str]) -> None:
    cwd, _ = initialised
    (cwd / "p.yaml").write_text(policies.BASE)
    (cwd / "bad.yaml").write_text(policies.DANGLING)
    (cwd / "changed.yaml").write_text(policies.CHANGED)
    bad = jwtgate("policy", "validate", "bad.yaml", cwd=cwd)
    assert bad.returncode == 1
    assert bad.stderr.startswith("bad.yaml:10:22:")
    assert jwtgate("policy", "apply", "bad.yaml", cwd=cwd).returncode == 1
    assert jwtgate("policy", "show", cwd=cwd).returncode == 1  # nothing applied yet
    assert jwtgate("policy", "apply", "p.yaml", cwd=cwd).returncode == 0
    shown = jwtgate("policy", "show", cwd=cwd)
    assert "account: cucumber" in shown.stdout and "leeway_seconds: 0" in shown.stdout
    diff = jwtgate("policy", "diff", "changed.yaml", cwd=cwd)
    assert diff.returncode == 0 and "release" in diff.stdout
    dry = jwtgate("policy", "apply", "--dry-run", "changed.yaml", cwd=cwd)
    assert "would apply as version 2" in dry.stdout
    assert "ref: main" in jwtgate("policy", "show", cwd=cwd).stdout
    missing = jwtgate("policy", "validate", "nope.yaml", cwd=cwd)
    assert missing.returncode == 1 and "nope.yaml" in missing.stderr


def test_keys_list_and_rotate(initialised: tuple[Path, str]) -> None:
    cwd, _ = initialised
    listed = jwtgate("keys", "list", cwd=cwd)
    assert listed.returncode == 0
    assert "current" in listed.stdout and "next" in listed.stdout and "ES256" in listed.stdout
    rotated = jwtgate("keys", "rotate", cwd=cwd)
    assert rotated.returncode == 0 and rotated.stdout.startswith("rotated: current ")
    assert "retired" in jwtgate("keys", "list", cwd=cwd).stdout


def test_bad_setting_stops_with_its_name(tmp_path: Path) -> None:
    result = jwtgate("serve", cwd=tmp_path, env={"JWTGATE_PORT": "eighty"})
    assert result.returncode == 2
    assert "setting port" in result.stderr and "JWTGATE_PORT" in result.stderr
    uninitialised = jwtgate("serve", "--port", "0", cwd=tmp_path)
    assert uninitialised.returncode != 0
    assert "jwtgate init" in uninitialised.stderr


def test_workers_need_a_shared_cache(initialised: tuple[Path, str]) -> None:
    cwd, _ = initialised
    result = jwtgate("serve", "--workers", "2", cwd=cwd)
    assert result.returncode == 2
    assert "--cache-url" in result.stderr


def test_remote_commands_through_the_admin_api(initialised: tuple[Path, str]) -> None:
    cwd, credential = initialised
    (cwd / "admin.cred").write_text(credential + "\n")
    (cwd / "p.yaml").write_text(policies.BASE)
    with ServerProcess("--data-dir", str(cwd / "var")) as server:
        remote = ["--server", server.url, "--admin-credential-file", "admin.cred"]
        applied = jwtgate("policy", "apply", "p.yaml", *remote, cwd=cwd)
        assert applied.returncode == 0, applied.stderr
        assert "applied as version 1" in applied.stdout
        assert "account: cucumber" in jwtgate("policy", "show", *remote, cwd=cwd).stdout
        assert jwtgate("keys", "rotate", *remote, cwd=cwd).returncode == 0
        tail = jwtgate("audit", "tail", "--limit", "5", *remote, cwd=cwd)
        assert tail.returncode == 0 and '"keys_rotated"' in tail.stdout
        assert httpx.get(f"{server.url}/healthz").status_code == 200
    local = jwtgate("audit", "tail", cwd=cwd)
    assert '"policy_applied"' in local.stdout
