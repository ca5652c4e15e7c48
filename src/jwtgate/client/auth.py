"""Presenting a cached token on every request, for httpx (sync and async) and requests.

SPEC §6 asks for a token that is cached, refreshed shortly before it expires, refreshed
once however many requests find it stale, and replaced once after a 401. The shape is
httpx's own (``httpx/_auth.py`` and its docs): one generator, :meth:`_flow`, decides what
happens to a request — attach the cached token; after a 401, ask for a token other than
the refused one and send the request once more — and two thin drivers run it,
:meth:`sync_auth_flow` under a thread lock and :meth:`async_auth_flow` under an asyncio
lock (one per event loop). Fetching a token is itself a sans-I/O flow (see
``transport``), so sync, async and requests share every decision.

Single flight: a request that finds the token stale takes the lock, looks again, and
refreshes only if the request before it did not. A 401 replaces the token only if it is
still the one that was refused — fifty requests refused together cause one refresh.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from jwtgate.client.config import JwtAuthConfig
from jwtgate.client.exchange import TokenResponse, exchange_flow
from jwtgate.client.mint import mint
from jwtgate.client.tokens import Token, unverified_times
from jwtgate.client.transport import Flow, arun, client_options, run

if TYPE_CHECKING:
    import requests

__all__ = ["JwtBearerAuth", "RefreshingAuth"]


@dataclass(frozen=True)
class _NeedToken:
    """A step of :meth:`RefreshingAuth._flow`: the driver answers with a usable token
    that is not ``refused``."""

    refused: Token | None


_Step = httpx.Request | _NeedToken
_Answer = httpx.Response | Token | None


class RefreshingAuth(httpx.Auth, ABC):
    """Caching, refresh and retry; subclasses say how a token is fetched."""

    def __init__(self) -> None:
        self._token: Token | None = None
        self._thread_lock = threading.Lock()
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
        self._loop_locks = weakref.WeakKeyDictionary()
        self._loop_locks_guard = threading.Lock()

    @abstractmethod
    def _refresh_flow(self, now: float) -> Flow[Token]:
        """Fetch a new token (sans I/O: yield requests, return the token)."""

    @abstractmethod
    def _client_options(self) -> dict[str, Any]:
        """Options of the httpx client that sends the refresh flow's requests."""

    def _flow(self, request: httpx.Request) -> Generator[_Step, _Answer, None]:
        token = yield _NeedToken(refused=None)
        assert isinstance(token, Token)
        request.headers["Authorization"] = token.authorization
        response = yield request
        assert isinstance(response, httpx.Response)
        if response.status_code == httpx.codes.UNAUTHORIZED:  # once, then the 401 stands
            token = yield _NeedToken(refused=token)
            assert isinstance(token, Token)
            request.headers["Authorization"] = token.authorization
            yield request

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.read()  # like httpx.DigestAuth: the retry after a 401 sends the body again
        flow = self._flow(request)
        answer: _Answer = None  # a generator is first sent None
        while True:
            try:
                step = flow.send(answer)
            except StopIteration:
                return
            if isinstance(step, _NeedToken):
                answer = self._sync_token(step.refused)
            else:
                answer = yield step

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()
        flow = self._flow(request)
        answer: _Answer = None  # a generator is first sent None
        while True:
            try:
                step = flow.send(answer)
            except StopIteration:
                return
            if isinstance(step, _NeedToken):
                answer = await self._async_token(step.refused)
            else:
                answer = yield step

    def _usable(self, refused: Token | None) -> Token | None:
        token = self._token
        if token is None or token is refused or token.needs_refresh(time.time()):
            return None
        return token

    def _sync_token(self, refused: Token | None) -> Token:
        if token := self._usable(refused):
            return token
        with self._thread_lock:
            if token := self._usable(refused):  # the thread before us refreshed it
                return token
            self._token = run(self._refresh_flow(time.time()), self._client_options())
            return self._token

    async def _async_token(self, refused: Token | None) -> Token:
        if token := self._usable(refused):
            return token
        async with self._loop_lock():
            if token := self._usable(refused):  # the task before us refreshed it
                return token
            self._token = await arun(self._refresh_flow(time.time()), self._client_options())
            return self._token

    def _loop_lock(self) -> asyncio.Lock:
        """An asyncio lock belongs to one event loop; an auth object may serve several."""
        loop = asyncio.get_running_loop()
        with self._loop_locks_guard:
            return self._loop_locks.setdefault(loop, asyncio.Lock())

    # -- requests: the ``auth=`` callable protocol, and a response hook for the 401 ----
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self._sync_token(None)
        request.headers["Authorization"] = token.authorization
        rewind = _rewinder(request.body)
        request.hooks["response"].append(functools.partial(self._retry_401, token, rewind))
        return request

    def _retry_401(
        self,
        token: Token,
        rewind: Callable[[], object] | None,
        response: requests.Response,
        **send: Any,
    ) -> requests.Response:
        """Send the request once more with a new token, as requests' own HTTPDigestAuth
        re-sends after its 401 (the retry's response runs no hooks, so no second retry)."""
        if response.status_code != httpx.codes.UNAUTHORIZED:
            return response
        fresh = self._sync_token(token)
        _ = response.content  # read the body so the connection can be reused
        response.close()
        retry = response.request.copy()  # shares the body object, so rewind() rewinds it
        if rewind is not None:
            rewind()
        retry.headers["Authorization"] = fresh.authorization
        again: requests.Response = response.connection.send(retry, **send)
        again.history.append(response)
        again.request = retry
        return again


def _rewinder(body: object) -> Callable[[], object] | None:
    """For a file body, a function that puts it back where it starts (requests streams
    files, so the retry would otherwise send nothing); None for other bodies."""
    tell, seek = getattr(body, "tell", None), getattr(body, "seek", None)
    if tell is None or seek is None:
        return None
    try:
        return functools.partial(seek, tell())
    except OSError:
        return None


class JwtBearerAuth(RefreshingAuth):
    """SPEC §6: ``Authorization: Bearer`` with the access token that ``config.token_url``
    gives for the minted JWT, or — without a ``token_url`` — with the JWT itself.

    Use it as ``httpx.Client(auth=…)``, ``httpx.AsyncClient(auth=…)`` or
    ``requests.get(…, auth=…)``; one object can serve many clients and threads.
    """

    def __init__(self, config: JwtAuthConfig) -> None:
        super().__init__()
        self.config = config

    def _refresh_flow(self, now: float) -> Flow[Token]:
        if self.config.token_url is None:
            issued = int(now)
            assertion = mint(self.config, now=issued)
            return Token(f"Bearer {assertion}", issued, issued + self.config.expiry_seconds)
        answer = yield from exchange_flow(self.config, now)
        return _bearer(answer, now)

    def _client_options(self) -> dict[str, Any]:
        return client_options(self.config.tls, self.config.timeout_seconds)


def _bearer(answer: TokenResponse, now: float) -> Token:
    """Expiry from ``expires_in`` (counted from before the request, to err early), else
    from the access token's own ``exp`` when it is a JWT, else unknown."""
    authorization = f"Bearer {answer.access_token}"
    if answer.expires_in is not None:
        return Token(authorization, now, now + answer.expires_in)
    if times := unverified_times(answer.access_token):
        return Token(authorization, *times)
    return Token(authorization, now, None)
