"""Small named values: the admin credential's hash and when the store was initialised."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from jwtgate.store.db import Database
from jwtgate.store.tables import meta

__all__ = ["MetaRepository"]


class MetaRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def get(self, key: str) -> str | None:
        async with self.database.connect() as connection:
            row = await connection.execute(select(meta.c.value).where(meta.c.key == key))
            value: str | None = row.scalar_one_or_none()
            return value

    async def set(self, key: str, value: str) -> None:
        async with self.database.transaction() as connection:
            changed = await connection.execute(
                update(meta).where(meta.c.key == key).values(value=value)
            )
            if changed.rowcount == 0:
                await connection.execute(insert(meta).values(key=key, value=value))
