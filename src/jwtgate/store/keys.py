"""jwtgate's signing keys (private parts sealed under the master key)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from jwtgate.signer import KeyRecord, KeyState, RotationPlan
from jwtgate.store.db import Database, bump_version
from jwtgate.store.tables import signing_keys

__all__ = ["KeyRepository"]


class KeyRepository:
    """Reads key records; rotations are one transaction that bumps the ``keys`` version."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def all(self) -> list[KeyRecord]:
        async with self.database.connect() as connection:
            return await _read(connection)

    async def insert_initial(self, records: Sequence[KeyRecord]) -> bool:
        """Store the first keys unless keys exist already; True when inserted."""
        async with self.database.transaction() as connection:
            await bump_version(connection, "keys")
            if await _read(connection):
                await connection.rollback()
                return False
            for record in records:
                await connection.execute(insert(signing_keys).values(**_row(record)))
        return True

    async def rotate(
        self, plan_for: Callable[[list[KeyRecord]], RotationPlan], now: float
    ) -> RotationPlan:
        """Plan and apply a rotation in one transaction, serialised with other rotations."""
        async with self.database.transaction() as connection:
            await bump_version(connection, "keys")
            plan = plan_for(await _read(connection))
            if plan.retire:
                await connection.execute(
                    update(signing_keys)
                    .where(signing_keys.c.kid == plan.retire)
                    .values(state=KeyState.RETIRED.value, retired_at=now)
                )
            if plan.promote:
                await connection.execute(
                    update(signing_keys)
                    .where(signing_keys.c.kid == plan.promote)
                    .values(state=KeyState.CURRENT.value)
                )
            await connection.execute(insert(signing_keys).values(**_row(plan.create)))
        return plan


async def _read(connection: AsyncConnection) -> list[KeyRecord]:
    rows = await connection.execute(select(signing_keys).order_by(signing_keys.c.created_at))
    return [
        KeyRecord(
            kid=row.kid,
            algorithm=row.algorithm,
            state=KeyState(row.state),
            public_jwk=json.loads(row.public_jwk),
            private_pem_sealed=row.private_key_sealed,
            created_at=row.created_at,
            retired_at=row.retired_at,
        )
        for row in rows
    ]


def _row(record: KeyRecord) -> dict[str, object]:
    return {
        "kid": record.kid,
        "algorithm": record.algorithm,
        "state": record.state.value,
        "public_jwk": json.dumps(record.public_jwk, sort_keys=True),
        "private_key_sealed": record.private_pem_sealed,
        "created_at": record.created_at,
        "retired_at": record.retired_at,
    }
