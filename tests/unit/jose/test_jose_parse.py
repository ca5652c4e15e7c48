"""Token structure (jose/parse.py): SPEC §2.1 first check, token_malformed only."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jwtgate.errors import AuthError, ErrorCode
from jwtgate.jose import MAX_TOKEN_LENGTH, STRUCTURE_CHECK, parse_token
from tests.unit.jose.jose_helpers import RING, b64, claims, pad, raw_token

HEADER = {"alg": "RS256", "kid": "rsa"}
PAYLOAD = {"sub": "alice", "exp": 1}


def test_a_compact_jws_splits_into_its_parts() -> None:
    token = RING.mint(claims(), kid="rsa")
    parsed = parse_token(token)
    header, payload, signature = token.split(".")
    assert parsed.algorithm == "RS256"
    assert parsed.key_id == "rsa"
    assert parsed.header["typ"] == "JWT"
    assert parsed.claims["sub"] == "alice"
    assert parsed.signing_input == f"{header}.{payload}".encode()
    assert b64(parsed.signature) == signature
    assert parsed.compact == token


def test_padded_conjur_form_is_the_same_token() -> None:
    token = RING.mint(claims(), kid="rsa")
    padded = pad(token)
    assert padded != token and "=" in padded
    assert parse_token(padded) == parse_token(token)
    assert parse_token(padded).compact == token


def test_kid_is_optional() -> None:
    assert parse_token(raw_token({"alg": "ES256"}, PAYLOAD)).key_id is None


def test_key_url_headers_are_kept_as_data_only() -> None:
    parsed = parse_token(raw_token({**HEADER, "jku": "https://evil/jwks"}, PAYLOAD))
    assert parsed.header["jku"] == "https://evil/jwks"


def _dup(document: str) -> bytes:
    return document.encode()


MALFORMED = [
    ("empty", ""),
    ("one part", b64(json.dumps(HEADER))),
    ("two parts", "a.b"),
    ("four parts", "a.b.c.d"),
    ("too long", "a" * (MAX_TOKEN_LENGTH + 1)),
    ("non-ascii", raw_token(HEADER, PAYLOAD) + "é"),
    ("standard base64 alphabet", raw_token(HEADER, PAYLOAD)[:-2] + "+/"),
    ("whitespace", " " + raw_token(HEADER, PAYLOAD)),
    ("impossible length", "abcde." + raw_token(HEADER, PAYLOAD).split(".", 1)[1]),
    ("three padding chars", raw_token(HEADER, PAYLOAD).replace(".", "===.", 1)),
    ("padding inside", "ab=c." + raw_token(HEADER, PAYLOAD).split(".", 1)[1]),
    ("non-canonical base64", raw_token(HEADER, PAYLOAD, b"\x00")[:-1] + "B"),
    ("header not utf-8", raw_token(b"\xff\xfe", PAYLOAD)),
    ("payload not utf-8", raw_token(HEADER, b'{"sub": "\xc3"}')),
    ("header utf-8 bom", raw_token(b"\xef\xbb\xbf" + json.dumps(HEADER).encode(), PAYLOAD)),
    ("header not json", raw_token(b"{alg: RS256}", PAYLOAD)),
    ("header empty", raw_token(b"", PAYLOAD)),
    ("header array", raw_token(["RS256"], PAYLOAD)),
    ("payload string", raw_token(HEADER, "sub")),
    ("payload null", raw_token(HEADER, None)),
    ("payload nested too deep", raw_token(HEADER, b"[" * 20000 + b"]" * 20000)),
    ("duplicate header member", raw_token(_dup('{"alg":"RS256","alg":"none"}'), PAYLOAD)),
    ("duplicate claim", raw_token(HEADER, _dup('{"sub":"a","sub":"b"}'))),
    ("duplicate nested member", raw_token(HEADER, _dup('{"x":{"a":1,"a":2}}'))),
    ("alg absent", raw_token({"kid": "rsa"}, PAYLOAD)),
    ("alg number", raw_token({"alg": 256}, PAYLOAD)),
    ("alg null", raw_token({"alg": None}, PAYLOAD)),
    ("kid number", raw_token({"alg": "RS256", "kid": 7}, PAYLOAD)),
    ("kid null", raw_token({"alg": "RS256", "kid": None}, PAYLOAD)),
    ("kid list", raw_token({"alg": "RS256", "kid": ["rsa"]}, PAYLOAD)),
    ("crit unknown", raw_token({**HEADER, "crit": ["exp"], "exp": 1}, PAYLOAD)),
    ("crit b64", raw_token({**HEADER, "crit": ["b64"], "b64": True}, PAYLOAD)),
    ("crit empty", raw_token({**HEADER, "crit": []}, PAYLOAD)),
    ("crit not a list", raw_token({**HEADER, "crit": "exp"}, PAYLOAD)),
    ("crit unhashable", raw_token({**HEADER, "crit": [["x"]]}, PAYLOAD)),
    ("b64 false", raw_token({**HEADER, "b64": False}, PAYLOAD)),
    ("b64 string", raw_token({**HEADER, "b64": "false"}, PAYLOAD)),
    ("exp string", raw_token(HEADER, {"exp": "1700000000"})),
    ("exp bool", raw_token(HEADER, {"exp": True})),
    ("exp null", raw_token(HEADER, {"exp": None})),
    ("exp list", raw_token(HEADER, {"exp": [1]})),
    ("nbf object", raw_token(HEADER, {"nbf": {}})),
    ("iat string", raw_token(HEADER, {"iat": "now"})),
    ("exp NaN", raw_token(HEADER, b'{"exp": NaN}')),
    ("exp Infinity", raw_token(HEADER, b'{"exp": Infinity}')),
    ("exp -Infinity", raw_token(HEADER, b'{"exp": -Infinity}')),
    ("exp float overflow", raw_token(HEADER, b'{"exp": 1e400}')),
    ("exp int overflow", raw_token(HEADER, b'{"exp": 1' + b"0" * 400 + b"}")),
    ("int too long to parse", raw_token(HEADER, b'{"x": 1' + b"0" * 5000 + b"}")),
    ("any float overflow", raw_token(HEADER, b'{"x": [1e999]}')),
    ("lone surrogate claim", raw_token(HEADER, b'{"sub": "\\ud800"}')),
    ("lone surrogate name", raw_token(HEADER, b'{"\\udc00": 1}')),
    ("lone surrogate header", raw_token(b'{"alg": "RS256", "typ": ["\\udfff"]}', PAYLOAD)),
]


@pytest.mark.parametrize(
    ("token",), [(token,) for _, token in MALFORMED], ids=[n for n, _ in MALFORMED]
)
def test_malformed_tokens_are_token_malformed(token: str) -> None:
    with pytest.raises(AuthError) as caught:
        parse_token(token)
    assert caught.value.code is ErrorCode.TOKEN_MALFORMED
    assert caught.value.reason is None
    assert caught.value.check == STRUCTURE_CHECK
    assert caught.value.description.isascii()


def test_surrogate_pairs_are_fine() -> None:
    parsed = parse_token(raw_token(HEADER, b'{"sub": "\\ud83d\\ude00"}'))
    assert parsed.claims["sub"] == "\U0001f600"


def test_time_claims_may_be_floats_and_large_integers() -> None:
    parsed = parse_token(raw_token(HEADER, {"exp": 1.5, "nbf": 10**18, "iat": -1}))
    assert parsed.claims == {"exp": 1.5, "nbf": 10**18, "iat": -1}


def test_b64_true_is_harmless() -> None:
    assert parse_token(raw_token({**HEADER, "b64": True}, PAYLOAD)).algorithm == "RS256"


def test_exactly_64_kib_is_still_parsed() -> None:
    body = raw_token(HEADER, {"pad": ""})
    filler = MAX_TOKEN_LENGTH - len(body)
    token = raw_token(HEADER, {"pad": "x" * (filler * 3 // 4 - 8)})
    assert len(token) <= MAX_TOKEN_LENGTH
    assert parse_token(token).claims["pad"].startswith("x")


@given(st.text(max_size=300))
def test_arbitrary_text_is_parsed_or_malformed(text: str) -> None:
    try:
        parse_token(text)
    except AuthError as error:
        assert error.code is ErrorCode.TOKEN_MALFORMED


@given(st.lists(st.binary(max_size=120), min_size=1, max_size=5), st.booleans())
def test_near_jwts_of_random_bytes_are_parsed_or_malformed(
    parts: list[bytes], padded: bool
) -> None:
    token = ".".join(b64(part) for part in parts)
    try:
        parse_token(pad(token) if padded else token)
    except AuthError as error:
        assert error.code is ErrorCode.TOKEN_MALFORMED
