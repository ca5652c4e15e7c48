"""Conjur-compatible secrets (SPEC §2.4) against a real jwtgate, store and identity provider."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conjur_api import Client
from conjur_api.models import ConjurConnectionInfo, SslVerificationMode
from conjur_api.providers import JWTAuthenticationStrategy
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from jwtgate.store.tables import secret_values
from tests.conftest import Backend
from tests.integration.resources.support import mint
from tests.support.idp import LoopbackIdP
from tests.support.server import ServerThread

ACCOUNT = "cucumber"
APP = "host/gitlab-apps/group/project"


def policy(idp: LoopbackIdP) -> str:
    return f"""\
account: {ACCOUNT}
authenticators:
  - id: gitlab
    jwks_uri: {idp.jwks_uri}
    issuer: {idp.issuer}
    token_app_property: project_path
    identity_path: gitlab-apps
hosts:
  - id: gitlab-apps/group/project
    authenticators: [gitlab]
    claims: {{namespace_id: "7"}}
  - id: reader
  - id: writer
  - id: stranger
users:
  - id: alice
variables:
  - id: db/password
    permit:
      execute: [host:gitlab-apps/group/project, host:reader, user:alice]
      update: [host:gitlab-apps/group/project, host:writer]
  - id: api/key
    permit: {{execute: [host:gitlab-apps/group/project], update: [host:gitlab-apps/group/project]}}
  - id: blob
    permit: {{execute: [host:gitlab-apps/group/project], update: [host:gitlab-apps/group/project]}}
  - id: never/set
    permit: {{execute: [host:gitlab-apps/group/project, host:reader]}}
"""


@pytest.fixture
def idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256"]) as running:
        yield running


@pytest.fixture
def gate(server: ServerThread, idp: LoopbackIdP) -> ServerThread:
    with server.admin() as admin:
        applied = admin.post("/admin/policy", content=policy(idp))
    assert applied.status_code == 200, applied.text
    return server


def idp_jwt(idp: LoopbackIdP) -> str:
    now = int(time.time())
    return idp.mint(
        {
            "iss": idp.issuer,
            "sub": "project_path:group/project",
            "iat": now,
            "exp": now + 300,
            "project_path": "group/project",
            "namespace_id": 7,
        }
    )


def as_(gate: ServerThread, login: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(gate, sub=login, **claims)}"}


def url(variable_id: str) -> str:
    return f"/secrets/{ACCOUNT}/variable/{variable_id.replace('/', '%2F')}"


def put(gate: ServerThread, variable_id: str, value: bytes, login: str = APP) -> httpx.Response:
    with gate.client() as client:
        return client.post(url(variable_id), content=value, headers=as_(gate, login))


def get(gate: ServerThread, path: str, login: str = APP, **options: Any) -> httpx.Response:
    headers = {**as_(gate, login), **options.pop("headers", {})}
    with gate.client() as client:
        return client.get(path, headers=headers, **options)


async def test_conjur_api_client_sets_and_gets(gate: ServerThread, idp: LoopbackIdP) -> None:
    connection = ConjurConnectionInfo(conjur_url=gate.url, account=ACCOUNT, service_id="gitlab")
    client = Client(
        connection,
        authn_strategy=JWTAuthenticationStrategy(idp_jwt(idp)),
        ssl_verification_mode=SslVerificationMode.INSECURE,  # plain http on loopback
        async_mode=True,
    )
    await client.set("db/password", "first")
    await client.set("db/password", "s3cr3t ünïcode")
    await client.set("api/key", "key-1")
    assert await client.get("db/password") == "s3cr3t ünïcode".encode()
    assert await client.get("db/password", version="1") == b"first"
    assert await client.get_many("db/password", "api/key") == {
        "db/password": "s3cr3t ünïcode",
        "api/key": "key-1",
    }


def curl(*args: str) -> tuple[bytes, int]:
    result = subprocess.run(
        ["curl", "-s", "-S", "-w", "\n%{http_code}", *args],
        capture_output=True,
        timeout=30,
        check=True,
    )
    body, _, status = result.stdout.rpartition(b"\n")
    return body, int(status)


def test_curl_with_bearer_and_conjur_token(gate: ServerThread, idp: LoopbackIdP) -> None:
    issued, status = curl(
        "--request",
        "POST",
        f"{gate.url}/authn-jwt/gitlab/{ACCOUNT}/authenticate",
        "--header",
        "Accept-Encoding: base64",
        "--data-urlencode",
        f"jwt={idp_jwt(idp)}",
    )
    assert status == 200, issued
    conjur_token = issued.decode()
    document = json.loads(base64.b64decode(conjur_token))
    compact = ".".join(document[p].rstrip("=") for p in ("protected", "payload", "signature"))
    token_header = f'Authorization: Token token="{conjur_token}"'
    stored, status = curl(
        "--header", token_header, "--data-binary", "from curl", gate.url + url("db/password")
    )
    assert status == 201 and stored == b""
    for header in (token_header, f"Authorization: Bearer {compact}"):
        value, status = curl("--header", header, gate.url + url("db/password"))
        assert (status, value) == (200, b"from curl")
    unencoded, status = curl(
        "--header", token_header, f"{gate.url}/secrets/{ACCOUNT}/variable/db/password"
    )
    assert (status, unencoded) == (200, b"from curl")


def stored_bytes(backend: Backend, data_dir: Path) -> bytes:
    """Everything the store holds on disk (SQLite) or in the secrets table (PostgreSQL)."""
    if backend.database_url is None:
        return b"".join(path.read_bytes() for path in sorted(data_dir.glob("jwtgate.db*")))

    async def rows() -> bytes:
        assert backend.database_url is not None
        engine = create_async_engine(backend.database_url)
        async with engine.connect() as connection:
            result = await connection.execute(select(secret_values))
            found = b"".join(repr(tuple(row)).encode() + bytes(row.value_sealed) for row in result)
        await engine.dispose()
        return found

    return asyncio.run(rows())


def test_values_are_encrypted_at_rest(gate: ServerThread, backend: Backend, data_dir: Path) -> None:
    plaintext = b"PLAINTEXT-MARKER-6d1f0c"
    assert put(gate, "db/password", plaintext).status_code == 201
    assert put(gate, "api/key", plaintext).status_code == 201
    assert get(gate, url("db/password")).content == plaintext
    on_disk = stored_bytes(backend, data_dir)
    assert len(on_disk) > 0
    for form in (plaintext, base64.b64encode(plaintext), plaintext.hex().encode()):
        assert form not in on_disk


def test_last_twenty_versions_are_kept(gate: ServerThread, backend: Backend) -> None:
    for n in range(1, 22):
        assert put(gate, "db/password", f"value-{n}".encode()).status_code == 201
    assert get(gate, url("db/password")).content == b"value-21"
    assert get(gate, url("db/password"), params={"version": "21"}).content == b"value-21"
    assert get(gate, url("db/password"), params={"version": "02"}).content == b"value-2"
    pruned = get(gate, url("db/password"), params={"version": "1"})
    assert pruned.status_code == 404
    assert pruned.json()["error"]["code"] == "not_found"
    assert get(gate, url("db/password"), params={"version": "22"}).status_code == 404
    for bad in ("0", "-1", "x", "1.5", "²", "9" * 5000):
        bad_version = get(gate, url("db/password"), params={"version": bad})
        assert bad_version.status_code == 422, bad


def test_binary_values_and_size_limit(gate: ServerThread) -> None:
    binary = bytes(range(256)) * 256  # exactly 64 KiB, every byte value
    assert put(gate, "blob", binary).status_code == 201
    fetched = get(gate, url("blob"))
    assert (fetched.status_code, fetched.content) == (200, binary)
    assert fetched.headers["content-type"] == "application/octet-stream"
    too_big = put(gate, "blob", binary + b"x")
    assert (too_big.status_code, too_big.json()["error"]) == (413, "request_too_large")
    huge = put(gate, "blob", b"x" * (2 * 1024 * 1024))
    assert huge.status_code == 413
    empty = put(gate, "blob", b"")
    assert (empty.status_code, empty.json()["error"]) == (422, "invalid_request")
    assert get(gate, url("blob")).content == binary  # refused writes changed nothing


def test_forbidden_versus_not_found(gate: ServerThread) -> None:
    assert put(gate, "db/password", b"v").status_code == 201
    assert put(gate, "api/key", b"k").status_code == 201
    assert get(gate, url("db/password"), "host/reader").content == b"v"
    assert get(gate, url("db/password"), "alice").content == b"v"  # a user
    cannot_write = put(gate, "db/password", b"x", "host/reader")
    assert cannot_write.status_code == 403
    assert (cannot_write.json()["error"], cannot_write.json()["reason"]) == (
        "forbidden",
        "not_permitted",
    )
    assert put(gate, "db/password", b"w", "host/writer").status_code == 201
    assert get(gate, url("db/password"), "host/writer").status_code == 403
    invisible = [
        get(gate, url("api/key"), "host/reader"),  # exists, no privilege at all
        get(gate, url("db/password"), "host/stranger"),
        get(gate, url("no/such/thing"), APP),
        get(gate, url("never/set"), "host/reader"),  # visible, but has no value
        get(gate, "/secrets/tomato/variable/db%2Fpassword", APP),
        get(
            gate, url("db/password"), "host/reader", headers=as_(gate, "host/reader", acct="tomato")
        ),
        get(
            gate,
            url("db/password"),
            "reader",
            headers=as_(gate, "host/reader", authn="client_credentials"),
        ),
        get(gate, f"/secrets/{ACCOUNT}/host/db%2Fpassword", APP),
    ]
    for response in invisible:
        assert response.status_code == 404, response.request.url
        assert set(response.json()) == {"error"}
        assert response.json()["error"]["code"] == "not_found"
    with gate.client() as client:
        anonymous = client.get(url("db/password"))
    assert (anonymous.status_code, anonymous.json()["error"]) == (401, "token_missing")
    assert get(gate, url("db/password")).content == b"w"


def test_batch_retrieval(gate: ServerThread) -> None:
    for variable_id, value in [("db/password", "pw"), ("api/key", "k"), ("blob", "b")]:
        assert put(gate, variable_id, value.encode()).status_code == 201
    ids = f"{ACCOUNT}:variable:db/password,{ACCOUNT}:variable:api/key"
    both = get(gate, "/secrets", params={"variable_ids": ids})
    assert both.status_code == 200, both.text
    assert both.json() == {
        f"{ACCOUNT}:variable:db/password": "pw",
        f"{ACCOUNT}:variable:api/key": "k",
    }
    encoded = get(
        gate, "/secrets", params={"variable_ids": ids}, headers={"Accept-Encoding": "gzip, BASE64"}
    )
    assert encoded.headers["content-encoding"] == "base64"
    assert base64.b64decode(encoded.json()[f"{ACCOUNT}:variable:api/key"]) == b"k"
    # reader: execute on db/password, nothing on api/key -> 404; writer: update only -> 403
    assert get(gate, "/secrets", "host/reader", params={"variable_ids": ids}).status_code == 404
    writer_ids = f"{ACCOUNT}:variable:db/password"
    assert (
        get(gate, "/secrets", "host/writer", params={"variable_ids": writer_ids}).status_code == 403
    )
    unknown_first = f"{ACCOUNT}:variable:ghost,{ACCOUNT}:variable:db/password"
    assert (
        get(gate, "/secrets", "host/writer", params={"variable_ids": unknown_first}).status_code
        == 404
    )
    never_set = f"{ACCOUNT}:variable:db/password,{ACCOUNT}:variable:never/set"
    assert get(gate, "/secrets", params={"variable_ids": never_set}).status_code == 404
    for bad in (
        "",
        "db/password",
        f"{ACCOUNT}:host:x",
        f"{ACCOUNT}:variable:",
        f"{ids},",
        ":variable:x",
    ):
        response = get(gate, "/secrets", params={"variable_ids": bad})
        assert (response.status_code, response.json()["error"]) == (422, "invalid_request"), bad
    assert get(gate, "/secrets").status_code == 422
    repeated = get(gate, "/secrets", params=[("variable_ids", ids), ("variable_ids", ids)])
    assert repeated.status_code == 422


def test_non_utf8_values_need_base64(gate: ServerThread) -> None:
    assert put(gate, "blob", b"\xff\xfe binary").status_code == 201
    ids = f"{ACCOUNT}:variable:blob"
    plain = get(gate, "/secrets", params={"variable_ids": ids})
    assert (plain.status_code, plain.json()["error"]) == (406, "not_acceptable")
    encoded = get(
        gate, "/secrets", params={"variable_ids": ids}, headers={"Accept-Encoding": "base64"}
    )
    assert base64.b64decode(encoded.json()[ids]) == b"\xff\xfe binary"


def test_refusals_are_audited(gate: ServerThread) -> None:
    get(gate, url("db/password"), "host/stranger", headers={"X-Request-Id": "secret-404"})
    with gate.client() as client:
        client.post(
            url("db/password"),
            content=b"x",
            headers={**as_(gate, "host/reader"), "X-Request-Id": "secret-403"},
        )
    time.sleep(1.5)  # the audit writer flushes in batches
    with gate.admin() as admin:
        events = admin.get("/admin/audit", params={"limit": 20}).json()["events"]
    by_id = {event["request_id"]: event for event in events}
    assert (by_id["secret-404"]["front_door"], by_id["secret-404"]["code"]) == (
        "resource",
        "not_found",
    )
    assert by_id["secret-404"]["subject"] == "host/stranger"
    assert (by_id["secret-403"]["code"], by_id["secret-403"]["reason"]) == (
        "forbidden",
        "not_permitted",
    )
