"""The claim rules of SPEC §2.1 (and §2.3 for assertions), one ``check_<rule>`` each.

Each check is pure: it reads the token and the rules, gets ``now`` passed in, returns
a short description of what it found, or raises :class:`~jwtgate.errors.AuthError`.
Times are compared as RFC 7519 NumericDates (seconds; :mod:`.parse` guarantees they
are finite JSON numbers), with ``Rules.leeway_seconds`` of tolerance each way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.jose.rules import Rules, invalid

__all__ = [
    "check_aud",
    "check_exp",
    "check_iat",
    "check_iss",
    "check_lifetime",
    "check_nbf",
    "check_type",
]


def _media_type(value: str) -> str:
    """RFC 7515 §4.1.9: ``application/`` may be omitted; media types are case-insensitive."""
    lowered = value.lower()
    return lowered.removeprefix("application/")


def check_type(header: Mapping[str, Any], expected: str) -> str:
    """Explicit typing (RFC 8725 §3.11, RFC 9068 §4): with ``Rules.token_type`` set, the
    header ``typ`` is required and must name that type, else ``wrong_type`` — a token
    minted for another purpose is not accepted in its place (Authlib's RFC 9068
    validator lets a missing ``typ`` through; DESIGN "Known traps")."""
    found = header.get("typ")
    if not isinstance(found, str) or _media_type(found) != _media_type(expected):
        raise invalid(
            Reason.WRONG_TYPE,
            f"the token's typ is not {expected}",
            f"typ {found!a}, expected {expected!a}",
        )
    return f"typ {found} is {expected}"


def check_exp(claims: Mapping[str, Any], rules: Rules, now: float) -> str:
    """RFC 7519 §4.1.4: refused from ``exp`` (+ leeway) on → ``token_expired``. ``exp``
    is mandatory by default (SPEC §2.1, RFC 7523 §3): absent → ``missing_claim``."""
    if "exp" not in claims:
        if rules.require_exp:
            raise invalid(Reason.MISSING_CLAIM, "the token has no exp claim", "exp absent")
        return "no exp, none required"
    exp = claims["exp"]
    if now >= exp + rules.leeway_seconds:
        raise AuthError(
            ErrorCode.TOKEN_EXPIRED,
            "the token has expired",
            detail=f"exp {exp} is {now - exp:.0f} s before now (leeway {rules.leeway_seconds} s)",
        )
    return f"exp {exp} is {exp - now:.0f} s ahead"


def check_nbf(claims: Mapping[str, Any], rules: Rules, now: float) -> str:
    """RFC 7519 §4.1.5: before ``nbf`` (- leeway) → ``not_yet_valid``; optional."""
    if "nbf" not in claims:
        return "no nbf"
    nbf = claims["nbf"]
    if nbf > now + rules.leeway_seconds:
        raise invalid(
            Reason.NOT_YET_VALID,
            "the token is not valid yet (nbf)",
            f"nbf {nbf} is {nbf - now:.0f} s ahead (leeway {rules.leeway_seconds} s)",
        )
    return f"nbf {nbf} has passed"


def check_iat(claims: Mapping[str, Any], rules: Rules, now: float) -> str:
    """SPEC §2.1: an ``iat`` in the future (beyond leeway) is ``not_yet_valid``; optional."""
    if "iat" not in claims:
        return "no iat"
    iat = claims["iat"]
    if iat > now + rules.leeway_seconds:
        raise invalid(
            Reason.NOT_YET_VALID,
            "the token claims to be issued in the future (iat)",
            f"iat {iat} is {iat - now:.0f} s ahead (leeway {rules.leeway_seconds} s)",
        )
    return f"iat {iat} is not in the future"


def check_lifetime(claims: Mapping[str, Any], limit: int, leeway: int, now: float) -> str:
    """SPEC §2.3 (RFC 7523 §3 items 4-6): with ``Rules.max_lifetime_seconds`` (``limit``),
    ``exp`` is at most ``limit`` + leeway after now and, with ``iat``, ``exp - iat`` at
    most ``limit`` — an assertion cannot be made long-lived. Refused as
    ``claim_mismatch``; needs ``exp`` (the ``exp`` check runs first)."""
    exp = claims["exp"]
    if exp > now + limit + leeway:
        raise invalid(
            Reason.CLAIM_MISMATCH,
            f"the token's exp is more than {limit} s ahead",
            f"exp {exp} is {exp - now:.0f} s ahead; at most {limit} s (+ leeway) allowed",
        )
    iat = claims.get("iat")
    if iat is not None and exp - iat > limit:
        raise invalid(
            Reason.CLAIM_MISMATCH,
            f"the token's lifetime (exp - iat) exceeds {limit} s",
            f"exp - iat = {exp - iat:.0f} s; at most {limit} s allowed",
        )
    return f"lifetime within {limit} s"


def check_iss(claims: Mapping[str, Any], expected: str) -> str:
    """SPEC §2.1: ``iss`` must equal the issuer (RFC 7519 §4.1.1, case-sensitive string
    comparison): absent → ``missing_claim``, other → ``wrong_issuer``."""
    if "iss" not in claims:
        raise invalid(Reason.MISSING_CLAIM, "the token has no iss claim", "iss absent")
    found = claims["iss"]
    if not isinstance(found, str) or found != expected:
        raise invalid(
            Reason.WRONG_ISSUER,
            "the token's issuer is not the expected one",
            f"iss {found!a}, expected {expected!a}",
        )
    return f"iss is {expected}"


def check_aud(claims: Mapping[str, Any], rules: Rules) -> str:
    """SPEC §2.1 (RFC 7519 §4.1.3): ``aud``, a string or an array of strings, must
    contain one of ``Rules.audience``: absent → ``missing_claim``, else
    ``wrong_audience``."""
    if "aud" not in claims:
        raise invalid(Reason.MISSING_CLAIM, "the token has no aud claim", "aud absent")
    found = claims["aud"]
    values = [found] if isinstance(found, str) else found if isinstance(found, list) else []
    match = next(
        (value for value in values if isinstance(value, str) and value in rules.audience), None
    )
    if match is None:
        raise invalid(
            Reason.WRONG_AUDIENCE,
            "the token is not meant for this audience",
            f"aud {found!a}, expected one of {list(rules.audience)!a}",
        )
    return f"aud contains {match}"
