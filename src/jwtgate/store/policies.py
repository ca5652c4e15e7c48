"""Applied policies, one row per account, with the global policy version."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from jwtgate.store.db import Database, bump_version
from jwtgate.store.tables import policies, versions

__all__ = ["PolicyRepository", "StoredPolicy"]


@dataclass(frozen=True)
class StoredPolicy:
    account: str
    document: dict[str, Any]
    source: str
    version: int
    applied_at: float


class PolicyRepository:
    """Reads and writes the ``policies`` table; writes bump the ``policy`` version."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def load_all(self) -> tuple[int, dict[str, StoredPolicy]]:
        """The current policy version and every account's applied policy, consistently."""
        async with self.database.transaction() as connection:
            return await self.read_locked(connection)

    async def read_locked(self, connection: AsyncConnection) -> tuple[int, dict[str, StoredPolicy]]:
        version_row = await connection.execute(
            select(versions.c.version).where(versions.c.name == "policy")
        )
        version = int(version_row.scalar_one())
        rows = await connection.execute(select(policies))
        stored = {
            row.account: StoredPolicy(
                account=row.account,
                document=json.loads(row.document),
                source=row.source,
                version=row.version,
                applied_at=row.applied_at,
            )
            for row in rows
        }
        return version, stored

    async def begin_change(self, connection: AsyncConnection) -> int:
        """Take the policy write lock and reserve the next version (rolled back if unused)."""
        return await bump_version(connection, "policy")

    async def save(
        self,
        connection: AsyncConnection,
        *,
        account: str,
        document: dict[str, Any],
        source: str,
        version: int,
        exists: bool,
    ) -> None:
        values = {
            "document": json.dumps(document, sort_keys=True),
            "source": source,
            "version": version,
            "applied_at": time.time(),
        }
        if exists:
            await connection.execute(
                update(policies).where(policies.c.account == account).values(**values)
            )
        else:
            await connection.execute(insert(policies).values(account=account, **values))

    async def remove(self, connection: AsyncConnection, account: str) -> None:
        await connection.execute(delete(policies).where(policies.c.account == account))
