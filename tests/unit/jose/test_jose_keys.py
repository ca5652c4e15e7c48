"""Key usability (jose/keys/base.py), static keys, and the fetch limits' pure parts."""

from __future__ import annotations

from typing import Any

import pytest

from jwtgate.jose import KeySet, KeysUnavailable, static_source
from jwtgate.jose.algorithms import ALGORITHMS
from jwtgate.jose.keys import load_jwk
from jwtgate.jose.keys.fetch import cache_ttl, check_url, make_client
from tests.support.idp import generate, public_jwk
from tests.unit.jose.jose_helpers import RING

RSA = RING.keys["rsa"].jwk
P256 = RING.keys["p256"].jwk
P384 = RING.keys["p384"].jwk
ED = RING.keys["ed"].jwk


def _with(jwk: dict[str, Any], **members: Any) -> dict[str, Any]:
    changed = {**jwk, **members}
    return {name: value for name, value in changed.items() if value is not None}


@pytest.mark.parametrize(
    "jwk",
    [
        RSA,
        P256,
        P384,
        ED,
        _with(RSA, use=None, kid=None),
        _with(P256, alg="ES256"),
        _with(ED, alg="Ed25519"),
        _with(RSA, key_ops=["verify"]),
    ],
)
def test_usable_keys(jwk: dict[str, Any]) -> None:
    assert load_jwk(jwk) is not None


UNUSABLE = {
    "encryption key": _with(RSA, use="enc"),
    "use not a string": _with(RSA, use=["sig"]),
    "key_ops without verify": _with(RSA, key_ops=["encrypt"]),
    "key_ops not a list": _with(RSA, key_ops="verify"),
    "kid not a string": _with(RSA, kid=1),
    "alg of another key type": _with(RSA, alg="ES256"),
    "alg of another curve": _with(P384, alg="ES256"),
    "alg unsupported": _with(RSA, alg="RSA-OAEP"),
    "alg HS256": _with(RSA, alg="HS256"),
    "alg none": _with(RSA, alg="none"),
    "rsa 1024": public_jwk(generate("RS256", bits=1024), kid="weak"),
    "secp256k1": _with(P256, crv="secp256k1"),
    "ed448": {"kty": "OKP", "crv": "Ed448", "x": "A" * 76, "kid": "ed448"},
    "oct": {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
    "no kty": _with(RSA, kty=None),
    "bad modulus": _with(RSA, n="!!!"),
    "point not on curve": _with(P256, y=P256["x"]),
    "coordinates of the wrong size": _with(P384, crv="P-256"),
    "okp wrong length": _with(ED, x="AAAA"),
    "not an object": ["kty", "RSA"],
    "number members": _with(RSA, n=12345),
}


@pytest.mark.parametrize("jwk", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_unusable_keys_are_ignored_not_raised(jwk: Any) -> None:
    assert load_jwk(jwk) is None
    assert len(KeySet.from_jwks({"keys": [jwk, RSA]})) == 1


def test_a_private_jwk_is_reduced_to_its_public_key() -> None:
    from jwt.algorithms import RSAAlgorithm

    private = RSAAlgorithm.to_jwk(RING.keys["rsa"].private, as_dict=True)
    assert private["key_ops"] == ["sign"]
    assert load_jwk(private) is None  # key_ops without verify
    key = load_jwk(_with(private, key_ops=None))
    assert key is not None
    assert not hasattr(key.key, "sign")


def test_candidates_match_kid_type_and_curve() -> None:
    keys = KeySet.from_jwks({"keys": [RSA, P256, _with(P384, kid="p256")]})
    es256, es384, rs256 = ALGORITHMS["ES256"], ALGORITHMS["ES384"], ALGORITHMS["RS256"]
    assert [k.key_type.crv for k in keys.candidates(es256, "p256")] == ["P-256"]
    assert [k.key_type.crv for k in keys.candidates(es384, "p256")] == ["P-384"]
    assert keys.candidates(rs256, "p256") == ()
    assert keys.candidates(es256, "nope") == ()
    assert len(keys.candidates(rs256, None)) == 1
    two_rsa = KeySet.from_jwks({"keys": [RSA, _with(RSA, kid="again")]})
    assert two_rsa.candidates(rs256, None) == ()


@pytest.mark.parametrize("document", [[], {}, {"keys": {}}, {"keys": "x"}, None])
def test_a_static_jwks_must_be_a_jwk_set(document: Any) -> None:
    with pytest.raises(ValueError, match="JWK Set"):
        static_source(document)


async def test_a_static_jwks_without_usable_keys_is_unavailable() -> None:
    keys = static_source({"keys": [UNUSABLE["rsa 1024"]]})
    with pytest.raises(KeysUnavailable):
        await keys.key_set()
    assert await keys.refresh("unknown_key") is None
    assert keys.issuer is None
    await keys.aclose()


@pytest.mark.parametrize(
    ("header", "ttl"),
    [
        (None, 300),
        ("", 300),
        ("public", 300),
        ("max-age=600", 600),
        ("public, max-age=3600, must-revalidate", 3600),
        ('max-age="120"', 120),
        ("max-age=0", 60),
        ("max-age=5", 60),
        ("max-age=999999999", 86400),
        ("max-age=abc", 300),
        ("no-store", 60),
        ("no-cache, max-age=600", 60),
        ("Max-Age=120", 120),
    ],
)
def test_cache_ttl_honours_max_age_clamped(header: str | None, ttl: float) -> None:
    assert cache_ttl(header) == ttl


@pytest.mark.parametrize(
    "url",
    [
        "https://idp.example/jwks",
        "http://127.0.0.1:8080/jwks",
        "http://127.9.9.9/jwks",
        "http://[::1]:9000/jwks",
        "http://localhost/jwks",
        "http://LOCALHOST:1/jwks",
    ],
)
def test_allowed_key_urls(url: str) -> None:
    assert check_url(url, allow_insecure_http=False) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://idp.example/jwks",
        "http://10.0.0.1/jwks",
        "http://localhost.evil.example/jwks",
        "http://[::ffff:10.0.0.1]/jwks",
        "ftp://idp.example/jwks",
        "file:///etc/passwd",
        "/jwks",
        "https:///jwks",
        "https://[::1/jwks",
        "https://a\x00b/jwks",
    ],
)
def test_refused_key_urls(url: str) -> None:
    with pytest.raises(ValueError):
        check_url(url, allow_insecure_http=False)


def test_insecure_http_only_when_allowed() -> None:
    assert check_url("http://idp.example/jwks", allow_insecure_http=True)
    with pytest.raises(ValueError):
        check_url("ftp://idp.example/jwks", allow_insecure_http=True)


@pytest.mark.parametrize(
    "pem", ["", "not a pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]
)
def test_a_bad_ca_cert_is_a_configuration_error(pem: str) -> None:
    with pytest.raises(ValueError, match="ca_cert"):
        make_client(pem, None)
