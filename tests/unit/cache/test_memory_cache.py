"""The in-process cache stays bounded: expired entries leave, whatever the history."""

from __future__ import annotations

from jwtgate.cache.memory import ExpiringMap


def test_expiring_map_forgets_entries_past_their_deadline() -> None:
    entries: ExpiringMap[int] = ExpiringMap()
    for n in range(1, 101):
        entries.put(f"k{n}", float(n), n)
    entries.prune(50.5)
    assert len(entries) == 50
    assert entries.live("k50", 50.5) is None
    assert entries.live("k51", 50.5) == (51.0, 51)
    entries.prune(1000.0)
    assert len(entries) == 0


def test_expiring_map_keeps_an_entry_whose_deadline_moved_later() -> None:
    entries: ExpiringMap[str] = ExpiringMap()
    entries.put("bucket", 10.0, "first")
    entries.put("bucket", 20.0, "second")
    entries.prune(15.0)
    assert entries.live("bucket", 15.0) == (20.0, "second")
    entries.prune(20.0)
    assert len(entries) == 0


def test_expiring_map_hides_expired_entries_before_pruning() -> None:
    entries: ExpiringMap[None] = ExpiringMap()
    entries.put("jti", 10.0, None)
    assert entries.live("jti", 10.0) is None
    assert list(entries.items(10.0)) == []
    assert list(entries.items(9.0)) == [("jti", 10.0, None)]
