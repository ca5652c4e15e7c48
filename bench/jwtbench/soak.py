"""``--soak N``: is RSS per worker flat over N requests (issue 9: ±10 % over 1 M)?

One jwtgate set-up (``--only``, default SQLite + memory), one scenario
(``--soak-scenario``: ``check`` or ``authn-jwt``, the two whose inputs may repeat:
neither has a single-use rule), loaded in chunks of ``--duration`` seconds until N
requests were answered; every worker's RSS is read between chunks. The growth is
measured from the end of the first chunk (warm caches, the allocator settled) to the
end of the last. Token-endpoint soaks would need N distinct assertions (N RSA
signatures and N single-use records by design); they are left out.
"""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jwtbench.pools import Pool
from jwtbench.procs import trim_log
from jwtbench.targets import SCENARIOS
from jwtbench.wrk import run as run_wrk

if TYPE_CHECKING:
    from jwtbench.__main__ import Bench

SOAK_POOL = 20000


@dataclass
class SoakResult:
    target: str
    scenario: str
    requests: int = 0
    errors: int = 0
    points: list[tuple[int, dict[str, int]]] = field(default_factory=list)  # (done, rss KiB)
    rates: list[float] = field(default_factory=list)

    def growth(self) -> dict[str, float]:
        if len(self.points) < 2:
            return {}
        first, last = self.points[0][1], self.points[-1][1]
        return {pid: (last[pid] - first[pid]) / first[pid] for pid in first if pid in last}


def run(bench: Bench, total: int, scenario_key: str) -> SoakResult:
    key = bench.args.only or "jwtgate"
    target = next(t for t in bench.build_targets() if t.key == key)
    scenario = SCENARIOS[scenario_key]
    if scenario_key not in ("check", "authn-jwt"):
        raise SystemExit("--soak-scenario must be check or authn-jwt")
    result = SoakResult(target.key, scenario_key)
    if target.prepare is not None:
        target.prepare()
    server = target.server(bench.port, bench.work / "logs" / f"soak-{target.key}.log")
    bench.live.append(server)
    folder = bench.work / "runs" / f"soak-{target.key}-{scenario_key}"
    folder.mkdir(parents=True, exist_ok=True)
    pool_file = folder / "pool.txt"
    try:
        server.start(bench.issuer + target.ready_path)
        authn = Pool("authn-jwt", bench.minter)
        if scenario_key == "check":
            bodies = authn.ensure(1000)[:1000]
            items = asyncio.run(bench.fetch_tokens(bodies))
        else:
            items = authn.ensure(SOAK_POOL)[:SOAK_POOL]
        pool_file.write_text("\n".join(items) + "\n")
        while result.requests < total:
            answer = run_wrk(
                bench.issuer + scenario.path,
                pool=pool_file,
                method=scenario.method,
                path=scenario.path,
                expect=scenario.expect(bench.issuer).status,
                seconds=bench.args.duration,
                connections=bench.args.connections,
                threads=bench.args.threads,
                cpus=target.load_cpus,
                wrap=True,
            )
            result.requests += answer.requests
            result.errors += answer.errors
            result.rates.append(answer.rps)
            rss = {str(pid): kib for pid, kib in server.worker_rss_kib().items()}
            result.points.append((result.requests, rss))
            shown = ", ".join(f"{kib / 1024:.1f}" for kib in rss.values())
            print(
                f"  soak {result.requests:>9,} requests, {answer.rps:8.0f} req/s, "
                f"RSS {shown} MiB, errors {result.errors}",
                flush=True,
            )
    finally:
        server.stop()
        bench.live.remove(server)
        pool_file.unlink(missing_ok=True)
        trim_log(server.log)
    return result


def render(result: SoakResult, meta: dict[str, object]) -> str:
    growth = result.growth()
    lines = [
        f"## Soak — {meta['date']}",
        "",
        f"- **Command:** `{meta['command']}`; {meta['machine']}",
        f"- **Set-up:** {result.target}, scenario {result.scenario}, "
        f"{result.requests:,} requests in chunks of {meta['duration']} s, "
        f"{result.errors} errors; median {statistics.median(result.rates or [0]):,.0f} req/s",
        "- **RSS per worker** (MiB) after each chunk, and its change from the end of the "
        "first chunk to the end of the last (target: within ±10 %):",
        "",
        "| requests | " + " | ".join(f"worker {pid}" for pid in growth) + " |",
        "|---:|" + "---:|" * len(growth),
    ]
    step = max(1, len(result.points) // 12)
    shown = result.points[::step]
    if result.points and shown[-1] is not result.points[-1]:
        shown.append(result.points[-1])
    for done, rss in shown:
        cells = " | ".join(f"{rss.get(pid, 0) / 1024:.1f}" for pid in growth)
        lines.append(f"| {done:,} | {cells} |")
    lines.append("| change | " + " | ".join(f"{value:+.1%}" for value in growth.values()) + " |")
    lines.append("")
    return "\n".join(lines)


__all__ = ["SoakResult", "render", "run"]
