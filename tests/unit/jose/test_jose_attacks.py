"""The attack table (DESIGN "Testing"): known JWT attacks, each with its documented
error and nothing else — in particular no fetch of any URL a token names, and no extra
fetch of the provider's JWK Set.

A real provider on loopback serves the trusted keys; a second loopback server plays
the attacker's host and counts every request it receives.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.jose import RemoteKeySource, Rules, jwks_uri_source, parse_token, validate
from tests.support.idp import KeyRing, LoopbackIdP, public_jwk
from tests.unit.jose.jose_helpers import ALL_ALGORITHMS, NOW, RULES, b64, claims

MALFORMED = (ErrorCode.TOKEN_MALFORMED, None)
DISALLOWED = (ErrorCode.TOKEN_INVALID, Reason.DISALLOWED_ALGORITHM)
UNKNOWN_KEY = (ErrorCode.TOKEN_INVALID, Reason.UNKNOWN_KEY)
BAD_SIGNATURE = (ErrorCode.TOKEN_INVALID, Reason.BAD_SIGNATURE)
MISSING = (ErrorCode.TOKEN_INVALID, Reason.MISSING_CLAIM)
NOT_YET = (ErrorCode.TOKEN_INVALID, Reason.NOT_YET_VALID)


@dataclass
class World:
    idp: LoopbackIdP  # the trusted provider
    attacker: LoopbackIdP  # the attacker's server, serving the attacker's keys
    weak: KeyRing  # a 1024-bit RSA key the provider (wrongly) publishes
    other_curve: KeyRing  # a P-256 key; the provider publishes a P-384 key under its kid

    @property
    def evil(self) -> KeyRing:
        return self.attacker.keys


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    weak = KeyRing()
    weak.add("RS256", kid="weak", bits=1024)
    other_curve = KeyRing()
    other_curve.add("ES256", kid="shared")
    with LoopbackIdP(()) as idp, LoopbackIdP(()) as attacker:
        idp.keys.add("RS256", kid="rsa")
        idp.keys.add("ES256", kid="p256")
        p384 = public_jwk(KeyRing(["ES384"]).newest().private, kid="shared")
        idp.keys.extra_jwks = [weak.newest().jwk, p384]
        attacker.keys.add("RS256", kid="rsa")  # same kid as the trusted key
        attacker.keys.add("RS256", kid="evil")
        yield World(idp, attacker, weak, other_curve)


def _good(world: World) -> dict[str, object]:
    return claims()


def _unsigned(alg: str) -> Callable[[World], str]:
    def build(world: World) -> str:
        header = b64(json.dumps({"alg": alg, "kid": "rsa"}).encode())
        return f"{header}.{b64(json.dumps(_good(world)).encode())}."

    return build


def _hs256_with_public_key(world: World) -> str:
    """RS/HS confusion: the provider's public key PEM used as the HMAC secret."""
    pem = world.idp.keys.keys["rsa"].public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64(json.dumps({"alg": "HS256", "kid": "rsa", "typ": "JWT"}).encode())
    signing_input = f"{header}.{b64(json.dumps(_good(world)).encode())}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def _x5c(world: World) -> list[str]:
    key = world.evil.keys["rsa"].private
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]


def _zero_ecdsa(world: World) -> str:
    header, payload, _ = world.idp.mint(_good(world), kid="p256").split(".")
    return f"{header}.{payload}.{b64(bytes(64))}"


def _tampered(world: World) -> str:
    header, _, signature = world.idp.mint(_good(world), kid="rsa").split(".")
    return f"{header}.{b64(json.dumps(claims(sub='admin')))}.{signature}"


def _huge(world: World) -> str:
    return world.idp.mint({**_good(world), "pad": "x" * 1_000_000}, kid="rsa")


def _raw(header: str, payload: str, kid: str = "rsa") -> Callable[[World], str]:
    return lambda world: world.idp.keys.sign_raw(header.encode(), payload.encode(), kid=kid)


PAYLOAD = json.dumps(claims())


@dataclass(frozen=True)
class Attack:
    token: Callable[[World], str]
    expected: tuple[ErrorCode, Reason | None]
    rules: Rules = RULES


ATTACKS: dict[str, Attack] = {
    "alg none": Attack(_unsigned("none"), DISALLOWED),
    "alg None": Attack(_unsigned("None"), DISALLOWED),
    "alg NONE": Attack(_unsigned("NONE"), DISALLOWED),
    "alg nOnE": Attack(_unsigned("nOnE"), DISALLOWED),
    "alg none even when allow-listed": Attack(
        _unsigned("none"),
        DISALLOWED,
        dataclasses.replace(RULES, algorithms=ALL_ALGORITHMS | {"none", "None", "NONE"}),
    ),
    "HS256 keyed with the RSA public key": Attack(_hs256_with_public_key, DISALLOWED),
    "HS256 keyed with the RSA public key, HS256 allow-listed": Attack(
        _hs256_with_public_key,
        DISALLOWED,
        dataclasses.replace(RULES, algorithms=ALL_ALGORITHMS | {"HS256"}),
    ),
    "alg lowercase rs256": Attack(
        lambda w: w.idp.mint(_good(w), kid="rsa", alg="rs256"), DISALLOWED
    ),
    "alg ES256K": Attack(
        lambda w: w.idp.mint(_good(w), kid="p256", headers={"alg": "ES256K"}), DISALLOWED
    ),
    "kid path traversal": Attack(
        lambda w: w.idp.mint(_good(w), kid="rsa", headers={"kid": "../../etc/passwd"}), UNKNOWN_KEY
    ),
    "kid sql injection": Attack(
        lambda w: w.idp.mint(_good(w), kid="rsa", headers={"kid": "' OR 1=1--"}), UNKNOWN_KEY
    ),
    "kid empty": Attack(
        lambda w: w.idp.mint(_good(w), kid="rsa", headers={"kid": ""}), UNKNOWN_KEY
    ),
    "jku to the attacker, attacker kid": Attack(
        lambda w: w.evil.mint(_good(w), kid="evil", headers={"jku": w.attacker.jwks_uri}),
        UNKNOWN_KEY,
    ),
    "jku to the attacker, trusted kid": Attack(
        lambda w: w.evil.mint(_good(w), kid="rsa", headers={"jku": w.attacker.jwks_uri}),
        BAD_SIGNATURE,
    ),
    "x5u to the attacker": Attack(
        lambda w: w.evil.mint(_good(w), kid="rsa", headers={"x5u": f"{w.attacker.url}/cert.pem"}),
        BAD_SIGNATURE,
    ),
    "jwk embedding the attacker key": Attack(
        lambda w: w.evil.mint(_good(w), kid="rsa", headers={"jwk": w.evil.keys["rsa"].jwk}),
        BAD_SIGNATURE,
    ),
    "jwk embedding the attacker key, no kid": Attack(
        lambda w: w.evil.mint(
            _good(w), kid="evil", headers={"kid": None, "jwk": w.evil.keys["evil"].jwk}
        ),
        BAD_SIGNATURE,
    ),
    "x5c embedding the attacker certificate": Attack(
        lambda w: w.evil.mint(_good(w), kid="rsa", headers={"x5c": _x5c(w)}), BAD_SIGNATURE
    ),
    "unknown crit": Attack(
        lambda w: w.idp.mint(
            _good(w), kid="rsa", headers={"crit": ["http://x/y"], "http://x/y": 1}
        ),
        MALFORMED,
    ),
    "b64 false": Attack(
        lambda w: w.idp.mint(_good(w), kid="rsa", headers={"b64": False, "crit": ["b64"]}),
        MALFORMED,
    ),
    "b64 false without crit": Attack(
        lambda w: w.idp.mint(_good(w), kid="rsa", headers={"b64": False}), MALFORMED
    ),
    "all-zero ECDSA signature": Attack(_zero_ecdsa, BAD_SIGNATURE),
    "empty signature": Attack(
        lambda w: w.idp.mint(_good(w), kid="rsa").rsplit(".", 1)[0] + ".", BAD_SIGNATURE
    ),
    "1 MB token": Attack(_huge, MALFORMED),
    "duplicate claims": Attack(
        _raw('{"alg":"RS256","kid":"rsa"}', PAYLOAD[:-1] + ', "sub": "a", "sub": "b"}'), MALFORMED
    ),
    "duplicate header members": Attack(
        _raw('{"alg":"RS256","kid":"rsa","kid":"p256"}', PAYLOAD), MALFORMED
    ),
    "exp missing": Attack(lambda w: w.idp.mint(claims(exp=None), kid="rsa"), MISSING),
    "exp a string": Attack(
        lambda w: w.idp.mint(claims(exp=str(int(NOW + 300))), kid="rsa"), MALFORMED
    ),
    "exp a list": Attack(lambda w: w.idp.mint(claims(exp=[NOW + 300]), kid="rsa"), MALFORMED),
    "nbf in the future": Attack(lambda w: w.idp.mint(claims(nbf=NOW + 3600), kid="rsa"), NOT_YET),
    "iat in the future": Attack(lambda w: w.idp.mint(claims(iat=NOW + 3600), kid="rsa"), NOT_YET),
    "ES256 against a P-384 key of the same kid": Attack(
        lambda w: w.other_curve.mint(_good(w), kid="shared"), UNKNOWN_KEY
    ),
    "RSA 1024-bit key in the JWKS": Attack(
        lambda w: w.weak.mint(_good(w), kid="weak"), UNKNOWN_KEY
    ),
    "RS256 token naming an EC key": Attack(
        lambda w: w.idp.mint(_good(w), kid="rsa", headers={"kid": "p256"}), UNKNOWN_KEY
    ),
    "wrong typ for an access token": Attack(
        lambda w: w.idp.mint(_good(w), kid="rsa"),
        (ErrorCode.TOKEN_INVALID, Reason.WRONG_TYPE),
        dataclasses.replace(RULES, token_type="at+jwt"),
    ),
    "tampered claims": Attack(_tampered, BAD_SIGNATURE),
}


@pytest.fixture
async def keys(world: World) -> AsyncIterator[RemoteKeySource]:
    """A warmed source with a frozen clock: any further fetch would show in fetch_count."""
    source = jwks_uri_source(world.idp.jwks_uri, clock=lambda: NOW)
    await source.key_set()
    yield source
    await source.aclose()


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
async def test_attack_is_refused_with_its_code(
    attack: Attack, world: World, keys: RemoteKeySource
) -> None:
    token = attack.token(world)
    served = world.idp.jwks_requests
    with pytest.raises(AuthError) as caught:
        await validate(parse_token(token), attack.rules, keys, now=NOW)
    assert (caught.value.code, caught.value.reason) == attack.expected
    assert world.attacker.total_requests == 0, "a URL named in a token was fetched"
    assert keys.fetch_count == 1, "the attack made jwtgate refetch the JWK Set"
    assert world.idp.jwks_requests == served
