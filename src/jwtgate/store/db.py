"""The database handle: engine, migrations, health and change versions.

SQLite (embedded default) and PostgreSQL share one schema. Migrations are Alembic's,
run on a connection jwtgate opens (PostgreSQL takes an advisory lock first so that
instances starting together migrate once).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from jwtgate.store.tables import versions

__all__ = ["Database", "StoreUnavailable"]

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 7_391_120_231  # arbitrary, fixed pg_advisory_lock key for jwtgate


class StoreUnavailable(Exception):
    """The store cannot be reached or refused the operation (SPEC §2.5: 503)."""


class Database:
    """One async engine plus what every repository needs from it."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {"echo": echo, "pool_pre_ping": not self.is_sqlite}
        if self.is_sqlite:
            options["connect_args"] = {"timeout": 5}
        else:
            options["connect_args"] = {"timeout": 5, "command_timeout": 10}
            options["pool_size"] = 5
        self.engine: AsyncEngine = create_async_engine(url, **options)
        self.query_count = 0
        event.listen(self.engine.sync_engine, "before_cursor_execute", self._count)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

    def _count(self, *_: Any) -> None:
        self.query_count += 1

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection inside one transaction; store faults become StoreUnavailable."""
        try:
            async with self.engine.begin() as connection:
                yield connection
        except (TimeoutError, SQLAlchemyError, OSError) as error:
            raise StoreUnavailable(_describe(error)) from error

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads; store faults become StoreUnavailable."""
        try:
            async with self.engine.connect() as connection:
                yield connection
        except (TimeoutError, SQLAlchemyError, OSError) as error:
            raise StoreUnavailable(_describe(error)) from error

    async def ping(self) -> None:
        async with self.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def upgrade(self) -> None:
        """Apply every Alembic migration not yet applied (``jwtgate db upgrade``)."""
        async with self.transaction() as connection:
            if not self.is_sqlite:
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            await connection.run_sync(_run_upgrade)

    async def is_current(self) -> bool:
        """Whether the schema is at the newest migration."""
        async with self.connect() as connection:
            revision = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
        return revision == ScriptDirectory.from_config(_alembic_config()).get_current_head()

    async def versions(self) -> dict[str, int]:
        """The change counters every instance polls to reload policy and keys."""
        async with self.connect() as connection:
            rows = await connection.execute(select(versions.c.name, versions.c.version))
            return {name: version for name, version in rows}

    async def close(self) -> None:
        await self.engine.dispose()


async def bump_version(connection: AsyncConnection, name: str) -> int:
    """Increment a change counter inside the caller's transaction; returns the new value.

    Being a write, it is also the first statement of every state change: it takes the
    write lock on SQLite and the row lock on PostgreSQL, serialising concurrent applies.
    """
    result = await connection.execute(
        update(versions)
        .where(versions.c.name == name)
        .values(version=versions.c.version + 1)
        .returning(versions.c.version)
    )
    return int(result.scalar_one())


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _run_upgrade(connection: Connection) -> None:
    config = _alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _describe(error: BaseException) -> str:
    """A one-line cause without SQL text or parameters (which may hold secrets)."""
    original = getattr(error, "orig", None) or error
    return f"{type(original).__name__}: {str(original).splitlines()[0] if str(original) else ''}"
