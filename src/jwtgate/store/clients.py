"""The client application registry: OAuth clients added with ``jwtgate client add``.

One row per client; ``document`` is the client as a policy ``clients`` entry (JSON), so
it is validated and compiled exactly like one. Every change bumps the ``clients``
version, which every instance polls to reload (SPEC §2.5: within 2 s).

Client ids are unique across the registry and every policy (SPEC §3). An addition
therefore locks the ``policy`` version row before it reads the policies, and a policy
apply takes that same lock first (``bump_version``): the two cannot interleave, so
neither can slip a duplicate past the other's check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from jwtgate.store.db import Database, bump_version
from jwtgate.store.policies import PolicyRepository, StoredPolicy
from jwtgate.store.tables import registered_clients, versions

__all__ = ["ClientExists", "ClientRepository", "StoredClient"]


class ClientExists(Exception):
    """The registry already holds a client with this id."""


@dataclass(frozen=True)
class StoredClient:
    id: str
    account: str
    document: dict[str, Any]
    created_at: float


class ClientRepository:
    """Reads and writes ``registered_clients``; writes bump the ``clients`` version."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def all(self) -> list[StoredClient]:
        async with self.database.connect() as connection:
            rows = await connection.execute(
                select(registered_clients).order_by(registered_clients.c.id)
            )
            return [
                StoredClient(row.id, row.account, json.loads(row.document), row.created_at)
                for row in rows
            ]

    async def accounts_by_id(self, connection: AsyncConnection) -> dict[str, str]:
        """Registered client ids and their accounts, inside the caller's transaction."""
        rows = await connection.execute(
            select(registered_clients.c.id, registered_clients.c.account)
        )
        return {client_id: account for client_id, account in rows}

    async def add(
        self, client: StoredClient, check: Callable[[Mapping[str, StoredPolicy]], None]
    ) -> None:
        """Insert ``client`` after ``check`` (which raises to refuse) saw every policy."""
        async with self.database.transaction() as connection:
            await bump_version(connection, "clients")
            await connection.execute(
                select(versions.c.version).where(versions.c.name == "policy").with_for_update()
            )
            _, policies = await PolicyRepository(self.database).read_locked(connection)
            check(policies)
            taken = await connection.execute(
                select(registered_clients.c.id).where(registered_clients.c.id == client.id)
            )
            if taken.first() is not None:
                raise ClientExists(client.id)
            await connection.execute(
                insert(registered_clients).values(
                    id=client.id,
                    account=client.account,
                    document=json.dumps(client.document, sort_keys=True),
                    created_at=client.created_at,
                )
            )

    async def remove(self, client_id: str) -> bool:
        """Delete one client; False (and nothing bumped) when there is none."""
        async with self.database.transaction() as connection:
            await bump_version(connection, "clients")
            deleted = await connection.execute(
                delete(registered_clients).where(registered_clients.c.id == client_id)
            )
            if deleted.rowcount == 0:
                await connection.rollback()
                return False
        return True
