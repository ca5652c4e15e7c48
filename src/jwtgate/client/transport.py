"""Sending the SDK's own requests: TLS options, timeouts, and the sans-I/O drivers.

Token requests are written once, as generators that yield an ``httpx.Request`` and
receive its ``httpx.Response`` (the Werkzeug ``sansio`` idea, and the shape of httpx's
own auth flows); :func:`run` drives one with a blocking client, :func:`arun` with an
async one. A client is opened per token request: refreshes are rare (once per token
lifetime), and a client bound to no event loop can be shared by threads and loops alike.
"""

from __future__ import annotations

import ssl
from collections.abc import Generator
from typing import Any, TypeVar

import httpx

from jwtgate import __version__
from jwtgate.client.errors import JwtAuthConfigError

__all__ = ["USER_AGENT", "Flow", "TlsOptions", "arun", "client_options", "run"]

T = TypeVar("T")
Flow = Generator[httpx.Request, httpx.Response, T]
USER_AGENT = f"jwtgate-client/{__version__}"


class TlsOptions:
    """Verification and client certificate for the SDK's own connections.

    ``verify=False`` turns verification off; ``ca_file`` replaces the default trust store
    (certifi, or ``SSL_CERT_FILE`` as httpx reads it); ``cert_file`` (with ``key_file``,
    or one PEM holding both) presents a client certificate (mutual TLS, RFC 8705).
    Building the context reads the files, so a bad path fails at configuration time.
    """

    def __init__(
        self,
        *,
        verify: bool = True,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
    ) -> None:
        self.verify = verify
        self.ca_file = ca_file
        self.cert_file = cert_file
        self.key_file = key_file
        self._context = self._build() if (ca_file or cert_file) else None

    def _build(self) -> ssl.SSLContext:
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
        except OSError as error:  # ssl.SSLError is an OSError too
            raise JwtAuthConfigError("ca_file", f"cannot be loaded ({_reason(error)})") from error
        if self.cert_file:
            try:
                context.load_cert_chain(self.cert_file, self.key_file)
            except OSError as error:
                raise JwtAuthConfigError(
                    "client_cert_file", f"cannot be loaded ({_reason(error)})"
                ) from error
        return context

    def httpx_verify(self) -> ssl.SSLContext | bool:
        return self._context if self._context is not None else self.verify


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def client_options(tls: TlsOptions, timeout_seconds: float) -> dict[str, Any]:
    """httpx client arguments; requests carry their own ``User-Agent`` (see the flows)."""
    return {
        "verify": tls.httpx_verify(),
        "timeout": timeout_seconds,
    }


def run(flow: Flow[T], options: dict[str, Any]) -> T:
    """Drive ``flow`` with a blocking httpx client; no client is opened if it sends nothing."""
    try:
        request = next(flow)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]  # StopIteration.value is Any
    with httpx.Client(**options) as client:
        while True:
            response = client.send(request)
            try:
                request = flow.send(response)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]


async def arun(flow: Flow[T], options: dict[str, Any]) -> T:
    """Drive ``flow`` with an async httpx client (the same flow :func:`run` drives)."""
    try:
        request = next(flow)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    async with httpx.AsyncClient(**options) as client:
        while True:
            response = await client.send(request)
            try:
                request = flow.send(response)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
