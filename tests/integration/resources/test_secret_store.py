"""The secrets repository on SQLite and PostgreSQL: numbering, pruning, sealing (SPEC §2.4)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from jwtgate.crypto import DecryptionError, MasterKey
from jwtgate.store import Database, SecretRepository
from jwtgate.store.tables import secret_values
from tests.conftest import Backend


@pytest.fixture
async def database(backend: Backend, tmp_path: Path) -> AsyncIterator[Database]:
    url = backend.database_url or f"sqlite+aiosqlite:///{tmp_path / 'jwtgate.db'}"
    database = Database(url)
    await database.upgrade()
    yield database
    await database.close()


async def test_concurrent_writes_get_distinct_numbers(database: Database) -> None:
    repository = SecretRepository(database, MasterKey.generate())
    versions = await asyncio.gather(
        *(repository.append("acct", "db/password", f"v{n}".encode()) for n in range(20))
    )
    assert sorted(versions) == list(range(1, 21))
    newest = await repository.read("acct", "db/password")
    assert newest == f"v{versions.index(20)}".encode()


async def test_pruning_keeps_numbers(database: Database) -> None:
    repository = SecretRepository(database, MasterKey.generate())
    for n in range(1, 26):
        await repository.append("acct", "x", f"v{n}".encode())
    async with database.connect() as connection:
        kept = (await connection.execute(select(secret_values.c.version))).scalars().all()
    assert sorted(kept) == list(range(6, 26))
    assert await repository.read("acct", "x", 5) is None
    assert await repository.read("acct", "x", 6) == b"v6"
    assert await repository.read_newest([("acct", "x"), ("acct", "y"), ("other", "x")]) == {
        ("acct", "x"): b"v25"
    }


async def test_a_sealed_value_opens_only_as_itself(database: Database) -> None:
    """The purpose ``secret:<account>:<id>:<version>`` is bound to the ciphertext: a value
    copied to another version does not open, nor under another master key; the same
    value written twice is sealed with a fresh nonce each time."""
    repository = SecretRepository(database, MasterKey.generate())
    for value in (b"same", b"same"):
        await repository.append("acct", "a", value)
    column = secret_values.c
    async with database.transaction() as connection:
        rows = await connection.execute(select(column.version, column.value_sealed))
        sealed = {version: value for version, value in rows}
        assert sealed[1] != sealed[2] and b"same" not in sealed[1]
        await connection.execute(
            update(secret_values).where(column.version == 2).values(value_sealed=sealed[1])
        )
    assert await repository.read("acct", "a", 1) == b"same"
    with pytest.raises(DecryptionError):
        await repository.read("acct", "a", 2)
    with pytest.raises(DecryptionError):
        await SecretRepository(database, MasterKey.generate()).read("acct", "a", 1)
