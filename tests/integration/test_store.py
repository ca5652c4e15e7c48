"""The store on both backends: migrations, policy apply, keys, audit, failure modes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect

from jwtgate.audit import AuditEvent
from jwtgate.control import apply_policy, initialise, load_policies, rotate_keys
from jwtgate.crypto import MasterKey
from jwtgate.policy import PolicyError
from jwtgate.settings import load_settings
from jwtgate.signer import KeyState
from jwtgate.store import AuditRepository, Database, KeyRepository, StoreUnavailable
from jwtgate.store.tables import metadata
from tests.conftest import Backend
from tests.support import policies
from tests.support.server import free_port


@pytest.fixture
async def database(backend: Backend, tmp_path: Path) -> Database:
    url = backend.database_url or f"sqlite+aiosqlite:///{tmp_path / 'jwtgate.db'}"
    db = Database(url)
    await db.upgrade()
    yield db  # type: ignore[misc]
    await db.close()


async def test_migrations_create_exactly_the_schema(database: Database) -> None:
    async with database.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        columns = await connection.run_sync(
            lambda sync: {
                t: {c["name"] for c in inspect(sync).get_columns(t)} for t in metadata.tables
            }
        )
    assert names == set(metadata.tables) | {"alembic_version"}
    for table in metadata.tables.values():
        assert columns[table.name] == {column.name for column in table.columns}
    assert await database.is_current()
    await database.upgrade()  # a second upgrade is a no-op
    assert await database.versions() == {"policy": 0, "keys": 0, "clients": 0}


async def test_apply_is_atomic_idempotent_and_versioned(database: Database) -> None:
    first = await apply_policy(database, policies.BASE, "p.yaml")
    second = await apply_policy(database, policies.BASE, "p.yaml")
    assert (first.applied, first.version) == (True, 1)
    assert (second.applied, second.version, second.changes) == (False, 1, [])
    with pytest.raises(PolicyError) as refused:
        await apply_policy(database, policies.DANGLING, "p.yaml")
    assert str(refused.value).startswith("p.yaml:10:22:")
    version, applied = await load_policies(database)
    assert version == 1
    assert applied["cucumber"].hosts[0].claims["ref"] == "main"
    dry = await apply_policy(database, policies.CHANGED, "p.yaml", dry_run=True)
    assert (dry.applied, dry.version) == (False, 2)
    assert (await database.versions())["policy"] == 1
    changed = await apply_policy(database, policies.CHANGED, "p.yaml")
    assert (changed.applied, changed.version) == (True, 2)


async def test_concurrent_applies_serialise(database: Database) -> None:
    texts = [policies.BASE, policies.OTHER_ACCOUNT, policies.CHANGED]
    results = await asyncio.gather(*(apply_policy(database, t, "p.yaml") for t in texts))
    versions = sorted(result.version for result in results if result.applied)
    assert versions == [1, 2, 3]
    version, applied = await load_policies(database)
    assert version == 3
    assert set(applied) == {"cucumber", "tomato"}


async def test_keys_are_sealed_and_rotate(database: Database, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "var", database_url=database.url)
    await initialise(settings, database)
    repository = KeyRepository(database)
    records = await repository.all()
    assert [record.state for record in records] == [KeyState.CURRENT, KeyState.NEXT]
    for record in records:
        assert b"PRIVATE KEY" not in record.private_pem_sealed
    master = MasterKey.from_text((tmp_path / "var" / "master.key").read_text(), origin="test")
    plan = await rotate_keys(database, master, "ES256")
    states = {record.kid: record.state for record in await repository.all()}
    assert states[plan.retire or ""] == KeyState.RETIRED
    assert states[plan.promote or ""] == KeyState.CURRENT
    assert states[plan.create.kid] == KeyState.NEXT
    assert (await database.versions())["keys"] >= 2


async def test_audit_round_trip_keeps_claims_private(database: Database) -> None:
    now = time.time()
    repository = AuditRepository(database)
    await repository.write(
        [
            AuditEvent(
                now - 10,
                "r1",
                "authn-jwt",
                "accepted",
                account="a",
                subject="host/x",
                claims={"sub": "x"},
                claims_expire_at=now - 1,
            ),
            AuditEvent(now, "r2", "authn-jwt", "refused", code="token_expired", account="a"),
        ]
    )
    events = await repository.read(since=None, limit=10)
    assert [event.request_id for event in events] == ["r2", "r1"]
    assert all(event.claims is None for event in events)
    assert [e.request_id for e in await repository.accepted_with_claims(since=0)] == ["r1"]
    assert await repository.expire_claims(now) == 1
    assert await repository.accepted_with_claims(since=0) == []
    assert [e.request_id for e in await repository.read(since=now - 1, limit=10)] == ["r2"]


async def test_unreachable_store_raises_store_unavailable() -> None:
    database = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none")
    with pytest.raises(StoreUnavailable):
        await database.ping()
    with pytest.raises(StoreUnavailable):
        await apply_policy(database, policies.BASE, "p.yaml")
    await database.close()


async def test_broken_policy_table_changes_nothing(database: Database) -> None:
    """Every broken file of the loader's table, applied to a store, changes nothing."""
    from tests.unit.policy.test_policy_load import BROKEN

    await apply_policy(database, policies.BASE, "p.yaml")
    before = await load_policies(database)
    versions_before = await database.versions()
    assert len(BROKEN) >= 15
    for _, text, where, fragment in BROKEN:
        with pytest.raises(PolicyError) as refused:
            await apply_policy(database, text, "p.yaml")
        assert f"p.yaml:{where}:" in str(refused.value), (where, str(refused.value))
        assert fragment in str(refused.value)
    assert await load_policies(database) == before
    assert await database.versions() == versions_before
