"""``make bench``: jwtgate side by side with Authlib and node-oidc-provider (issue 9).

Every server is pinned to CPU 0 and loaded by wrk pinned to CPU 1 (``--workers 2``
gets both CPUs, and shares them with wrk). Each (server, scenario) gets a warm-up, then
a fixed-duration run whose every answer must have the expected status and whose
sampled answers must carry tokens that verify. Rounds repeat the whole set, so the
medians mix whatever else the machine was doing. Run ``python -m jwtbench --help``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from jwtbench import cpu, profile, report, soak, targets
from jwtbench.checks import Expect, SampleError, check_samples
from jwtbench.jwks_server import JwksServer
from jwtbench.keys import BenchKeys
from jwtbench.pools import Minter, Pool
from jwtbench.procs import Server, stop_all, trim_log
from jwtbench.targets import SCENARIOS, Target
from jwtbench.wrk import WrkResult
from jwtbench.wrk import run as run_wrk

OUT = targets.BENCH / "out"
DEFAULT_RATE = {"jwt-bearer": 3000.0, "client-credentials": 5000.0, "authn-jwt": 3000.0}
WRAP_POOL = 1000  # items of the cycled pools (access tokens for /authn/check, baselines)


@dataclass
class RunRecord:
    round: int
    target: str
    scenario: str
    rps: float = 0.0
    p50_ms: float = 0.0
    p75_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    wrapped: int = 0
    samples_checked: int = 0
    warmup_errors: int = 0
    server_cpu: float = 0.0
    cores_busy: float = 0.0
    load_average: str = ""
    rss_kib_start: dict[str, int] = field(default_factory=dict)
    rss_kib_end: dict[str, int] = field(default_factory=dict)
    valid: bool = False
    problem: str = ""


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stamp = time.strftime("%Y%m%d-%H%M%S")
        self.work = OUT / f"run-{self.stamp}"
        self.work.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.keys = BenchKeys.generate()
        self.files = self.keys.write(self.work / "keys")
        self.idp = JwksServer(self.keys.idp_jwks()).start()
        self.policy = self.work / "policy.yaml"
        self.policy.write_text(targets.policy_text(self.keys.client_jwks(), self.idp.jwks_uri))
        self.minter = Minter(
            self.files,
            audience=self.issuer,
            idp_issuer=targets.IDP_ISSUER,
            idp_audience=targets.IDP_AUDIENCE,
        )
        self.rates: dict[tuple[str, str], float] = {}
        self.records: list[RunRecord] = []
        self.live: list[Server] = []
        self.started = time.time()
        self.load_at_start = cpu.load_average()
        self.code_at_start = _code_state()

    # -- set-up ---------------------------------------------------------------------
    def build_targets(self) -> list[Target]:
        sqlite_dir = self.work / "jwtgate-sqlite"
        pg_dir = self.work / "jwtgate-pg"
        _init_jwtgate(sqlite_dir, None)
        if self.wants_any("jwtgate-pg", "jwtgate-pg-w2"):
            _reset_postgres()
            _init_jwtgate(pg_dir, targets.PG_URL)
        clear_redis = _clear_redis_prefix
        all_targets = [
            Target(
                "uvicorn-empty",
                "empty uvicorn endpoint (bare ASGI)",
                ("empty",),
                targets.uvicorn_server("uvicorn-empty", "empty_app:app"),
                "/",
            ),
            Target(
                "fastapi-empty",
                "empty FastAPI route (informative)",
                ("empty",),
                targets.uvicorn_server("fastapi-empty", "empty_app:fastapi_app"),
                "/",
            ),
            Target(
                "jwtgate",
                "jwtgate, SQLite + memory, 1 worker",
                targets.JWTGATE_SCENARIOS,
                targets.jwtgate_server("jwtgate", sqlite_dir, self.policy, cpus="0"),
                "/healthz",
                jwks_path="/.well-known/jwks.json",
            ),
            Target(
                "jwtgate-pg",
                "jwtgate, PostgreSQL + Redis, 1 worker",
                targets.JWTGATE_SCENARIOS,
                targets.jwtgate_server(
                    "jwtgate-pg",
                    pg_dir,
                    self.policy,
                    cpus="0",
                    database_url=targets.PG_URL,
                    cache_url=targets.REDIS_URL,
                ),
                "/healthz",
                jwks_path="/.well-known/jwks.json",
                prepare=clear_redis,
            ),
            Target(
                "jwtgate-pg-w2",
                "jwtgate, PostgreSQL + Redis, --workers 2 (CPUs 0-1, shared with wrk)",
                targets.JWTGATE_SCENARIOS,
                targets.jwtgate_server(
                    "jwtgate-pg-w2",
                    pg_dir,
                    self.policy,
                    cpus="0,1",
                    database_url=targets.PG_URL,
                    cache_url=targets.REDIS_URL,
                    workers=2,
                ),
                "/healthz",
                jwks_path="/.well-known/jwks.json",
                cpus="0,1",
                load_cpus="0,1",
                prepare=clear_redis,
            ),
            Target(
                "authlib",
                "Authlib 1.9 (Flask 3.1 + gunicorn 27, 1 sync worker)",
                ("jwt-bearer",),
                targets.authlib_server(self.files, self.issuer),
                "/ready",
            ),
            Target(
                "node-oidc-provider",
                f"node-oidc-provider 9.13.3 (Node {targets.node_version()})",
                ("client-credentials",),
                targets.node_server(self.files, self.issuer),
                "/.well-known/openid-configuration",
                jwks_path="/jwks",
            ),
        ]
        experiments = [
            Target(
                "jwtgate-quiet",
                "jwtgate SQLite + memory, --log-level warning (experiment)",
                targets.JWTGATE_SCENARIOS,
                targets.jwtgate_server(
                    "jwtgate-quiet", sqlite_dir, self.policy, cpus="0", log_level="warning"
                ),
                "/healthz",
                jwks_path="/.well-known/jwks.json",
            ),
            Target(
                "jwtgate-starlette",
                "jwtgate SQLite + memory, hot routes as plain Starlette routes (experiment)",
                targets.JWTGATE_SCENARIOS,
                targets.experiment_server("jwtgate-starlette", "starlette-routes", sqlite_dir),
                "/healthz",
                jwks_path="/.well-known/jwks.json",
                prepare=targets.apply_policy(sqlite_dir, self.policy),
            ),
            Target(
                "jwtgate-starlette-quiet",
                "jwtgate SQLite + memory, Starlette routes and --log-level warning (experiment)",
                targets.JWTGATE_SCENARIOS,
                targets.experiment_server(
                    "jwtgate-starlette-quiet", "starlette-routes", sqlite_dir, log_level="warning"
                ),
                "/healthz",
                jwks_path="/.well-known/jwks.json",
                prepare=targets.apply_policy(sqlite_dir, self.policy),
            ),
        ]
        for variant in ("gc-freeze", "gc-stats"):
            experiments.append(
                Target(
                    f"jwtgate-{variant}",
                    f"jwtgate SQLite + memory, {variant} (experiment)",
                    targets.JWTGATE_SCENARIOS,
                    targets.experiment_server(f"jwtgate-{variant}", variant, sqlite_dir),
                    "/healthz",
                    jwks_path="/.well-known/jwks.json",
                    prepare=targets.apply_policy(sqlite_dir, self.policy),
                )
            )
        chosen = [target for target in all_targets if self.wants(target.key)]
        named = self.args.only.split(",") if self.args.only else []
        chosen += [t for t in experiments if self.args.experiments or t.key in named]
        return chosen

    def wants(self, key: str) -> bool:
        return not self.args.only or key in self.args.only.split(",")

    def wants_any(self, *keys: str) -> bool:
        return any(self.wants(key) for key in keys)

    def jwks_for(self, target: Target) -> dict[str, Any]:
        if target.key == "authlib":
            from jwtbench.keys import PEER_KID, ec_jwk

            return {"keys": [ec_jwk(self.keys.peer_signer, PEER_KID, private=False)]}
        if target.jwks_path is None:
            return {"keys": []}
        document: dict[str, Any] = httpx.get(self.issuer + target.jwks_path, timeout=10).json()
        return document

    # -- running --------------------------------------------------------------------
    def run(self) -> None:
        all_targets = self.build_targets()
        print(
            f"bench: {len(all_targets)} servers, {self.args.rounds} round(s), "
            f"{self.args.warmup}+{self.args.duration} s per scenario, port {self.port}",
            flush=True,
        )
        for number in range(1, self.args.rounds + 1):
            pools = {kind: Pool(kind, self.minter) for kind in DEFAULT_RATE}
            order = all_targets if number % 2 else list(reversed(all_targets))
            for target in order:
                self.run_target(number, target, pools)
            self.write_report(final=False)

    def run_target(self, number: int, target: Target, pools: dict[str, Pool]) -> None:
        if target.prepare is not None:
            target.prepare()
        server = target.server(self.port, self.work / "logs" / f"{target.key}-r{number}.log")
        self.live.append(server)
        try:
            server.start(self.issuer + target.ready_path)
            jwks = self.jwks_for(target)
            for pool in pools.values():
                pool.restart()
            for key in target.scenarios:
                record = self.run_scenario(number, target, server, SCENARIOS[key], pools, jwks)
                self.records.append(record)
                status = "ok" if record.valid else f"INVALID: {record.problem}"
                print(
                    f"  r{number} {target.key:<20} {key:<19} {record.rps:9.1f} req/s "
                    f"p50 {record.p50_ms:7.2f} ms p99 {record.p99_ms:7.2f} ms "
                    f"cpu {record.server_cpu:4.0%}/{record.cores_busy:4.0%} {status}",
                    flush=True,
                )
        finally:
            server.stop()
            self.live.remove(server)
            trim_log(server.log)

    def run_scenario(
        self,
        number: int,
        target: Target,
        server: Server,
        scenario: targets.Scenario,
        pools: dict[str, Pool],
        jwks: dict[str, Any],
    ) -> RunRecord:
        record = RunRecord(number, target.key, scenario.key)
        folder = self.work / "runs" / f"r{number}-{target.key}-{scenario.key}"
        folder.mkdir(parents=True, exist_ok=True)
        url = self.issuer + scenario.path
        threads = self.args.threads

        def load(pool_path: Path, seconds: int, samples: Path | None = None) -> WrkResult:
            return run_wrk(
                url,
                pool=pool_path,
                method=scenario.method,
                path=scenario.path,
                expect=scenario.expect(self.issuer).status,
                seconds=seconds,
                connections=self.args.connections,
                threads=threads,
                cpus=target.load_cpus,
                samples=samples,
                wrap=scenario.wrap,
            )

        pool: Pool | None = None
        if scenario.wrap:
            items = folder / "pool.txt"
            if scenario.pool == "tokens":
                bodies = pools["authn-jwt"].ensure(WRAP_POOL)[:WRAP_POOL]
                tokens = asyncio.run(self.fetch_tokens(bodies))
                items.write_text("\n".join(tokens) + "\n")
            else:
                items.write_text(
                    "\n".join(secrets.token_urlsafe(24) for _ in range(WRAP_POOL)) + "\n"
                )
        else:
            pool = pools[scenario.pool]
        rate = self.rates.get((target.key, scenario.key), DEFAULT_RATE.get(scenario.key, 0.0))

        def pool_file(name: str, seconds: int) -> Path:
            if pool is None:
                return folder / "pool.txt"
            path = folder / name
            pool.write_next(int(rate * seconds * 1.5) + 500, path)
            return path

        record.rss_kib_start = {str(k): v for k, v in server.worker_rss_kib().items()}
        if self.args.warmup > 0:
            warm = load(pool_file("warmup.txt", self.args.warmup), self.args.warmup)
            if pool is not None:
                pool.consumed(warm.span)
            record.warmup_errors = 0 if warm.wrapped else warm.errors
            rate = max(rate, warm.rps)
        measured: WrkResult | None = None
        for _attempt in range(2):
            samples = folder / "samples"
            for old in folder.glob("samples.*"):
                old.unlink()
            measure_file = pool_file("measure.txt", self.args.duration)  # may mint first
            record.load_average = cpu.load_average()
            before = cpu.sample(cpu.parse_cpus(target.cpus), server.pid)
            spy = self.start_profiler(server, folder) if self.args.profile else None
            # The cycled pools serve the fastest endpoints: there wrk does not hand answers
            # to Lua (it would be the bottleneck); they are checked directly below.
            measured = load(measure_file, self.args.duration, None if scenario.wrap else samples)
            if spy is not None:
                spy.wait(self.args.duration + 60)
            after = cpu.sample(cpu.parse_cpus(target.cpus), server.pid)
            if pool is not None:
                pool.consumed(measured.span)
            if scenario.wrap or not measured.wrapped:
                break
            rate = measured.rps * 1.5  # the pool ran out: mint more and measure again
        assert measured is not None
        (folder / "wrk.txt").write_text(measured.output)
        record.server_cpu, record.cores_busy = cpu.shares(before, after)
        record.rss_kib_end = {str(k): v for k, v in server.worker_rss_kib().items()}
        record.rps, record.requests, record.seconds = (
            measured.rps,
            measured.requests,
            measured.seconds,
        )
        record.p50_ms, record.p75_ms = measured.p50_ms, measured.p75_ms
        record.p90_ms, record.p99_ms = measured.p90_ms, measured.p99_ms
        record.errors, record.socket_errors = measured.errors, measured.socket_errors
        record.wrapped = 0 if scenario.wrap else measured.wrapped
        self.rates[(target.key, scenario.key)] = max(rate, measured.rps)
        problems = []
        if measured.errors:
            problems.append(
                f"{measured.errors} errors (non-2xx {measured.non_2xx}, unexpected status "
                f"{measured.bad}, sockets {measured.socket_errors}) {measured.first_bad[:160]}"
            )
        if record.wrapped:
            problems.append("the assertion pool ran out (items were sent twice)")
        try:
            if scenario.wrap:
                assert scenario.method == "GET", "cycled pools are sent as bearer tokens"
                sent = measure_file.read_text().split()[:20]
                record.samples_checked = asyncio.run(
                    check_directly(url, sent, scenario.expect(self.issuer))
                )
            else:
                record.samples_checked = check_samples(
                    samples, threads, jwks, scenario.expect(self.issuer)
                )
        except SampleError as error:
            problems.append(f"sampled answer: {error}")
        record.problem = "; ".join(problems)
        record.valid = not problems
        for used in folder.glob("*.txt"):  # pools: tens of MB each, never read again
            if used.name in ("warmup.txt", "measure.txt", "pool.txt"):
                used.unlink()
        return record

    def start_profiler(self, server: Server, folder: Path) -> subprocess.Popen[bytes]:
        """py-spy on the serving process, off CPU 0, for the measured seconds but the first
        (wrk reads its pool then) and the last (so that it ends before wrk does)."""
        pids = list(server.worker_rss_kib()) or [server.pid]
        command = [
            "taskset",
            "-c",
            "1",
            "sh",
            "-c",
            'sleep 1 && exec "$0" "$@"',
            str(targets.PEERS / "tools" / "bin" / "py-spy"),
            "record",
            "--pid",
            str(pids[0]),
            "--rate",
            str(self.args.profile_rate),
            "--duration",
            str(max(self.args.duration - 2, 1)),
            "--format",
            "raw",
            "--function",
            "--threads",
            "--output",
            str(folder / "profile.txt"),
        ]
        with (folder / "py-spy.log").open("wb") as log:
            return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    async def fetch_tokens(self, bodies: list[str]) -> list[str]:
        """jwtgate access tokens for /authn/check, from the server under test."""
        limit = asyncio.Semaphore(16)
        url = self.issuer + targets.AUTHN_PATH
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        async with httpx.AsyncClient(timeout=30) as client:

            async def one(body: str) -> str:
                async with limit:
                    answer = await client.post(url, content=body, headers=headers)
                answer.raise_for_status()
                document = answer.json()
                parts = ("protected", "payload", "signature")
                return ".".join(document[part].rstrip("=") for part in parts)

            return list(await asyncio.gather(*(one(body) for body in bodies)))

    # -- results --------------------------------------------------------------------
    def write_report(self, *, final: bool) -> None:
        meta = self.metadata(final=final)
        data = {"meta": meta, "records": [asdict(record) for record in self.records]}
        (self.work / "results.json").write_text(json.dumps(data, indent=1))
        text = report.render(meta, self.records)
        (self.work / "results.md").write_text(text)
        changed = self.args.only or self.args.experiments or self.args.jwtgate_env
        if final and not changed and self.args.results:
            report.update_results_file(Path(self.args.results), text)

    def metadata(self, *, final: bool) -> dict[str, Any]:
        return {
            "date": time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(self.started)),
            "minutes": round((time.time() - self.started) / 60, 1),
            "command": self.args.command_line,
            "machine": _machine(),
            "code": _code_label(self.code_at_start, _code_state()),
            "python": platform.python_version(),
            "node": targets.node_version() if self.wants("node-oidc-provider") else "",
            "wrk": _wrk_version(),
            "rounds": self.args.rounds,
            "duration": self.args.duration,
            "warmup": self.args.warmup,
            "connections": self.args.connections,
            "threads": self.args.threads,
            "load_at_start": self.load_at_start,
            "load_at_end": cpu.load_average(),
            "note": self.args.note,
            "jwtgate_env": dict(targets.EXTRA_JWTGATE_ENV),
            "minted": self.minter.minted,
            "jwks_fetches": self.idp.requests,
            "final": final,
            "work": str(self.work.relative_to(targets.ROOT)),
        }

    def close(self) -> None:
        stop_all(self.live)
        self.minter.close()
        self.idp.stop()
        if self.wants_any("jwtgate-pg", "jwtgate-pg-w2") and not self.args.keep:
            _clear_redis_prefix()
            _drop_postgres()
        if not self.args.keep:
            # Data directories (master keys, audit-filled SQLite stores) and the run's
            # private keys are of no use once the run is over.
            for folder in ("jwtgate-sqlite", "jwtgate-pg", "keys"):
                shutil.rmtree(self.work / folder, ignore_errors=True)


# -- helpers ------------------------------------------------------------------------------


async def check_directly(url: str, items: list[str], expect: Expect) -> int:
    """Send items of a cycled pool the way wrk does (bearer tokens) and check each answer."""
    async with httpx.AsyncClient(timeout=10) as client:
        for item in items:
            answer = await client.get(url, headers={"Authorization": f"Bearer {item}"})
            if answer.status_code != expect.status or answer.content:
                raise SampleError(f"status {answer.status_code}: {answer.text[:200]}")
    return len(items)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _init_jwtgate(data_dir: Path, database_url: str | None) -> None:
    command = [str(targets.VENV_BIN / "jwtgate"), "init", "--data-dir", str(data_dir)]
    if database_url:
        command += ["--database-url", database_url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"jwtgate init failed: {done.stderr}{done.stdout}")


def _psql(statement: str) -> None:
    subprocess.run(
        ["psql", targets.PG_ADMIN, "-q", "-v", "ON_ERROR_STOP=1", "-c", statement],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _reset_postgres() -> None:
    _drop_postgres()
    _psql(f"CREATE DATABASE {targets.PG_DATABASE}")


def _drop_postgres() -> None:
    _psql(f"DROP DATABASE IF EXISTS {targets.PG_DATABASE} WITH (FORCE)")


def _clear_redis_prefix() -> None:
    """A fresh replay store for the next instance: only the bench's own keys, in its DB."""
    client = redis.Redis.from_url(targets.REDIS_URL)
    try:
        batch = []
        for key in client.scan_iter(match=targets.CACHE_PREFIX + "*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
    finally:
        client.close()


def _code_state() -> tuple[str, str]:
    """(label, key): the commit measured and the src/ files that differed from it; the key
    changes only when src/ does (read-only git)."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(targets.ROOT), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return done.stdout.rstrip("\n")  # keep the leading blank of " M path"

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    tree = git("rev-parse", "--short", "HEAD:src").strip()
    status = git("status", "--porcelain", "--", "src")
    changed = [line[3:] for line in status.splitlines()]
    if not changed:
        return f"commit {commit}, src/ clean", f"{tree}"
    label = f"commit {commit} with uncommitted changes to {', '.join(changed)}"
    digest = hashlib.sha256(git("diff", "HEAD", "--", "src").encode()).hexdigest()[:12]
    return label, f"{tree}+{digest}+{status}"


def _code_label(start: tuple[str, str], end: tuple[str, str]) -> str:
    if start[1] == end[1]:
        return end[0]
    return f"SRC/ CHANGED DURING THE RUN: {start[0]} at the start, {end[0]} at the end"


def _machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = Path("/proc/meminfo").read_text().split()[1]
    return (
        f"{platform.node()}: {os.cpu_count()} x {model}, {int(memory) // 1024 // 1024} GiB, "
        f"Linux {platform.release()}"
    )


def _wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).split("[")[0].strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jwtbench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds measured per run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--only", default="", help="comma-separated targets (no RESULTS.md)")
    parser.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""))
    parser.add_argument("--results", default=str(targets.BENCH / "RESULTS.md"))
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the PostgreSQL database, the data directories and the keys",
    )
    parser.add_argument(
        "--jwtgate-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a JWTGATE_* setting for every jwtgate server (repeatable; RESULTS.md untouched)",
    )
    parser.add_argument(
        "--experiments",
        action="store_true",
        help="also measure proposed changes (bench/experiments.py) on SQLite + memory",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile jwtgate (SQLite + memory, one round) with py-spy; see bench/README.md",
    )
    parser.add_argument("--profile-rate", type=int, default=100, help="py-spy samples/s")
    parser.add_argument(
        "--soak", type=int, default=0, help="RSS over this many requests (see soak.py)"
    )
    parser.add_argument("--soak-scenario", default="check", choices=("check", "authn-jwt"))
    args = parser.parse_args(argv)
    args.command_line = os.environ.get("BENCH_COMMAND") or " ".join(
        ["python -m jwtbench", *(argv if argv is not None else sys.argv[1:])]
    )
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {1})  # the orchestrator stays off the server's core
    if args.profile:
        args.only = args.only or "jwtgate"
        args.rounds = 1
    for item in args.jwtgate_env:
        name, equals, value = item.partition("=")
        if not equals or not name.startswith("JWTGATE_"):
            parser.error(f"--jwtgate-env {item!r}: expected JWTGATE_NAME=VALUE")
        targets.EXTRA_JWTGATE_ENV[name] = value
    if args.soak:
        args.only = args.only or "jwtgate"
    bench = Bench(args)
    if args.soak:
        try:
            outcome = soak.run(bench, args.soak, args.soak_scenario)
            text = soak.render(outcome, bench.metadata(final=True))
        finally:
            bench.close()
        (bench.work / "soak.md").write_text(text)
        print(text, flush=True)
        print(f"bench: soak results in {bench.work / 'soak.md'}", flush=True)
        return 0 if outcome.errors == 0 else 1
    try:
        bench.run()
        bench.write_report(final=True)
    finally:
        bench.close()
    print(report.render_console(bench.records), flush=True)
    if args.profile:
        summary = profile.summarise_all(bench.work / "runs")
        (bench.work / "profile.md").write_text(summary)
        print(summary, flush=True)
        print(f"bench: profile summary in {bench.work / 'profile.md'}", flush=True)
    print(f"bench: results in {bench.work / 'results.md'}", flush=True)
    return 0 if all(record.valid for record in bench.records) else 1


if __name__ == "__main__":
    raise SystemExit(main())
