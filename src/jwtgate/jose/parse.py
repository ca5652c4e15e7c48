"""Token structure: the first check of SPEC §2.1, and the only place that raises
``token_malformed``.

A compact JWS (RFC 7515 §7.1) is three base64url parts. What is accepted, and why:

- ``=`` padding on any part is stripped: Conjur's tokens carry it (SPEC §2.1), and the
  signature covers the unpadded parts, so the padded and unpadded forms are one token.
- Otherwise the encoding must be canonical base64url (RFC 7515 §2, RFC 4648 §3.5: no
  stray trailing bits), so a token has exactly one unpadded spelling,
  :attr:`ParsedToken.compact` — a replay record keyed by its hash cannot be dodged by
  re-encoding the signature.
- Header and payload are UTF-8 JSON objects without duplicate member names (RFC 7515
  §5.2 step 4, RFC 7519 §4, SPEC §2.1; PyJWT silently keeps the last one — DESIGN
  "Known traps"), without NaN/Infinity or numbers that overflow a float, and without
  lone surrogates (not Unicode text, RFC 8259 §8.2).
- ``alg`` is required and a string; ``kid``, when present, a string (SPEC §2.1).
- ``crit`` is refused whenever present: jwtgate understands no extension, and RFC 7515
  §4.1.11 requires rejecting a token whose critical extensions are not understood.
  ``b64: false`` (RFC 7797, unencoded payload) is refused likewise.
- The time claims ``exp``, ``nbf`` and ``iat`` must be JSON numbers when present
  (RFC 7519 §4.1.4-6 NumericDate, SPEC §2.1: a string ``exp`` is ``token_malformed``;
  PyJWT would accept it — DESIGN "Known traps").
- More than 64 KiB is refused before anything is decoded (SPEC §2.5).

Header fields that name keys (``jku``, ``jwk``, ``x5u``, ``x5c``) are kept in
:attr:`ParsedToken.header` as data but never used (RFC 8725 §3.10, SPEC §2.1).
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jwtgate.errors import AuthError, ErrorCode

__all__ = ["MAX_TOKEN_LENGTH", "STRUCTURE_CHECK", "TIME_CLAIMS", "ParsedToken", "parse_token"]

MAX_TOKEN_LENGTH = 64 * 1024
STRUCTURE_CHECK = "structure"
"""The check name carried by every error :func:`parse_token` raises."""
TIME_CLAIMS = ("exp", "nbf", "iat")
UNDERSTOOD_CRITICAL: frozenset[str] = frozenset()
"""Extension header names jwtgate understands (RFC 7515 §4.1.11): none."""

_PART = re.compile(r"[A-Za-z0-9_-]*={0,2}")


@dataclass(frozen=True)
class ParsedToken:
    """A structurally valid compact JWS; nothing in it is verified yet.

    ``signing_input`` is ``header.payload`` as received with any padding removed — the
    bytes the signature covers (RFC 7515 §5.2 step 8); ``signature`` the raw signature.
    """

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    signing_input: bytes
    signature: bytes
    algorithm: str
    key_id: str | None

    @property
    def compact(self) -> str:
        """The one canonical (unpadded) compact form: hash this, not the raw input."""
        signature = base64.urlsafe_b64encode(self.signature).rstrip(b"=")
        return (self.signing_input + b"." + signature).decode("ascii")


def _malformed(description: str, detail: str | None = None) -> AuthError:
    return AuthError(ErrorCode.TOKEN_MALFORMED, description, detail=detail, check=STRUCTURE_CHECK)


def _unpadded(part: str, what: str) -> str:
    if not _PART.fullmatch(part):
        raise _malformed(f"the {what} is not base64url")
    bare = part.rstrip("=")
    if len(bare) % 4 == 1:
        raise _malformed(f"the {what} is not base64url", f"{what}: impossible length")
    return bare


def _decode(bare: str, what: str) -> bytes:
    # _unpadded admitted only the base64url alphabet and a possible length: this decodes.
    data = base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    if base64.urlsafe_b64encode(data).rstrip(b"=") != bare.encode("ascii"):
        raise _malformed(f"the {what} is not base64url", f"{what}: non-canonical encoding")
    return data


class _DuplicateMember(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for name, value in pairs:
        if name in members:
            raise _DuplicateMember(f"duplicate member name {name!a}")
        members[name] = value
    return members


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number {text[:20]!a} overflows")
    return number


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _is_unicode(value: object) -> bool:
    """False when a string anywhere (keys included) holds a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except UnicodeDecodeError as error:
        raise _malformed(f"the {what} is not UTF-8") from error
    except (ValueError, RecursionError) as error:
        raise _malformed(f"the {what} is not a JSON object", f"{what}: {error}") from error
    if not isinstance(value, dict):
        raise _malformed(f"the {what} is not a JSON object")
    if not _is_unicode(value):
        raise _malformed(f"the {what} is not a JSON object", f"{what}: lone surrogate")
    return value


def _check_header(header: Mapping[str, Any]) -> tuple[str, str | None]:
    algorithm = header.get("alg")
    if not isinstance(algorithm, str):
        raise _malformed("the header has no alg string", f"alg={algorithm!a}")
    key_id = header.get("kid")
    if "kid" in header and not isinstance(key_id, str):
        raise _malformed("the header kid is not a string", f"kid={key_id!a}")
    if "crit" in header:
        critical = header["crit"]
        understood = (
            isinstance(critical, list)
            and critical
            and all(
                isinstance(name, str) and name in UNDERSTOOD_CRITICAL and name in header
                for name in critical
            )
        )
        if not understood:
            raise _malformed(
                "the header lists a critical extension jwtgate does not understand",
                f"crit={critical!a}",
            )
    if "b64" in header and header["b64"] is not True:
        raise _malformed("unencoded payloads (b64) are not accepted", f"b64={header['b64']!a}")
    return algorithm, key_id


def _check_time_claims(claims: Mapping[str, Any]) -> None:
    for name in TIME_CLAIMS:
        if name not in claims:
            continue
        value = claims[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _malformed(f"the {name} claim is not a number", f"{name}={value!a}")
        try:
            float(value)
        except OverflowError as error:
            raise _malformed(f"the {name} claim is out of range") from error


def parse_token(token: str) -> ParsedToken:
    """Check the structure of a compact JWS (SPEC §2.1 first check) and split it.

    Raises :class:`AuthError` ``token_malformed`` with ``check="structure"``; never
    anything else, whatever the input.
    """
    if len(token) > MAX_TOKEN_LENGTH:
        raise _malformed("the token is longer than 64 KiB", f"length {len(token)}")
    parts = token.split(".")
    if len(parts) != 3:
        raise _malformed("the token is not three base64url parts", f"{len(parts)} parts")
    header_b64, payload_b64, signature_b64 = (
        _unpadded(part, what)
        for part, what in zip(parts, ("header", "payload", "signature"), strict=True)
    )
    header = _json_object(_decode(header_b64, "header"), "header")
    algorithm, key_id = _check_header(header)
    claims = _json_object(_decode(payload_b64, "payload"), "payload")
    _check_time_claims(claims)
    return ParsedToken(
        header=header,
        claims=claims,
        signing_input=f"{header_b64}.{payload_b64}".encode("ascii"),
        signature=_decode(signature_b64, "signature"),
        algorithm=algorithm,
        key_id=key_id,
    )
