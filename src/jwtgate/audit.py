"""Decision events, written in batches off the request path (DESIGN "Audit").

A front door calls :meth:`AuditWriter.record`, which never waits and never fails: the
event joins a bounded queue that a background task flushes to the store. When the
queue is full, or the store stays down while the queue fills, events are dropped —
and every drop is counted (``jwtgate_audit_dropped_total``) and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from prometheus_client import Counter

__all__ = ["FRONT_DOORS", "MAX_AUDIT_LIMIT", "AuditEvent", "AuditWriter", "parse_since"]

log = logging.getLogger("jwtgate.audit")

MAX_AUDIT_LIMIT = 1000
FRONT_DOORS = ("authn-jwt", "oauth-token", "introspect", "revoke", "resource", "proxy", "admin")

DROPPED = Counter("jwtgate_audit_dropped_total", "Audit events dropped", ["why"])
WRITTEN = Counter("jwtgate_audit_written_total", "Audit events written to the store")


@dataclass(frozen=True)
class AuditEvent:
    """One decision (SPEC §2.6); ``claims`` only for accepted authentications."""

    time: float
    request_id: str
    front_door: str
    decision: Literal["accepted", "refused"]
    code: str | None = None
    reason: str | None = None
    account: str | None = None
    authenticator: str | None = None
    subject: str | None = None
    client_id: str | None = None
    claims: dict[str, Any] | None = None
    claims_expire_at: float | None = None

    def public(self) -> dict[str, Any]:
        """The fields ``GET /admin/audit`` shows (claims never)."""
        return {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.time))
            + f".{int(self.time % 1 * 1000):03d}Z",
            "request_id": self.request_id,
            "front_door": self.front_door,
            "decision": self.decision,
            "code": self.code,
            "reason": self.reason,
            "account": self.account,
            "authenticator": self.authenticator,
            "subject": self.subject,
            "client_id": self.client_id,
        }


Sink = Callable[[Sequence[AuditEvent]], Awaitable[None]]


class AuditWriter:
    """A bounded queue of events and the task that flushes it in batches."""

    def __init__(
        self,
        sink: Sink,
        *,
        max_queue: int = 10000,
        batch_size: int = 500,
        flush_interval: float = 0.2,
    ) -> None:
        self._sink = sink
        self._queue: deque[AuditEvent] = deque()
        self._max_queue = max_queue
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._wake = asyncio.Event()
        self._flushing = asyncio.Lock()  # one flush at a time, or a batch is written twice
        self._failing_since: float | None = None
        self.dropped = 0

    def record(self, event: AuditEvent) -> None:
        """Queue an event without waiting; a full queue drops it (counted and logged)."""
        if len(self._queue) >= self._max_queue:
            self._drop(1, "queue_full")
            return
        self._queue.append(event)
        if len(self._queue) >= self._batch_size:
            self._wake.set()

    def _drop(self, count: int, why: str) -> None:
        self.dropped += count
        DROPPED.labels(why).inc(count)
        log.warning("audit events dropped", extra={"dropped": count, "why": why})

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def flush(self) -> None:
        """Write what is queued; on a store fault keep the events and raise.

        The background task and readers that want fresh events (``GET /admin/audit``)
        both flush, so flushes are serialised: two concurrent ones would write the same
        batch twice and then drop the next one.
        """
        async with self._flushing:
            while self._queue:
                batch = [self._queue[i] for i in range(min(self._batch_size, len(self._queue)))]
                await self._sink(batch)
                for _ in batch:
                    self._queue.popleft()
                WRITTEN.inc(len(batch))

    async def run(self) -> None:
        """Flush every ``flush_interval`` (or when a batch is full) until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._flush_interval)
            self._wake.clear()
            try:
                # Shielded: cancelling the writer at shutdown must not abandon a write
                # half done (on SQLite that leaves the write lock held); close() waits
                # for it through the flush lock and writes the rest.
                await asyncio.shield(self.flush())
            except Exception as error:  # the store is down: keep buffering, retry later
                if self._failing_since is None:
                    self._failing_since = time.monotonic()
                    log.warning("audit store unavailable, buffering", extra={"error": str(error)})
                await asyncio.sleep(min(1.0, self._flush_interval * 5))
            else:
                if self._failing_since is not None:
                    log.info("audit store back, buffer flushed")
                    self._failing_since = None

    async def close(self) -> None:
        """Flush what remains at shutdown; anything that cannot be written is counted."""
        try:
            await self.flush()
        except Exception:
            self._drop(len(self._queue), "shutdown")
            self._queue.clear()


def parse_since(value: str | None) -> float | None:
    """``since`` as epoch seconds or ISO 8601 (a time without zone is taken as UTC)."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"since: {value!r} is neither epoch seconds nor ISO 8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
