"""The reverse-proxy rules without I/O (SPEC §2.4): upstream URL and headers."""

from __future__ import annotations

import base64
import json

import pytest

from jwtgate.policy import CompiledRoute
from jwtgate.proxy_rules import DotSegment, request_headers, response_headers, upstream_url


def route(upstream: str = "http://up:9/", *, strip: bool = False) -> CompiledRoute:
    return CompiledRoute(
        account="a",
        prefix="/rest/2.0/",
        upstream=upstream,
        accept=("self",),
        audience=(),
        scopes=(),
        strip_prefix=strip,
        timeout_seconds=30,
    )


@pytest.mark.parametrize(
    ("upstream", "strip", "raw_path", "query", "url"),
    [
        ("http://up:9/", False, "/rest/2.0/x", b"", "http://up:9/rest/2.0/x"),
        ("http://up:9", False, "/rest/2.0/x", b"", "http://up:9/rest/2.0/x"),
        ("http://up:9/base/", False, "/rest/2.0/x", b"", "http://up:9/base/rest/2.0/x"),
        ("http://up:9/base", False, "/rest/2.0/x/", b"", "http://up:9/base/rest/2.0/x/"),
        ("https://up/", True, "/rest/2.0/x/y", b"", "https://up/x/y"),
        ("https://up/", True, "/rest/2.0/", b"", "https://up/"),
        ("https://up/base/", True, "/rest/2.0/x", b"", "https://up/base/x"),
        ("http://up:9/", False, "/rest/2.0/a%2Fb", b"q=%2C&q=2", "http://up:9/rest/2.0/a%2Fb?q=%2C&q=2"),
        ("http://up:9/", True, "/rest/2%2E0/a%20b", b"", "http://up:9/a%20b"),
    ],
)  # fmt: skip
def test_upstream_url(upstream: str, strip: bool, raw_path: str, query: bytes, url: str) -> None:
    assert upstream_url(route(upstream, strip=strip), raw_path, query) == url


def test_a_prefix_reached_only_by_decoding_a_slash_is_not_the_route() -> None:
    assert upstream_url(route(), "/rest%2F2.0/x", b"") is None


@pytest.mark.parametrize(
    "raw_path", ["/rest/2.0/../x", "/rest/2.0/a/%2e%2E/x", "/rest/2.0/./x", "/rest/2.0/.."]
)
def test_dot_segments_are_refused(raw_path: str) -> None:
    with pytest.raises(DotSegment):
        upstream_url(route(), raw_path, b"")


CLAIMS = {"sub": "host/app", "scope": "read", "n": 1}


def forwarded(
    headers: list[tuple[bytes, bytes]], claims: dict[str, object] = CLAIMS
) -> dict[bytes, list[bytes]]:
    found: dict[bytes, list[bytes]] = {}
    for name, value in request_headers(headers, claims, request_id="rid-1"):
        found.setdefault(name, []).append(value)
    return found


def test_request_headers_drop_credentials_hops_and_spoofs() -> None:
    sent = forwarded(
        [
            (b"host", b"gate.example"),
            (b"authorization", b"Bearer abc"),
            (b"connection", b"keep-alive, X-Hop"),
            (b"x-hop", b"1"),
            (b"keep-alive", b"timeout=5"),
            (b"te", b"trailers"),
            (b"upgrade", b"h2c"),
            (b"proxy-authorization", b"Basic x"),
            (b"proxy-connection", b"keep-alive"),
            (b"expect", b"100-continue"),
            (b"X-Jwtgate-Subject", b"host/admin"),
            (b"x-jwtgate-claims", b"e30"),
            (b"x-jwtgate-anything", b"1"),
            (b"x-request-id", b"client-id"),
            (b"x-forwarded-for", b"203.0.113.9"),
            (b"accept", b"*/*"),
            (b"cookie", b"a=1"),
            (b"cookie", b"b=2"),
            (b"content-length", b"5"),
        ]
    )
    assert set(sent) == {
        b"x-forwarded-for",
        b"accept",
        b"cookie",
        b"content-length",
        b"x-request-id",
        b"x-jwtgate-subject",
        b"x-jwtgate-claims",
    }
    assert sent[b"cookie"] == [b"a=1", b"b=2"]
    assert sent[b"x-request-id"] == [b"rid-1"]
    assert sent[b"x-jwtgate-subject"] == [b"host/app"]
    (claims,) = sent[b"x-jwtgate-claims"]
    assert b"=" not in claims
    assert json.loads(base64.urlsafe_b64decode(claims + b"=" * (-len(claims) % 4))) == CLAIMS


def test_chunked_bodies_lose_content_length() -> None:
    sent = forwarded([(b"transfer-encoding", b"chunked"), (b"content-length", b"5")])
    assert b"content-length" not in sent and b"transfer-encoding" not in sent


def test_subject_is_a_safe_header_value() -> None:
    sent = forwarded([], {"sub": "ü\r\nX-Injected: 1 %"})
    assert sent[b"x-jwtgate-subject"] == [b"%C3%BC%0D%0AX-Injected: 1 %25"]
    assert b"x-jwtgate-subject" not in forwarded([], {"sub": 42})
    assert b"x-jwtgate-subject" not in forwarded([], {})


def test_response_headers() -> None:
    kept = response_headers(
        [
            (b"content-type", b"text/plain"),
            (b"content-length", b"3"),
            (b"connection", b"close, x-private"),
            (b"x-private", b"1"),
            (b"transfer-encoding", b"chunked"),
            (b"keep-alive", b"timeout=5"),
            (b"date", b"Mon, 01 Jan 2024 00:00:00 GMT"),
            (b"server", b"upstream/1"),
            (b"set-cookie", b"a=1"),
            (b"set-cookie", b"b=2"),
        ]
    )
    assert kept == [
        (b"content-type", b"text/plain"),
        (b"content-length", b"3"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
    ]
