"""RFC 6749 §3.1/§3.2 request bodies: :mod:`jwtgate.oauth.form`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jwtgate.oauth import OAuthError, form_fields, parse_pairs, response_format


def test_pairs_are_percent_decoded_in_order() -> None:
    pairs = parse_pairs(b"grant_type=urn%3Aietf%3Aparams&scope=a+b&x=")
    assert pairs == [("grant_type", "urn:ietf:params"), ("scope", "a b"), ("x", "")]


@pytest.mark.parametrize("body", [b"\xff=1", b"a=%FF%FE", b"&".join([b"a=1"] * 101)])
def test_undecodable_or_huge_bodies_are_invalid_request(body: bytes) -> None:
    with pytest.raises(OAuthError) as refused:
        parse_pairs(body)
    assert refused.value.error == "invalid_request"
    assert refused.value.status == 400


def test_a_repeated_parameter_is_refused_even_with_one_value() -> None:
    with pytest.raises(OAuthError) as refused:
        form_fields([("scope", "a"), ("scope", "a")])
    assert refused.value.description.startswith("invalid_request: the parameter 'scope'")


def test_an_empty_parameter_is_omitted() -> None:
    assert dict(form_fields([("scope", ""), ("grant_type", "x")])) == {"grant_type": "x"}


def test_a_repeated_empty_parameter_is_still_repeated() -> None:
    with pytest.raises(OAuthError):
        form_fields([("scope", ""), ("scope", "")])


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], "json"),
        ([("format", "")], "json"),
        ([("format", "xml")], "xml"),
        ([("format", "urlencoded")], "urlencoded"),
    ],
)
def test_response_format(pairs: list[tuple[str, str]], expected: str) -> None:
    assert response_format(pairs) == expected


@pytest.mark.parametrize("pairs", [[("format", "XML")], [("format", "json"), ("format", "json")]])
def test_bad_response_format(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(OAuthError) as refused:
        response_format(pairs)
    assert refused.value.error == "invalid_request"


@given(st.binary(max_size=400))
def test_any_body_parses_or_is_invalid_request(body: bytes) -> None:
    try:
        fields = form_fields(parse_pairs(body))
        response_format(list(fields.items()))
    except OAuthError as error:
        assert error.error == "invalid_request"
        assert error.description.isascii()
