"""CPU accounting around a run: how much of its core(s) the server got, and how busy the
core(s) were in all — the difference is someone else's load (or the kernel's network
work on that core), which is what makes numbers on a shared machine noisy."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from jwtbench.procs import _descendants


def parse_cpus(spec: str) -> set[int]:
    cpus: set[int] = set()
    for part in spec.split(","):
        low, _, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def _core_ticks(cpus: set[int]) -> tuple[int, int]:
    busy = total = 0
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if not name.startswith("cpu") or name == "cpu" or int(name[3:]) not in cpus:
            continue
        numbers = [int(value) for value in values[:8]]
        idle = numbers[3] + numbers[4]
        total += sum(numbers)
        busy += sum(numbers) - idle
    return busy, total


def _process_ticks(root: int) -> int:
    ticks = 0
    for pid in _descendants(root):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks


@dataclass
class CpuSample:
    core_busy: int
    core_total: int
    server: int


def sample(cpus: set[int], server_pid: int) -> CpuSample:
    busy, total = _core_ticks(cpus)
    return CpuSample(busy, total, _process_ticks(server_pid))


def shares(before: CpuSample, after: CpuSample) -> tuple[float, float]:
    """(server's share of its cores, cores' busy share), each 0..1."""
    total = max(after.core_total - before.core_total, 1)
    return (after.server - before.server) / total, (after.core_busy - before.core_busy) / total


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"
