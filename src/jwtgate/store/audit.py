"""Audit events: batched inserts, newest-first reads, expiry of kept claims."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import insert, select, update

from jwtgate.audit import AuditEvent
from jwtgate.store.db import Database
from jwtgate.store.tables import audit_events

__all__ = ["AuditRepository"]


class AuditRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def write(self, events: Sequence[AuditEvent]) -> None:
        """Insert a batch in one transaction (the writer calls this off the request path)."""
        if not events:
            return
        rows = []
        for event in events:
            row = asdict(event)
            claims = row.pop("claims")
            row["claims"] = json.dumps(claims, sort_keys=True) if claims is not None else None
            rows.append(row)
        async with self.database.transaction() as connection:
            await connection.execute(insert(audit_events), rows)

    async def read(self, *, since: float | None, limit: int) -> list[AuditEvent]:
        """Newest first; ``claims`` are left out (SPEC §2.6: /admin/audit does not show them)."""
        query = select(audit_events).order_by(audit_events.c.time.desc(), audit_events.c.id.desc())
        if since is not None:
            query = query.where(audit_events.c.time >= since)
        async with self.database.connect() as connection:
            rows = await connection.execute(query.limit(limit))
            return [_event(row, with_claims=False) for row in rows]

    async def accepted_with_claims(self, *, since: float) -> list[AuditEvent]:
        """Accepted authentications whose claims are still kept, for a policy dry run."""
        query = (
            select(audit_events)
            .where(audit_events.c.time >= since)
            .where(audit_events.c.decision == "accepted")
            .where(audit_events.c.claims.is_not(None))
            .order_by(audit_events.c.time.desc())
        )
        async with self.database.connect() as connection:
            return [_event(row, with_claims=True) for row in await connection.execute(query)]

    async def expire_claims(self, now: float) -> int:
        """Forget claims past their retention; returns how many events were cleared."""
        async with self.database.transaction() as connection:
            result = await connection.execute(
                update(audit_events)
                .where(audit_events.c.claims_expire_at < now)
                .values(claims=None, claims_expire_at=None)
            )
            return int(result.rowcount)


def _event(row: object, *, with_claims: bool) -> AuditEvent:
    data = dict(row._mapping)  # type: ignore[attr-defined]
    data.pop("id")
    claims = data.pop("claims")
    return AuditEvent(**data, claims=json.loads(claims) if with_claims and claims else None)
