"""Secret values (SPEC §2.4): versions sealed under the master key, the last 20 kept.

Every version is sealed on its own (AES-256-GCM, a fresh random nonce) with the
purpose ``secret:<account>:<id>:<version>`` bound as associated data, so a sealed
value moved to another variable or version does not open (see :mod:`jwtgate.crypto`).
The plaintext exists only in the caller's memory; the table holds ciphertext.

Versions are numbered from 1 per variable and keep their numbers when older ones are
pruned. Writers of one variable are serialised, so concurrent writes neither collide
nor skip a number: on PostgreSQL by a transaction-scoped advisory lock on the variable,
on SQLite by the database's write lock, which the transaction's first statement (the
prune, a write) takes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, delete, func, insert, select, text, tuple_

from jwtgate.crypto import MasterKey
from jwtgate.store.db import Database
from jwtgate.store.tables import secret_values

__all__ = ["KEPT_VERSIONS", "SecretRepository"]

KEPT_VERSIONS = 20
_columns = secret_values.c


def _purpose(account: str, variable_id: str, version: int) -> str:
    return f"secret:{account}:{variable_id}:{version}"


def _of(account: str, variable_id: str) -> ColumnElement[bool]:
    return and_(_columns.account == account, _columns.variable_id == variable_id)


class SecretRepository:
    """Append, read one version, read the newest of many; all values are bytes."""

    def __init__(self, database: Database, master: MasterKey) -> None:
        self.database = database
        self.master = master

    async def append(self, account: str, variable_id: str, value: bytes) -> int:
        """Store ``value`` as the next version and prune beyond the last 20; the version."""
        newest = (
            select(func.coalesce(func.max(_columns.version), 0))
            .where(_of(account, variable_id))
            .scalar_subquery()
        )
        async with self.database.transaction() as connection:
            if not self.database.is_sqlite:
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": _lock_key(account, variable_id)},
                )
            await connection.execute(
                delete(secret_values).where(
                    _of(account, variable_id), _columns.version <= newest + 1 - KEPT_VERSIONS
                )
            )
            version = int((await connection.execute(select(newest))).scalar_one()) + 1
            sealed = self.master.seal(value, purpose=_purpose(account, variable_id, version))
            await connection.execute(
                insert(secret_values).values(
                    account=account,
                    variable_id=variable_id,
                    version=version,
                    value_sealed=sealed,
                    created_at=time.time(),
                )
            )
        return version

    async def read(
        self, account: str, variable_id: str, version: int | None = None
    ) -> bytes | None:
        """The value of ``version`` (default: the newest), or None when there is none."""
        query = select(_columns.version, _columns.value_sealed).where(_of(account, variable_id))
        if version is None:
            query = query.order_by(_columns.version.desc()).limit(1)
        else:
            query = query.where(_columns.version == version)
        async with self.database.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return None
        return self.master.open(
            row.value_sealed, purpose=_purpose(account, variable_id, row.version)
        )

    async def read_newest(
        self, variables: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], bytes]:
        """The newest value of each ``(account, id)`` that has one, in one query."""
        if not variables:
            return {}
        wanted = list(dict.fromkeys(variables))
        newest = (
            select(
                _columns.account,
                _columns.variable_id,
                func.max(_columns.version).label("version"),
            )
            .where(tuple_(_columns.account, _columns.variable_id).in_(wanted))
            .group_by(_columns.account, _columns.variable_id)
            .subquery()
        )
        query = select(
            _columns.account, _columns.variable_id, _columns.version, _columns.value_sealed
        ).join(
            newest,
            and_(
                _columns.account == newest.c.account,
                _columns.variable_id == newest.c.variable_id,
                _columns.version == newest.c.version,
            ),
        )
        async with self.database.connect() as connection:
            rows = (await connection.execute(query)).all()
        return {
            (row.account, row.variable_id): self.master.open(
                row.value_sealed, purpose=_purpose(row.account, row.variable_id, row.version)
            )
            for row in rows
        }


def _lock_key(account: str, variable_id: str) -> int:
    """A signed 64-bit advisory-lock key per variable (a collision only serialises two)."""
    digest = hashlib.sha256(f"secret\0{account}\0{variable_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
