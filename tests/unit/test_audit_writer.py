"""The audit writer batches off the request path, buffers through outages, counts drops."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from jwtgate.audit import AuditEvent, AuditWriter, parse_since


def event(n: int) -> AuditEvent:
    return AuditEvent(time=float(n), request_id=f"r{n}", front_door="admin", decision="accepted")


class Sink:
    def __init__(self) -> None:
        self.batches: list[list[AuditEvent]] = []
        self.down = False

    async def __call__(self, events: Sequence[AuditEvent]) -> None:
        if self.down:
            raise ConnectionError("store down")
        self.batches.append(list(events))


async def test_events_are_written_in_batches() -> None:
    sink = Sink()
    writer = AuditWriter(sink, batch_size=3, flush_interval=0.01)
    for n in range(7):
        writer.record(event(n))
    assert sink.batches == []  # record() never waits for the store
    task = asyncio.create_task(writer.run())
    await asyncio.sleep(0.1)
    task.cancel()
    assert [len(batch) for batch in sink.batches] == [3, 3, 1]
    assert [e.request_id for batch in sink.batches for e in batch] == [f"r{n}" for n in range(7)]


async def test_outage_buffers_then_flushes() -> None:
    sink = Sink()
    sink.down = True
    writer = AuditWriter(sink, flush_interval=0.01)
    task = asyncio.create_task(writer.run())
    writer.record(event(1))
    await asyncio.sleep(0.05)
    assert writer.pending == 1
    sink.down = False
    await asyncio.sleep(0.2)
    task.cancel()
    assert writer.pending == 0
    assert sink.batches == [[event(1)]]


async def test_full_queue_drops_and_counts() -> None:
    sink = Sink()
    writer = AuditWriter(sink, max_queue=100)
    for n in range(105):
        writer.record(event(n))
    assert writer.pending == 100
    assert writer.dropped == 5
    await writer.close()
    assert writer.pending == 0


def test_parse_since() -> None:
    assert parse_since(None) is None
    assert parse_since("1700000000") == 1700000000.0
    assert parse_since("2023-11-14T22:13:20Z") == 1700000000.0
    assert parse_since("2023-11-14T22:13:20") == 1700000000.0
    with pytest.raises(ValueError, match="since"):
        parse_since("last week")


async def test_concurrent_flushes_write_each_event_once() -> None:
    class SlowSink(Sink):
        async def __call__(self, events: Sequence[AuditEvent]) -> None:
            await asyncio.sleep(0.01)
            await super().__call__(events)

    sink = SlowSink()
    writer = AuditWriter(sink, batch_size=2)
    for n in range(5):
        writer.record(event(n))
    await asyncio.gather(writer.flush(), writer.flush(), writer.flush())
    written = [e.request_id for batch in sink.batches for e in batch]
    assert written == [f"r{n}" for n in range(5)]
