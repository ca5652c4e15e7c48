"""Serve any ASGI app on 127.0.0.1 in a thread, over HTTP or HTTPS (trustme CA), for the
client SDK's real-HTTP tests."""

from __future__ import annotations

import socket
import ssl
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme
import uvicorn


class Loopback:
    """``with Loopback(app) as server:`` serves ``app`` at ``server.url``.

    With ``ca``, HTTPS with a certificate for 127.0.0.1 from that CA; with
    ``require_client_cert`` too, only clients presenting a certificate of that CA.
    """

    def __init__(
        self, app: Any, *, ca: trustme.CA | None = None, require_client_cert: bool = False
    ) -> None:
        self.app = app
        self.ca = ca
        self.require_client_cert = require_client_cert
        self._stack = ExitStack()
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self.url = f"{'https' if ca else 'http'}://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def _tls_options(self) -> dict[str, Any]:
        if self.ca is None:
            return {}
        folder = Path(self._stack.enter_context(tempfile.TemporaryDirectory()))
        issued = self.ca.issue_cert("127.0.0.1", "localhost")
        issued.private_key_pem.write_to_path(str(folder / "key.pem"))
        (folder / "cert.pem").write_bytes(b"".join(b.bytes() for b in issued.cert_chain_pems))
        options: dict[str, Any] = {
            "ssl_keyfile": str(folder / "key.pem"),
            "ssl_certfile": str(folder / "cert.pem"),
        }
        if self.require_client_cert:
            self.ca.cert_pem.write_to_path(str(folder / "ca.pem"))
            options |= {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": str(folder / "ca.pem")}
        return options

    def __enter__(self) -> Loopback:
        config = uvicorn.Config(
            self.app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            **self._tls_options(),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the loopback server did not start")
            time.sleep(0.005)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._server.force_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
        self._stack.close()
