"""Server processes: start pinned to CPUs, wait until they answer, stop, measure RSS.

Each server runs in its own session (process group) so that stopping it stops its
workers too. The pid of every live group is listed in ``PIDS_FILE``, so that
``bench/run.sh``'s exit trap can stop them even if this process is killed outright.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

PIDS_FILE_ENV = "BENCH_PIDS_FILE"
STOP_TIMEOUT = 15.0


def _pids_file() -> Path | None:
    value = os.environ.get(PIDS_FILE_ENV)
    return Path(value) if value else None


def _remember(pids: set[int]) -> None:
    path = _pids_file()
    if path is not None:
        path.write_text("".join(f"{pid}\n" for pid in sorted(pids)))


_LIVE: set[int] = set()


class Server:
    """One server under test (or a peer), pinned with ``taskset -c CPUS``."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        cpus: str,
        env: Mapping[str, str] | None = None,
        log: Path,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.command = ["taskset", "-c", cpus, *command]
        self.env = {**os.environ, **(env or {})}
        self.log = log
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, ready_url: str, *, timeout: float = 60.0) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        _LIVE.add(self.process.pid)
        _remember(_LIVE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}; see {self.log}"
                )
            try:
                answer = httpx.get(ready_url, timeout=2)
            except httpx.HTTPError:
                time.sleep(0.1)
                continue
            if answer.status_code < 500:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {ready_url} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        # Workers outlive a supervisor that died first: sweep the group once more.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        _LIVE.discard(process.pid)
        _remember(_LIVE)

    def worker_rss_kib(self) -> dict[int, int]:
        """RSS of each process of the server that serves requests (the leaves of its
        process tree: uvicorn's or gunicorn's workers, or the single process)."""
        if self.process is None:
            return {}
        tree = _descendants(self.process.pid)
        leaves = [pid for pid in tree if not _children(pid) and not _helper(pid)]
        return {pid: rss for pid in leaves or [self.process.pid] if (rss := _rss_kib(pid))}


def _helper(pid: int) -> bool:
    """multiprocessing's resource tracker (a leaf of ``--workers 2``) serves nothing."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return b"resource_tracker" in command or b"semaphore_tracker" in command


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found.extend(int(p) for p in (task / "children").read_text().split())
    return found


def _descendants(pid: int) -> list[int]:
    result = [pid]
    queue = [pid]
    while queue:
        for child in _children(queue.pop()):
            result.append(child)
            queue.append(child)
    return result


def _rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def stop_all(servers: Sequence[Server]) -> None:
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()


def trim_log(path: Path, keep: int = 100) -> None:
    """Server logs hold a line per request: keep every other line (start-up, warnings,
    errors) and only the first and last ``keep`` request lines."""
    if not path.exists() or path.stat().st_size < 1_000_000:
        return
    marker = b'"message": "request"'
    with path.open("rb") as log:
        total = sum(1 for line in log if marker in line)
    kept = bytearray()
    seen = 0
    with path.open("rb") as log:
        for line in log:
            if marker in line:
                seen += 1
                if keep < seen <= total - keep:
                    if seen == keep + 1:
                        kept += b"[... request lines trimmed by the bench ...]\n"
                    continue
            kept += line
    path.write_bytes(bytes(kept))
