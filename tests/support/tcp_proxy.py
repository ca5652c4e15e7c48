"""A TCP proxy the test controls, to cut and restore a dependency (PostgreSQL, Redis, an IdP).

Tests never stop the machine's shared servers: they point jwtgate at this proxy and
``cut()`` it — every open connection is closed and new ones are refused — then
``restore()`` it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from types import TracebackType


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target``; ``with`` starts and stops it."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.connections = 0
        self._cut = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()

    def url_for(self, url: str, default_port: int) -> str:
        """``url`` with its host and port replaced by this proxy's."""
        host_port = f"{self.target[0]}:{self.target[1]}"
        if host_port in url:
            return url.replace(host_port, f"127.0.0.1:{self.port}")
        return url.replace(self.target[0], f"127.0.0.1:{self.port}", 1)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._handle, sock=sock)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.connections += 1
        self._writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    def _call(self, action: str) -> None:
        assert self._loop is not None

        async def run() -> None:
            if action == "cut":
                self._cut = True
                for writer in list(self._writers):
                    writer.transport.abort()
                self._writers.clear()
            else:
                self._cut = False

        asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=5)

    def cut(self) -> None:
        """Close every connection through the proxy and refuse new ones."""
        self._call("cut")

    def restore(self) -> None:
        self._call("restore")

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("the TCP proxy did not start")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        assert self._loop is not None
        self._call("cut")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


def wait_until(check: object, limit: float, step: float = 0.05) -> float:
    """Seconds until ``check()`` is true; AssertionError after ``limit`` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if check():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(step)
    raise AssertionError(f"not within {limit} s")
