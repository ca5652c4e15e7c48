"""Running wrk (pinned to the load CPUs) with ``lua/pool.lua``, and reading its report."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LUA = Path(__file__).resolve().parent.parent / "lua" / "pool.lua"

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    socket_errors: dict[str, int]
    non_2xx: int
    sent: int
    answered: int
    bad: int
    wrapped: int
    span: int  # pool lines that may have been used (see lua/pool.lua)
    first_bad: str
    output: str = field(repr=False)

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values()) + self.non_2xx + self.bad


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str) -> WrkResult:
    requests = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output)
    if not requests:
        raise ValueError(f"wrk printed no summary:\n{output}")
    seconds = float(requests.group(2)) * {"ms": 1e-3, "s": 1.0, "m": 60.0}[requests.group(3)]
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.MULTILINE))
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True))
        if sockets
        else {}
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    bench = re.search(r"BENCH sent=(\d+) answered=(\d+) bad=(\d+) wrapped=(\d+) span=(\d+)", output)
    first_bad = re.search(r"BENCH first_bad=(.*)", output)
    count = int(requests.group(1))
    return WrkResult(
        requests=count,
        seconds=seconds,
        rps=count / seconds if seconds else 0.0,
        p50_ms=_ms(percentiles["50"]),
        p75_ms=_ms(percentiles["75"]),
        p90_ms=_ms(percentiles["90"]),
        p99_ms=_ms(percentiles["99"]),
        socket_errors=socket_errors,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        sent=int(bench.group(1)) if bench else count,
        answered=int(bench.group(2)) if bench else count,
        bad=int(bench.group(3)) if bench else 0,
        wrapped=int(bench.group(4)) if bench else 0,
        span=int(bench.group(5)) if bench else count,
        first_bad=first_bad.group(1) if first_bad else "",
        output=output,
    )


def run(
    url: str,
    *,
    pool: Path,
    method: str,
    path: str,
    expect: int,
    seconds: int,
    connections: int,
    threads: int,
    cpus: str,
    samples: Path | None = None,
    wrap: bool = False,
) -> WrkResult:
    env = {
        **os.environ,
        "BENCH_POOL": str(pool),
        "BENCH_METHOD": method,
        "BENCH_PATH": path,
        "BENCH_EXPECT": str(expect),
        "BENCH_THREADS": str(threads),
        "BENCH_SAMPLES": str(samples) if samples else "",
        "BENCH_WRAP": "1" if wrap else "0",
        "BENCH_LIGHT": "0" if samples else "1",
    }
    command = [
        "taskset",
        "-c",
        cpus,
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        url,
    ]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}\n{done.stdout}")
    return parse(done.stdout)
