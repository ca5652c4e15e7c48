"""The engine (jose/engine.py): every reason it owns, in SPEC §2.1 order, and explain()."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import pytest

import jwtgate.jose
from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.jose import (
    CHECK_NAMES,
    KeySource,
    Rules,
    explain,
    parse_token,
    static_source,
    validate,
)
from tests.support.idp import KeyRing
from tests.unit.jose.jose_helpers import (
    NOW,
    RING,
    ROGUE,
    RULES,
    check,
    claims,
    pad,
    refusal,
    source,
)


@dataclass(frozen=True)
class Case:
    """A token that fails exactly one rule, and what the engine must say."""

    token: Callable[[], str]
    code: ErrorCode
    reason: Reason | None
    check: str
    rules: Rules = RULES
    keys: Callable[[], KeySource] = source


def _two_rsa_keys() -> KeySource:
    ring = KeyRing()
    ring.add("RS256", kid="one", private=RING.keys["rsa"].private)
    ring.add("RS256", kid="two")
    return static_source(ring.jwks())


def _tampered() -> str:
    header, _, signature = RING.mint(claims(), kid="rsa").split(".")
    other = RING.mint(claims(sub="mallory"), kid="rsa").split(".")[1]
    return f"{header}.{other}.{signature}"


CASES = {
    "disallowed_algorithm": Case(
        lambda: RING.mint(claims(), kid="rsa"),
        ErrorCode.TOKEN_INVALID,
        Reason.DISALLOWED_ALGORITHM,
        "algorithm",
        rules=dataclasses.replace(RULES, algorithms=frozenset({"ES256"})),
    ),
    "token_unprocessable": Case(
        lambda: RING.mint(claims(), kid="rsa"),
        ErrorCode.TOKEN_UNPROCESSABLE,
        None,
        "keys",
        keys=lambda: static_source({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}),
    ),
    "unknown_key (kid)": Case(
        lambda: RING.mint(claims(), kid="rsa", headers={"kid": "gone"}),
        ErrorCode.TOKEN_INVALID,
        Reason.UNKNOWN_KEY,
        "key",
    ),
    "unknown_key (no kid, two keys)": Case(
        lambda: RING.mint(claims(), kid="rsa", headers={"kid": None}),
        ErrorCode.TOKEN_INVALID,
        Reason.UNKNOWN_KEY,
        "key",
        keys=_two_rsa_keys,
    ),
    "bad_signature (other key)": Case(
        lambda: ROGUE.mint(claims(), kid="rsa"),
        ErrorCode.TOKEN_INVALID,
        Reason.BAD_SIGNATURE,
        "signature",
    ),
    "bad_signature (tampered)": Case(
        _tampered, ErrorCode.TOKEN_INVALID, Reason.BAD_SIGNATURE, "signature"
    ),
    "wrong_type": Case(
        lambda: RING.mint(claims(), kid="rsa"),
        ErrorCode.TOKEN_INVALID,
        Reason.WRONG_TYPE,
        "type",
        rules=dataclasses.replace(RULES, token_type="at+jwt"),
    ),
    "token_expired": Case(
        lambda: RING.mint(claims(exp=NOW - 1), kid="rsa"), ErrorCode.TOKEN_EXPIRED, None, "exp"
    ),
    "missing_claim (exp)": Case(
        lambda: RING.mint(claims(exp=None), kid="rsa"),
        ErrorCode.TOKEN_INVALID,
        Reason.MISSING_CLAIM,
        "exp",
    ),
    "not_yet_valid (nbf)": Case(
        lambda: RING.mint(claims(nbf=NOW + 60), kid="rsa"),
        ErrorCode.TOKEN_INVALID,
        Reason.NOT_YET_VALID,
        "nbf",
    ),
    "not_yet_valid (iat)": Case(
        lambda: RING.mint(claims(iat=NOW + 60), kid="rsa"),
        ErrorCode.TOKEN_INVALID,
        Reason.NOT_YET_VALID,
        "iat",
    ),
    "claim_mismatch (lifetime)": Case(
        lambda: RING.mint(claims(exp=NOW + 3600), kid="rsa"),
        ErrorCode.TOKEN_INVALID,
        Reason.CLAIM_MISMATCH,
        "lifetime",
        rules=dataclasses.replace(RULES, max_lifetime_seconds=300),
    ),
    "missing_claim (iss)": Case(
        lambda: RING.mint(claims(iss=None), kid="rsa"),
        ErrorCode.TOKEN_INVALID,
        Reason.MISSING_CLAIM,
        "iss",
    ),
    "wrong_issuer": Case(
        lambda: RING.mint(claims(iss="https://other.example"), kid="rsa"),
        ErrorCode.TOKEN_INVALID,
        Reason.WRONG_ISSUER,
        "iss",
    ),
    "missing_claim (aud)": Case(
        lambda: RING.mint(claims(aud=None), kid="rsa"),
        ErrorCode.TOKEN_INVALID,
        Reason.MISSING_CLAIM,
        "aud",
    ),
    "wrong_audience": Case(
        lambda: RING.mint(claims(aud=["other"]), kid="rsa"),
        ErrorCode.TOKEN_INVALID,
        Reason.WRONG_AUDIENCE,
        "aud",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_validate_reports_the_failing_check(case: Case) -> None:
    error = await refusal(case.token(), case.rules, case.keys())
    assert (error.code, error.reason, error.check) == (case.code, case.reason, case.check)
    assert error.description.isascii()


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_explain_first_failure_is_what_validate_raises(case: Case) -> None:
    parsed = parse_token(case.token())
    results = await explain(parsed, case.rules, case.keys(), now=NOW)
    assert [result.name for result in results] == list(CHECK_NAMES)
    failures = [result for result in results if result.passed is False]
    first = failures[0]
    with pytest.raises(AuthError) as caught:
        await validate(parsed, case.rules, case.keys(), now=NOW)
    assert (first.name, first.code, first.reason) == (
        caught.value.check,
        caught.value.code,
        caught.value.reason,
    )
    before = results[: results.index(first)]
    assert all(result.passed is not False for result in before)


def test_check_order_is_spec_order() -> None:
    assert CHECK_NAMES == (
        "algorithm",
        "keys",
        "key",
        "signature",
        "type",
        "exp",
        "nbf",
        "iat",
        "lifetime",
        "iss",
        "aud",
    )


async def test_a_valid_token_is_verified() -> None:
    token = RING.mint(claims(), kid="p256")
    verified = await check(token)
    assert verified.algorithm == "ES256"
    assert verified.key_id == "p256"
    assert verified.claims["sub"] == "alice"
    assert verified.header["kid"] == "p256"


@pytest.mark.parametrize("kid", ["rsa", "p256", "p384", "p521", "ed"])
async def test_each_key_type_verifies(kid: str) -> None:
    assert (await check(RING.mint(claims(), kid=kid))).key_id == kid


@pytest.mark.parametrize("alg", ["RS384", "RS512", "PS256", "PS384", "PS512"])
async def test_an_rsa_key_without_alg_serves_every_rsa_algorithm(alg: str) -> None:
    assert (await check(RING.mint(claims(), kid="rsa", alg=alg))).algorithm == alg


async def test_a_key_restricted_by_alg_serves_only_that_algorithm() -> None:
    ring = KeyRing()
    ring.add("RS256", kid="rs", private=RING.keys["rsa"].private)  # publishes alg RS256
    keys = static_source(ring.jwks())
    await check(ring.mint(claims(), kid="rs"), keys=keys)
    error = await refusal(ring.mint(claims(), kid="rs", alg="PS256"), keys=keys)
    assert error.reason is Reason.UNKNOWN_KEY


async def test_a_token_without_kid_uses_the_one_usable_key() -> None:
    verified = await check(RING.mint(claims(), kid="p384", headers={"kid": None}))
    assert verified.key_id == "p384"  # the key that verified it


@pytest.mark.parametrize(
    ("token_alg", "allowed", "key_alg"),
    [("EdDSA", "Ed25519", None), ("Ed25519", "EdDSA", "EdDSA"), ("Ed25519", "Ed25519", "Ed25519")],
)
async def test_eddsa_and_ed25519_are_one_algorithm(
    token_alg: str, allowed: str, key_alg: str | None
) -> None:
    ring = KeyRing()
    ring.add(key_alg or "EdDSA", kid="e", publish_alg=key_alg is not None)
    rules = dataclasses.replace(RULES, algorithms=frozenset({allowed}))
    verified = await check(ring.mint(claims(), alg=token_alg), rules, static_source(ring.jwks()))
    assert verified.algorithm == token_alg


async def test_padded_and_unpadded_forms_both_validate() -> None:
    token = RING.mint(claims(), kid="ed")
    assert pad(token) != token
    assert (await check(pad(token))).claims == (await check(token)).claims


async def test_leeway_applies_to_every_time_claim() -> None:
    rules = dataclasses.replace(RULES, leeway_seconds=60)
    token = RING.mint(claims(exp=NOW - 59, nbf=NOW + 59, iat=NOW + 59), kid="rsa")
    await check(token, rules)
    assert (await refusal(token)).code is ErrorCode.TOKEN_EXPIRED


async def test_issuer_and_audience_are_optional_rules() -> None:
    rules = Rules(algorithms=frozenset({"RS256"}))
    await check(RING.mint(claims(iss=None, aud=None), kid="rsa"), rules)


async def test_explain_of_a_valid_token() -> None:
    parsed = parse_token(RING.mint(claims(), kid="rsa"))
    results = {r.name: r for r in await explain(parsed, RULES, source(), now=NOW)}
    assert {name for name, r in results.items() if r.passed is None} == {"type", "lifetime"}
    assert all(r.passed for name, r in results.items() if name not in {"type", "lifetime"})
    assert results["type"].message == "not required"
    assert results["signature"].message == "verifies with RSA key 'rsa'"


async def test_explain_keeps_checking_claims_after_a_bad_signature() -> None:
    token = ROGUE.mint(claims(exp=NOW - 5, aud="other"), kid="rsa")
    results = {r.name: r for r in await explain(parse_token(token), RULES, source(), now=NOW)}
    assert results["signature"].reason is Reason.BAD_SIGNATURE
    assert results["exp"].code is ErrorCode.TOKEN_EXPIRED
    assert results["aud"].reason is Reason.WRONG_AUDIENCE
    assert results["iss"].passed is True
    assert results["signature"].message == "alg 'RS256' with RSA key 'rsa'"


async def test_explain_skips_what_depends_on_a_failed_check() -> None:
    token = RING.mint(claims(exp=None), kid="rsa")
    rules = dataclasses.replace(RULES, algorithms=frozenset({"ES256"}), max_lifetime_seconds=60)
    results = {r.name: r for r in await explain(parse_token(token), rules, source(), now=NOW)}
    assert results["algorithm"].reason is Reason.DISALLOWED_ALGORITHM
    for name in ("keys", "key", "signature", "iss"):
        assert results[name].passed is None
        assert results[name].message.startswith("skipped:")
    assert results["exp"].reason is Reason.MISSING_CLAIM
    assert results["lifetime"].message == "skipped: exp did not pass"
    assert results["aud"].passed is True


def test_the_public_api_is_pinned() -> None:
    assert sorted(jwtgate.jose.__all__) == [
        "ALGORITHMS",
        "CHECK_NAMES",
        "CheckResult",
        "KeySet",
        "KeySource",
        "KeysUnavailable",
        "MAX_TOKEN_LENGTH",
        "ParsedToken",
        "RemoteKeySource",
        "Rules",
        "STRUCTURE_CHECK",
        "VerifiedToken",
        "explain",
        "jwks_uri_source",
        "parse_token",
        "provider_source",
        "static_source",
        "validate",
    ]
    for name in jwtgate.jose.__all__:
        assert getattr(jwtgate.jose, name) is not None
