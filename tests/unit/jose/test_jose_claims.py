"""Claim rules (jose/claims.py), one check at a time, with ``now`` passed in."""

from __future__ import annotations

from typing import Any

import pytest

from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.jose import Rules
from jwtgate.jose.claims import (
    check_aud,
    check_exp,
    check_iat,
    check_iss,
    check_lifetime,
    check_nbf,
    check_type,
)

NOW = 1_000_000.0
RULES = Rules(algorithms=frozenset({"RS256"}), audience=("a", "b"))
LEEWAY = Rules(algorithms=frozenset({"RS256"}), leeway_seconds=30)


def _refused(call: Any, *args: Any) -> AuthError:
    with pytest.raises(AuthError) as caught:
        call(*args)
    return caught.value


# -- exp (RFC 7519 §4.1.4) ---------------------------------------------------------
def test_exp_in_the_future_passes() -> None:
    assert "ahead" in check_exp({"exp": NOW + 1}, RULES, NOW)


@pytest.mark.parametrize("exp", [NOW, NOW - 1, 0, -(10**18)])
def test_exp_reached_is_token_expired(exp: float) -> None:
    error = _refused(check_exp, {"exp": exp}, RULES, NOW)
    assert (error.code, error.reason) == (ErrorCode.TOKEN_EXPIRED, None)


def test_exp_leeway() -> None:
    check_exp({"exp": NOW - 29}, LEEWAY, NOW)
    assert _refused(check_exp, {"exp": NOW - 30}, LEEWAY, NOW).code is ErrorCode.TOKEN_EXPIRED


def test_exp_absent_is_missing_claim_unless_not_required() -> None:
    error = _refused(check_exp, {}, RULES, NOW)
    assert (error.code, error.reason) == (ErrorCode.TOKEN_INVALID, Reason.MISSING_CLAIM)
    optional = Rules(algorithms=frozenset({"RS256"}), require_exp=False)
    assert check_exp({}, optional, NOW) == "no exp, none required"


# -- nbf, iat (RFC 7519 §4.1.5-6, SPEC §2.1) ---------------------------------------
@pytest.mark.parametrize(("check", "name"), [(check_nbf, "nbf"), (check_iat, "iat")])
def test_future_nbf_and_iat_are_not_yet_valid(check: Any, name: str) -> None:
    check({name: NOW}, RULES, NOW)
    check({}, RULES, NOW)
    check({name: NOW + 30}, LEEWAY, NOW)
    for rules, value in [(RULES, NOW + 1), (LEEWAY, NOW + 31)]:
        error = _refused(check, {name: value}, rules, NOW)
        assert (error.code, error.reason) == (ErrorCode.TOKEN_INVALID, Reason.NOT_YET_VALID)
        assert name in error.description


# -- lifetime (SPEC §2.3, RFC 7523 §3) ---------------------------------------------
def test_lifetime_bounds_exp_from_now() -> None:
    assert check_lifetime({"exp": NOW + 300}, 300, 0, NOW) == "lifetime within 300 s"
    check_lifetime({"exp": NOW + 315}, 300, 15, NOW)
    error = _refused(check_lifetime, {"exp": NOW + 316}, 300, 15, NOW)
    assert (error.code, error.reason) == (ErrorCode.TOKEN_INVALID, Reason.CLAIM_MISMATCH)


def test_lifetime_bounds_exp_minus_iat() -> None:
    check_lifetime({"exp": NOW + 100, "iat": NOW - 200}, 300, 0, NOW)
    error = _refused(check_lifetime, {"exp": NOW + 100, "iat": NOW - 201}, 300, 0, NOW)
    assert error.reason is Reason.CLAIM_MISMATCH
    assert "exp - iat" in error.description


# -- iss ---------------------------------------------------------------------------
def test_iss() -> None:
    assert check_iss({"iss": "https://i"}, "https://i") == "iss is https://i"
    assert _refused(check_iss, {}, "https://i").reason is Reason.MISSING_CLAIM
    for other in ["https://i/", "HTTPS://I", None, ["https://i"], 1]:
        assert _refused(check_iss, {"iss": other}, "https://i").reason is Reason.WRONG_ISSUER


# -- aud ---------------------------------------------------------------------------
@pytest.mark.parametrize("aud", ["a", ["x", "b"], ["b"], [1, "a"]])
def test_aud_contains_one_of_the_audiences(aud: Any) -> None:
    assert check_aud({"aud": aud}, RULES).startswith("aud contains")


@pytest.mark.parametrize("aud", ["c", [], ["A"], [["a"]], {"a": 1}, None, 1, True])
def test_aud_without_a_match_is_wrong_audience(aud: Any) -> None:
    error = _refused(check_aud, {"aud": aud}, RULES)
    assert (error.code, error.reason) == (ErrorCode.TOKEN_INVALID, Reason.WRONG_AUDIENCE)


def test_aud_absent_is_missing_claim() -> None:
    assert _refused(check_aud, {}, RULES).reason is Reason.MISSING_CLAIM


# -- typ (RFC 8725 §3.11) ----------------------------------------------------------
@pytest.mark.parametrize("typ", ["at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"])
def test_typ_matches_case_insensitively_with_optional_application_prefix(typ: str) -> None:
    check_type({"typ": typ}, "at+jwt")
    check_type({"typ": "at+jwt"}, "application/at+jwt")


@pytest.mark.parametrize(
    "header", [{}, {"typ": "JWT"}, {"typ": None}, {"typ": ["at+jwt"]}, {"typ": "text/at+jwt"}]
)
def test_other_typ_is_wrong_type(header: dict[str, Any]) -> None:
    error = _refused(check_type, header, "at+jwt")
    assert (error.code, error.reason) == (ErrorCode.TOKEN_INVALID, Reason.WRONG_TYPE)


# -- Rules themselves --------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"audience": "api"}, TypeError),
        ({"leeway_seconds": -1}, ValueError),
        ({"max_lifetime_seconds": 0}, ValueError),
        ({"max_lifetime_seconds": 60, "require_exp": False}, ValueError),
    ],
)
def test_contradictory_rules_are_refused(options: dict[str, Any], problem: type[Exception]) -> None:
    with pytest.raises(problem):
        Rules(algorithms=frozenset({"RS256"}), **options)
