"""jwtgate's own tokens: the verified-token cache never outlives expiry, revocation or keys."""

from __future__ import annotations

import time
from typing import Any

import pytest

from jwtgate import own_tokens
from jwtgate.access_tokens import mint_access_token
from jwtgate.cache import MemoryCache, RevocationList
from jwtgate.crypto import MasterKey
from jwtgate.errors import AuthError
from jwtgate.own_tokens import OwnTokenVerifier
from jwtgate.signer import KeyRing, plan_initial

URL = "http://127.0.0.1:8080"


def ring() -> KeyRing:
    master = MasterKey.generate()
    records = plan_initial("ES256", master, time.time())
    return KeyRing.build(records, master, retired_retention_seconds=600, now=time.time())


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts full validations (parse, signature, claims) behind the cache."""
    calls: list[int] = []
    real = own_tokens.validate

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return await real(*args, **kwargs)

    monkeypatch.setattr(own_tokens, "validate", counting)
    return calls


def issue(keys: KeyRing, now: float, ttl: int = 60) -> str:
    return mint_access_token(
        keys,
        issuer=URL,
        subject="host/a",
        audience=URL,
        ttl_seconds=ttl,
        account="acct",
        authn="authn-jwt/x",
        now=now,
    ).token


async def test_second_use_skips_the_signature(validations: list[int]) -> None:
    keys, now = ring(), time.time()
    verifier = OwnTokenVerifier(URL, RevocationList(MemoryCache()))
    token = issue(keys, now)
    first = await verifier.verify(token, keys, now=now)
    second = await verifier.verify(token, keys, now=now + 1)
    assert first.claims == second.claims
    assert len(validations) == 1


async def test_expiry_is_checked_on_every_use(validations: list[int]) -> None:
    keys, now = ring(), time.time()
    verifier = OwnTokenVerifier(URL, RevocationList(MemoryCache()))
    token = issue(keys, now, ttl=5)
    await verifier.verify(token, keys, now=now)
    with pytest.raises(AuthError) as expired:
        await verifier.verify(token, keys, now=now + 6)
    assert expired.value.code == "token_expired"


async def test_revocation_is_checked_on_every_use() -> None:
    keys, now = ring(), time.time()
    revocations = RevocationList(MemoryCache())
    verifier = OwnTokenVerifier(URL, revocations)
    token = issue(keys, now)
    verified = await verifier.verify(token, keys, now=now)
    await revocations.revoke(verified.claims["jti"], verified.claims["exp"])
    with pytest.raises(AuthError) as revoked:
        await verifier.verify(token, keys, now=now)
    assert revoked.value.reason == "revoked"


async def test_a_new_key_ring_empties_the_cache(validations: list[int]) -> None:
    keys, now = ring(), time.time()
    verifier = OwnTokenVerifier(URL, RevocationList(MemoryCache()))
    token = issue(keys, now)
    await verifier.verify(token, keys, now=now)
    with pytest.raises(AuthError) as unknown:
        await verifier.verify(token, ring(), now=now)  # keys that never signed it
    assert unknown.value.reason == "unknown_key"
    assert len(validations) == 2


async def test_audience_is_part_of_the_key() -> None:
    keys, now = ring(), time.time()
    verifier = OwnTokenVerifier(URL, RevocationList(MemoryCache()))
    token = issue(keys, now)
    await verifier.verify(token, keys, now=now)
    with pytest.raises(AuthError) as wrong:
        await verifier.verify(token, keys, now=now, audience=["https://api.example"])
    assert wrong.value.reason == "wrong_audience"
