"""Real servers for tests: jwtgate in a thread (uvicorn on a free port) or a process."""

from __future__ import annotations

import asyncio
import io
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import uvicorn
import uvloop

from jwtgate.control import initialise
from jwtgate.server.app import create_app
from jwtgate.settings import Settings, load_settings
from jwtgate.store import Database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def initialised_settings(data_dir: Path, **overrides: Any) -> tuple[Settings, str]:
    """Settings for a fresh data directory after `jwtgate init`, and the admin credential."""
    port = overrides.pop("port", None) or free_port()
    settings = load_settings(data_dir=data_dir, port=port, **overrides)

    async def init() -> str | None:
        database = Database(settings.effective_database_url)
        try:
            return (await initialise(settings, database)).admin_credential
        finally:
            await database.close()

    credential = asyncio.run(init())
    assert credential is not None
    return settings, credential


class ServerThread:
    """uvicorn serving jwtgate in a background thread; ``with`` starts and stops it."""

    def __init__(self, settings: Settings, admin_credential: str) -> None:
        self.settings = settings
        self.admin_credential = admin_credential
        self.app = create_app(settings)
        config = uvicorn.Config(
            self.app, host=settings.host, port=settings.port, log_config=None, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=lambda: uvloop.run(self._serve()), daemon=True)
        self.url = f"http://{settings.host}:{settings.port}"

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.server.serve()

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("jwtgate did not start")
            time.sleep(0.02)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.thread.is_alive():
            raise RuntimeError(f"jwtgate did not stop; its tasks:\n{self._task_stacks()}")

    def _task_stacks(self) -> str:
        out = io.StringIO()
        for task in asyncio.all_tasks(self.loop) if self.loop else ():
            task.print_stack(limit=6, file=out)
        return out.getvalue()

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    def client(self, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **options)

    def admin(self) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {self.admin_credential}"})


class ServerProcess:
    """`jwtgate serve` as a separate process (for multi-process and CLI tests)."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [sys.executable, "-m", "jwtgate", "serve", "--port", str(self.port), *args]
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self.process = subprocess.Popen(
            self.args, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read().decode() if self.process.stdout else ""
                raise RuntimeError(f"jwtgate serve exited: {output}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("jwtgate serve did not answer /healthz within 30 s")

    def __exit__(self, *_: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        return self.process.stdout.read().decode()


def admin_credential_from(output: str) -> str:
    match = re.search(r"^admin credential: (\S+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)
