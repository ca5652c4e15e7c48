"""Pools of distinct, pre-minted request items, minted in parallel on both cores.

A :class:`Pool` is an append-only list of items of one kind (a form body with a fresh
assertion, or an authn-jwt body with a fresh IdP token). Every server instance starts
with an empty replay store (a new process, or a Redis prefix the bench has just
cleared), so each instance reads the pool from the start: jwtgate, Authlib and
node-oidc-provider get the *same* assertions, and no instance ever sees one twice.
When a run needs more items than were minted, more are minted first.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from jwtbench import keys

KINDS = ("jwt-bearer", "client-credentials", "authn-jwt")
CHUNK = 2000

_state: dict[str, Any] = {}


def _load_rsa(path: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _init(client_pem: str, idp_pem: str, audience: str, idp_issuer: str, idp_aud: str) -> None:
    # The orchestrator is pinned to the load core; minting happens while the server core
    # idles between runs, so the workers may use both.
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    _state.update(
        client=_load_rsa(client_pem),
        idp=_load_rsa(idp_pem),
        audience=audience,
        idp_issuer=idp_issuer,
        idp_aud=idp_aud,
    )


def _mint_chunk(kind: str, count: int) -> list[str]:
    now = keys.now()
    if kind == "authn-jwt":
        return [
            keys.authn_body(
                keys.idp_token(_state["idp"], _state["idp_issuer"], _state["idp_aud"], now)
            )
            for _ in range(count)
        ]
    body = keys.jwt_bearer_body if kind == "jwt-bearer" else keys.client_credentials_body
    return [
        body(keys.client_assertion(_state["client"], _state["audience"], now)) for _ in range(count)
    ]


class Minter:
    """Worker processes that mint items; one per core."""

    def __init__(
        self,
        files: dict[str, Path],
        *,
        audience: str,
        idp_issuer: str,
        idp_audience: str,
    ) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=os.cpu_count() or 1,
            mp_context=get_context("spawn"),
            initializer=_init,
            initargs=(
                str(files["client_pem"]),
                str(files["idp_pem"]),
                audience,
                idp_issuer,
                idp_audience,
            ),
        )
        self.minted = 0

    def mint(self, kind: str, count: int) -> list[str]:
        sizes = [CHUNK] * (count // CHUNK) + ([count % CHUNK] if count % CHUNK else [])
        items: list[str] = []
        for chunk in self._executor.map(_mint_chunk, [kind] * len(sizes), sizes):
            items.extend(chunk)
        self.minted += len(items)
        return items

    def close(self) -> None:
        self._executor.shutdown(cancel_futures=True)


class Pool:
    """Distinct items of one kind; :meth:`restart` for each new server instance."""

    def __init__(self, kind: str, minter: Minter) -> None:
        assert kind in KINDS
        self.kind = kind
        self._minter = minter
        self.items: list[str] = []
        self.cursor = 0

    def restart(self) -> None:
        """A new server instance with an empty replay store: start from the first item."""
        self.cursor = 0

    def ensure(self, count: int) -> list[str]:
        """At least ``count`` items minted; returns all of them."""
        missing = count - len(self.items)
        if missing > 0:
            self.items.extend(self._minter.mint(self.kind, max(missing, CHUNK)))
        return self.items

    def write_next(self, count: int, path: Path) -> None:
        """Write the next ``count`` unused items to ``path`` (minting more if needed)."""
        self.ensure(self.cursor + count)
        path.write_text("\n".join(self.items[self.cursor : self.cursor + count]) + "\n")

    def consumed(self, span: int) -> None:
        """The first ``span`` items of the last file written may have been sent (answered
        or not): they are never sent again to this instance."""
        self.cursor += span
