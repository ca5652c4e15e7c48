"""The client application registry (SPEC §3, §5): ``jwtgate client add|list|remove`` on
the local store and through ``/admin/clients``; a running server serves a change within
2 s; ids are unique across registry and policies; a certificate that expires after it
was registered is refused at request time."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography import x509

from jwtgate.store import ClientRepository, Database, StoredClient
from tests.conftest import Backend
from tests.integration.oauth.world import (
    ACCOUNT,
    CLIENT_ASSERTION_TYPE,
    World,
    certificate_pem,
    indent,
    issued,
    refused,
    rsa_key,
)
from tests.support.idp import public_jwk

RELOAD_LIMIT_SECONDS = 2.0


def jwtgate(backend: Backend, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    store = ["--data-dir", str(data_dir)]
    if backend.database_url:
        store += ["--database-url", backend.database_url]
    return subprocess.run(
        [sys.executable, "-m", "jwtgate", "client", *args, *store],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ},
    )


def wait_until(check: object, limit: float = RELOAD_LIMIT_SECONDS) -> float:
    started = time.monotonic()
    while not check():  # type: ignore[operator]
        assert time.monotonic() - started < limit, f"not within {limit} s"
        time.sleep(0.05)
    return time.monotonic() - started


def grant_with(world: World, key: object, iss: str) -> httpx.Response:
    return world.bearer_grant(jwt.encode(world.claims(iss=iss), key, algorithm="RS256"))


def test_add_a_certificate_client_and_use_it_within_2_s(
    fresh_world: World, backend: Backend, data_dir: Path, tmp_path: Path
) -> None:
    key = rsa_key()
    cert = tmp_path / "partner.pem"
    cert.write_text(certificate_pem(key, name="partner-app"))
    refused(grant_with(fresh_world, key, "partner-app"), 400, "invalid_grant", "unknown_identity")
    added = jwtgate(
        backend,
        data_dir,
        "add",
        "partner-app",
        "--account",
        ACCOUNT,
        "--certificate",
        str(cert),
        "--scopes",
        "read,write",
        "--default-scopes",
        "read",
    )
    assert added.returncode == 0, added.stderr
    assert "registered client partner-app in account cucumber" in added.stdout
    assert "secret" not in added.stdout
    elapsed = wait_until(lambda: grant_with(fresh_world, key, "partner-app").status_code == 200)
    print(f"registry change served after {elapsed:.2f} s")
    claims = issued(grant_with(fresh_world, key, "partner-app"))
    assert claims["client_id"] == "partner-app" and claims["scope"] == "read"
    listed = jwtgate(backend, data_dir, "list")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split("│")[1].strip(): line for line in listed.stdout.splitlines() if "│" in line}
    assert "registry" in lines["partner-app"] and "certificate" in lines["partner-app"]
    assert "policy" in lines["SampleConfidentialApp"]
    removed = jwtgate(backend, data_dir, "remove", "partner-app")
    assert removed.returncode == 0, removed.stderr
    wait_until(lambda: grant_with(fresh_world, key, "partner-app").status_code == 400)


def test_a_generated_secret_is_printed_once_and_stored_as_its_hash(
    fresh_world: World, backend: Backend, data_dir: Path
) -> None:
    added = jwtgate(backend, data_dir, "add", "batch-job", "--account", ACCOUNT, "--secret")
    assert added.returncode == 0, added.stderr
    secret = next(
        line.split(": ", 1)[1]
        for line in added.stdout.splitlines()
        if line.startswith("client secret: ")
    )
    assert secret.startswith("jgc_") and len(secret) > 40
    data = {"grant_type": "client_credentials", "client_id": "batch-job", "client_secret": secret}
    wait_until(lambda: fresh_world.post(data=data).status_code == 200)
    stored = next(c for c in stored_clients(fresh_world) if c.id == "batch-job")
    assert secret not in json.dumps(stored.document)
    assert len(stored.document["secret_sha256"]) == 64
    assert stored.document["grant_types"] == ["client_credentials"]
    assert secret not in jwtgate(backend, data_dir, "list").stdout


def stored_clients(world: World) -> list[StoredClient]:
    """The registry's rows, read with a connection of our own."""

    async def read() -> list[StoredClient]:
        database = Database(world.runtime.database.url)
        try:
            return await ClientRepository(database).all()
        finally:
            await database.close()

    return asyncio.run(read())


def test_the_cli_prints_what_is_wrong(
    fresh_world: World, backend: Backend, data_dir: Path, tmp_path: Path
) -> None:
    expired = tmp_path / "expired.pem"
    now = time.time()
    expired.write_text(certificate_pem(rsa_key(), not_before=now - 7200, not_after=now - 3600))
    added = jwtgate(
        backend, data_dir, "add", "bad-app", "--account", ACCOUNT, "--certificate", str(expired)
    )
    assert added.returncode == 1, added.stdout
    assert (
        "error: client bad-app: certificate: certificate of client bad-app expired on"
        in added.stderr
    )


@pytest.mark.parametrize("taken", ["SampleConfidentialApp", "IDP"])
def test_ids_are_unique_across_policy_and_registry(
    fresh_world: World, backend: Backend, data_dir: Path, taken: str
) -> None:
    client_id = fresh_world.idp.issuer if taken == "IDP" else taken
    added = jwtgate(backend, data_dir, "add", client_id, "--account", ACCOUNT, "--secret")
    assert added.returncode == 1
    assert "policy" in added.stderr or "trusted issuer" in added.stderr
    assert "client secret" not in added.stdout


def test_policy_apply_refuses_a_registered_id(
    fresh_world: World, backend: Backend, data_dir: Path
) -> None:
    assert (
        jwtgate(
            backend, data_dir, "add", "partner-app", "--account", ACCOUNT, "--secret"
        ).returncode
        == 0
    )
    again = jwtgate(backend, data_dir, "add", "partner-app", "--account", ACCOUNT, "--secret")
    assert again.returncode == 1 and "already registered" in again.stderr
    policy = fresh_world.policy().replace("  - id: secret-app\n", "  - id: partner-app\n")
    with fresh_world.admin() as admin:
        response = admin.post("/admin/policy", content=policy)
    assert response.status_code == 422
    assert "client id 'partner-app' is registered with `jwtgate client add`" in response.text


def test_policy_clients_are_not_removed_through_the_registry(
    fresh_world: World, backend: Backend, data_dir: Path
) -> None:
    removed = jwtgate(backend, data_dir, "remove", "SampleConfidentialApp")
    assert removed.returncode == 1 and "policy of cucumber" in removed.stderr
    unknown = jwtgate(backend, data_dir, "remove", "ghost")
    assert unknown.returncode == 1 and "no registered client ghost" in unknown.stderr


def test_admin_api(fresh_world: World, tmp_path: Path) -> None:
    key = rsa_key()
    jwks = {"keys": [public_jwk(key, kid="p-1", use="sig", alg="RS256")]}
    body = {"account": ACCOUNT, "id": "api-app", "jwks": jwks, "scopes": ["read"]}
    with httpx.Client(base_url=fresh_world.url) as anonymous:
        assert anonymous.post("/admin/clients", json=body).status_code == 401
    with fresh_world.admin() as admin:
        created = admin.post("/admin/clients", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["client"]["grant_types"] == ["jwt-bearer", "client_credentials"]
        assert "client_secret" not in created.json()
        assert admin.post("/admin/clients", json=body).status_code == 409
        invalid = admin.post("/admin/clients", json={**body, "id": "x", "scopes": ["a b"]})
        assert invalid.status_code == 422
        assert invalid.json()["error"] == "invalid_client_metadata"
        assert invalid.json()["problems"]
        assert admin.post("/admin/clients", content="[]").status_code == 400
        secret = admin.post(
            "/admin/clients", json={"account": ACCOUNT, "id": "s-app", "generate_secret": True}
        )
        assert secret.json()["client_secret"].startswith("jgc_")
        listed = {c["id"]: c for c in admin.get("/admin/clients").json()["clients"]}
        assert listed["api-app"]["origin"] == "registry"
        assert listed["s-app"]["credential"] == "secret_sha256"
        assert "secret_sha256" not in json.dumps(listed["s-app"]).replace(
            '"credential": "secret_sha256"', ""
        )
    # the server that took the change serves it at once
    assertion = jwt.encode(
        fresh_world.claims(iss="api-app", sub="api-app", aud=fresh_world.token_url),
        key,
        algorithm="RS256",
        headers={"kid": "p-1"},
    )
    fields = {"client_assertion_type": CLIENT_ASSERTION_TYPE, "client_assertion": assertion}
    assert fresh_world.post(data={"grant_type": "client_credentials", **fields}).status_code == 200
    with fresh_world.admin() as admin:
        assert admin.delete("/admin/clients/api-app").json() == {"removed": "api-app"}
        assert admin.delete("/admin/clients/api-app").status_code == 404
        assert admin.delete("/admin/clients/SampleConfidentialApp").status_code == 409


def test_cli_through_the_admin_api(fresh_world: World, tmp_path: Path) -> None:
    credential = tmp_path / "admin.credential"
    credential.write_text(fresh_world.admin_credential)
    key = rsa_key()
    cert = tmp_path / "c.pem"
    cert.write_text(certificate_pem(key, name="remote-cli"))
    remote = ["--server", fresh_world.url, "--admin-credential-file", str(credential)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jwtgate", "client", *args, *remote],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    added = run("add", "remote-cli", "--account", ACCOUNT, "--certificate", str(cert))
    assert added.returncode == 0, added.stderr
    assert grant_with(fresh_world, key, "remote-cli").status_code == 200
    assert "remote-cli" in run("list").stdout
    expired = tmp_path / "old.pem"
    expired.write_text(
        certificate_pem(key, not_before=time.time() - 7200, not_after=time.time() - 60)
    )
    bad = run("add", "old-cli", "--account", ACCOUNT, "--certificate", str(expired))
    assert bad.returncode == 1 and "expired on" in bad.stderr
    assert run("remove", "remote-cli").returncode == 0
    refused(grant_with(fresh_world, key, "remote-cli"), 400, "invalid_grant", "unknown_identity")


def test_a_certificate_that_expired_after_registration_is_refused(fresh_world: World) -> None:
    """Registration checks the dates once; a request after expiry must be refused too.
    The row is written as registration wrote it while the certificate was valid."""
    key = rsa_key()
    pem = certificate_pem(
        key, name="old-app", not_before=time.time() - 7200, not_after=time.time() - 60
    )
    document = {
        "id": "old-app",
        "certificate": pem,
        "grant_types": ["jwt-bearer", "client_credentials"],
    }

    async def insert() -> None:
        database = Database(fresh_world.runtime.database.url)
        try:
            await ClientRepository(database).add(
                StoredClient("old-app", ACCOUNT, document, time.time() - 86400), lambda _: None
            )
        finally:
            await database.close()

    asyncio.run(insert())
    wait_until(lambda: "old-app" in fresh_world.runtime.clients.clients)
    description = refused(
        grant_with(fresh_world, key, "old-app"), 400, "invalid_grant", "unknown_key"
    )
    assert "expired on" in description
    client_assertion = jwt.encode(
        fresh_world.claims(iss="old-app", sub="old-app", aud=fresh_world.token_url),
        key,
        algorithm="RS256",
    )
    response = fresh_world.post(
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": client_assertion,
        }
    )
    refused(response, 401, "invalid_client", "unknown_key")


def test_a_policy_certificate_that_expires_after_the_apply_is_refused(fresh_world: World) -> None:
    """The policy checks dates at apply only (SPEC §3); the request checks them again."""
    key = rsa_key()
    pem = certificate_pem(key, name="short-lived", not_after=time.time() + 3)
    entry = (
        f"  - id: short-lived\n    grant_types: [jwt-bearer]\n"
        f"    certificate: |\n      {indent(pem, 6)}\n"
    )
    policy = fresh_world.policy().replace("trusted_issuers:\n", entry + "trusted_issuers:\n")
    with fresh_world.admin() as admin:
        assert admin.post("/admin/policy", content=policy).status_code == 200
    assert grant_with(fresh_world, key, "short-lived").status_code == 200
    time.sleep(max(0.0, x509_not_after(pem) - time.time()) + 1.1)
    description = refused(
        grant_with(fresh_world, key, "short-lived"), 400, "invalid_grant", "unknown_key"
    )
    assert "certificate registered for client short-lived expired on" in description


def x509_not_after(pem: str) -> float:
    return x509.load_pem_x509_certificate(pem.encode()).not_valid_after_utc.timestamp()
