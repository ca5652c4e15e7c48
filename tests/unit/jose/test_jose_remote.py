"""Remote key sources (jose/keys/remote.py, discovery.py) against a real loopback IdP:
cache TTL, cooldown, single flight, stale-if-error and the limits of SPEC §2.1, §2.5."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import trustme

from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.jose import (
    KeysUnavailable,
    RemoteKeySource,
    Rules,
    jwks_uri_source,
    parse_token,
    provider_source,
    validate,
)
from tests.support.idp import LoopbackIdP

T0 = 1_700_000_000.0
RULES = Rules(algorithms=frozenset({"RS256", "ES256", "EdDSA"}))


class Clock:
    """The source's clock, moved by hand: TTL and cooldown tests never sleep."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def running_idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["RS256"]) as running:
        yield running


@pytest.fixture
def idp(running_idp: LoopbackIdP) -> LoopbackIdP:
    running_idp.reset()
    return running_idp


@pytest.fixture
async def source(idp: LoopbackIdP, clock: Clock) -> AsyncIterator[RemoteKeySource]:
    keys = jwks_uri_source(idp.jwks_uri, clock=clock)
    yield keys
    await keys.aclose()


def token(idp: LoopbackIdP, **options: Any) -> str:
    return idp.mint({"iss": idp.issuer, "sub": "alice", "exp": T0 + 86400 * 3}, **options)


async def verify(tok: str, keys: RemoteKeySource, rules: Rules = RULES) -> dict[str, Any]:
    return dict((await validate(parse_token(tok), rules, keys, now=T0)).claims)


async def refused(tok: str, keys: RemoteKeySource, rules: Rules = RULES) -> AuthError:
    with pytest.raises(AuthError) as caught:
        await verify(tok, keys, rules)
    return caught.value


# -- caching ---------------------------------------------------------------------
async def test_keys_are_fetched_once_and_cached(idp: LoopbackIdP, source: RemoteKeySource) -> None:
    for _ in range(10):
        await verify(token(idp), source)
    assert source.fetch_count == 1
    assert idp.jwks_requests == 1


@pytest.mark.parametrize(
    ("cache_control", "ttl"),
    [
        ("max-age=120", 120),
        ("max-age=5", 60),
        (None, 300),
        ("no-store", 60),
        ("max-age=999999", 86400),
    ],
)
async def test_cache_honours_max_age_clamped(
    idp: LoopbackIdP, source: RemoteKeySource, clock: Clock, cache_control: str | None, ttl: float
) -> None:
    idp.cache_control = cache_control
    await source.key_set()
    clock.advance(ttl - 1)
    await source.key_set()
    await source.settled()
    assert idp.jwks_requests == 1
    clock.advance(2)
    await source.key_set()  # answered from the cache; the refetch runs in the background
    await source.settled()
    assert idp.jwks_requests == 2


async def test_expired_keys_are_answered_at_once_while_refetching(
    idp: LoopbackIdP, source: RemoteKeySource, clock: Clock
) -> None:
    await source.key_set()
    idp.mode, idp.hang_seconds = "hang", 3
    clock.advance(301)
    started = time.monotonic()
    await verify(token(idp), source)
    assert time.monotonic() - started < 1
    assert source.fetch_count == 2


# -- unknown kid: one refetch, then cooldown -------------------------------------
async def test_junk_kids_cost_at_most_one_fetch_per_cooldown(
    idp: LoopbackIdP, source: RemoteKeySource, clock: Clock
) -> None:
    await verify(token(idp), source)
    for n in range(100):
        error = await refused(token(idp, headers={"kid": f"junk-{n}"}), source)
        assert error.reason is Reason.UNKNOWN_KEY
    assert source.fetch_count == 1  # still within 10 s of the first fetch
    clock.advance(10)
    for n in range(100):
        await refused(token(idp, headers={"kid": f"junk-{n}"}), source)
    assert source.fetch_count == 2
    assert idp.jwks_requests == 2


async def test_rotation_new_kid_is_accepted_without_restart(
    idp: LoopbackIdP, source: RemoteKeySource, clock: Clock
) -> None:
    await verify(token(idp), source)
    idp.keys.rotate("ES256")
    fresh = token(idp)
    clock.advance(3)
    assert (await refused(fresh, source)).reason is Reason.UNKNOWN_KEY  # in cooldown
    clock.advance(7)
    assert (await verify(fresh, source))["sub"] == "alice"
    assert source.fetch_count == 2


async def test_a_key_replaced_under_the_same_kid_is_refetched_after_bad_signature(
    idp: LoopbackIdP, source: RemoteKeySource, clock: Clock
) -> None:
    kid = idp.keys.newest().kid
    await verify(token(idp), source)
    idp.keys.remove(kid)
    idp.keys.add("RS256", kid=kid)
    clock.advance(10)
    assert (await verify(token(idp), source))["sub"] == "alice"
    assert source.fetch_count == 2


# -- outages ---------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["down", "close", "garbage", "oversized", "oversized-stream"])
async def test_cached_keys_keep_working_when_the_idp_fails(
    idp: LoopbackIdP, source: RemoteKeySource, clock: Clock, mode: str
) -> None:
    await verify(token(idp), source)
    idp.mode = mode
    clock.advance(301)
    await verify(token(idp), source)
    await source.settled()
    assert source.failed_fetch_count == 1
    clock.advance(24 * 3600 - 2)
    await verify(token(idp), source)  # stale, but within 24 h past expiry
    await source.settled()
    clock.advance(10)
    assert (await refused(token(idp), source)).code is ErrorCode.TOKEN_UNPROCESSABLE


@pytest.mark.parametrize("mode", ["down", "close", "garbage", "oversized", "oversized-stream"])
async def test_cold_cache_and_failing_idp_is_unprocessable(
    idp: LoopbackIdP, source: RemoteKeySource, clock: Clock, mode: str
) -> None:
    idp.mode = mode
    started = time.monotonic()
    error = await refused(token(idp), source)
    assert (error.code, error.reason, error.check) == (ErrorCode.TOKEN_UNPROCESSABLE, None, "keys")
    assert time.monotonic() - started < 2
    assert source.fetch_count == 1


async def test_after_a_failed_fetch_the_next_waits_ten_seconds(
    idp: LoopbackIdP, source: RemoteKeySource, clock: Clock
) -> None:
    idp.mode = "down"
    for _ in range(5):
        with pytest.raises(KeysUnavailable):
            await source.key_set()
    assert idp.jwks_requests == 1
    idp.mode = "ok"
    clock.advance(9.9)
    with pytest.raises(KeysUnavailable):
        await source.key_set()
    clock.advance(0.1)
    assert len(await source.key_set()) == 1
    assert idp.jwks_requests == 2


async def test_a_hanging_idp_is_unprocessable_within_six_seconds(
    idp: LoopbackIdP, source: RemoteKeySource
) -> None:
    idp.mode, idp.hang_seconds = "hang", 10
    started = time.monotonic()
    error = await refused(token(idp), source)
    elapsed = time.monotonic() - started
    assert error.code is ErrorCode.TOKEN_UNPROCESSABLE
    assert 4.5 < elapsed <= 6


async def test_fifty_concurrent_validations_with_a_cold_cache_fetch_once(
    idp: LoopbackIdP, source: RemoteKeySource
) -> None:
    tokens = [token(idp) for _ in range(50)]
    results = await asyncio.gather(*(verify(tok, source) for tok in tokens))
    assert len(results) == 50
    assert source.fetch_count == 1
    assert idp.jwks_requests == 1


async def test_a_caller_that_goes_away_does_not_cancel_the_shared_fetch(
    idp: LoopbackIdP, source: RemoteKeySource
) -> None:
    idp.mode, idp.hang_seconds = "hang", 0.3
    first = asyncio.create_task(source.key_set())
    second = asyncio.create_task(source.key_set())
    await asyncio.sleep(0.05)
    first.cancel()
    assert len(await second) == 1
    assert source.fetch_count == 1


async def test_aclose_cancels_a_fetch_in_flight(idp: LoopbackIdP, clock: Clock) -> None:
    idp.mode = "hang"
    keys = jwks_uri_source(idp.jwks_uri, clock=clock)
    waiting = asyncio.create_task(keys.key_set())
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await keys.aclose()
    assert time.monotonic() - started < 1
    with pytest.raises(asyncio.CancelledError):
        await waiting


# -- response shapes (through the transport hook) --------------------------------
@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(404, json={"keys": []}),
        httpx.Response(302, headers={"Location": "http://evil.example/jwks"}),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json={"keys": {}}),
        httpx.Response(200, json={"keys": []}),
        httpx.Response(200, json={"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}),
        httpx.Response(200, content=b'{"keys": [' * 5000),
        httpx.Response(200, content=b"\xff\xfe"),
    ],
    ids=["404", "redirect", "array", "keys object", "no keys", "no usable key", "deep", "binary"],
)
async def test_a_response_that_is_not_a_usable_jwks_is_unavailable(
    response: httpx.Response,
) -> None:
    requested: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return response

    keys = jwks_uri_source("https://idp.example/jwks", transport=httpx.MockTransport(answer))
    with pytest.raises(KeysUnavailable):
        await keys.key_set()
    assert requested == ["https://idp.example/jwks"]  # redirects are not followed
    await keys.aclose()


# -- URL rules and TLS -----------------------------------------------------------
@pytest.mark.parametrize("factory", [jwks_uri_source, provider_source])
def test_http_to_a_non_loopback_host_is_refused_at_construction(factory: Any) -> None:
    with pytest.raises(ValueError, match="loopback"):
        factory("http://idp.example/jwks")
    with pytest.raises(ValueError):
        factory("ftp://idp.example/")


@pytest.mark.parametrize("factory", [jwks_uri_source, provider_source])
async def test_http_anywhere_with_allow_insecure_http(factory: Any) -> None:
    keys = factory("http://idp.example/", allow_insecure_http=True)
    await keys.aclose()


@pytest.fixture(scope="module")
def tls_idp() -> Iterator[LoopbackIdP]:
    with LoopbackIdP(["ES256"], tls=True) as running:
        yield running


async def test_https_with_the_ca_cert_works(tls_idp: LoopbackIdP) -> None:
    keys = jwks_uri_source(tls_idp.jwks_uri, ca_cert=tls_idp.ca_pem)
    assert len(await keys.key_set()) == 1
    await keys.aclose()


async def test_https_without_the_ca_cert_fails(tls_idp: LoopbackIdP) -> None:
    keys = jwks_uri_source(tls_idp.jwks_uri)
    with pytest.raises(KeysUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        await keys.key_set()
    await keys.aclose()


async def test_ca_cert_replaces_the_system_trust_store(
    tls_idp: LoopbackIdP, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "system.pem"
    bundle.write_text(tls_idp.ca_pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))  # the IdP's CA is now "system" trusted
    system = jwks_uri_source(tls_idp.jwks_uri)
    assert len(await system.key_set()) == 1
    other_ca = trustme.CA().cert_pem.bytes().decode()
    replaced = jwks_uri_source(tls_idp.jwks_uri, ca_cert=other_ca)
    with pytest.raises(KeysUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        await replaced.key_set()
    await system.aclose()
    await replaced.aclose()


# -- OpenID Connect discovery ----------------------------------------------------
async def test_discovery_supplies_issuer_and_keys(idp: LoopbackIdP, clock: Clock) -> None:
    keys = provider_source(idp.url, clock=clock)
    assert keys.issuer is None
    assert (await verify(token(idp), keys))["sub"] == "alice"
    assert keys.issuer == idp.issuer
    bad = idp.mint({"iss": "https://elsewhere", "exp": T0 + 60})
    error = await refused(bad, keys)
    assert (error.reason, error.check) == (Reason.WRONG_ISSUER, "iss")
    assert idp.requests["/.well-known/openid-configuration"] == 1
    assert idp.jwks_requests == 1
    await keys.aclose()


async def test_configured_issuer_wins_over_discovery(idp: LoopbackIdP, clock: Clock) -> None:
    keys = provider_source(idp.url + "/", clock=clock)
    rules = Rules(algorithms=frozenset({"RS256"}), issuer="https://configured")
    assert (await refused(token(idp), keys, rules)).reason is Reason.WRONG_ISSUER
    await keys.aclose()


async def test_rediscovery_after_a_failed_jwks_fetch(idp: LoopbackIdP, clock: Clock) -> None:
    keys = provider_source(idp.url, clock=clock)
    await keys.key_set()
    idp.mode = "down"
    clock.advance(301)
    await keys.key_set()
    await keys.settled()
    idp.mode = "ok"
    clock.advance(10)
    await keys.refresh("test")
    # discovered once, kept while the JWK Set fetch worked, discovered again after it failed
    assert idp.requests["/.well-known/openid-configuration"] == 2
    assert idp.jwks_requests == 3
    await keys.aclose()


@pytest.mark.parametrize(
    "override",
    [
        {"issuer": "https://other.example"},
        {"issuer": None},
        {"jwks_uri": None},
        {"jwks_uri": "http://idp.example/jwks"},
        {"jwks_uri": 7},
        {"jwks_uri": "https://xn--a.example/jwks"},
        {"jwks_uri": "https://[::1/jwks"},
    ],
    ids=[
        "other issuer",
        "no issuer",
        "no jwks_uri",
        "insecure jwks_uri",
        "jwks_uri number",
        "jwks_uri bad idna",
        "jwks_uri invalid",
    ],
)
async def test_a_bad_discovery_document_is_unavailable(
    idp: LoopbackIdP, clock: Clock, override: dict[str, Any]
) -> None:
    idp.discovery = override
    keys = provider_source(idp.url, clock=clock)
    error = await refused(token(idp), keys)
    assert error.code is ErrorCode.TOKEN_UNPROCESSABLE
    assert idp.jwks_requests == 0
    await keys.aclose()


async def test_a_discovery_document_that_is_not_an_object(clock: Clock) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=["x"]))
    keys = provider_source("https://idp.example", clock=clock, transport=transport)
    with pytest.raises(KeysUnavailable, match="not a JSON object"):
        await keys.key_set()
    await keys.aclose()
