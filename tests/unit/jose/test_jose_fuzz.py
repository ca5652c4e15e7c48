"""Hostile input (DESIGN "Testing"): whatever the token, parse_token and validate raise
AuthError and nothing else — never a 500."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jwtgate.errors import AuthError
from jwtgate.jose import Rules, parse_token, validate
from tests.unit.jose.jose_helpers import ALL_ALGORITHMS, NOW, RING, b64, pad, source

KEYS = source()
RULES = Rules(
    algorithms=ALL_ALGORITHMS | {"HS256", "none"},
    issuer="https://idp.example",
    audience=("api",),
    token_type="at+jwt",
    max_lifetime_seconds=300,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
names = st.sampled_from(
    ["iss", "aud", "exp", "nbf", "iat", "sub", "jti", "typ", "kid", "alg", "crit", "b64"]
)
json_objects = st.dictionaries(names | st.text(max_size=6), json_values, max_size=8)
algs = st.sampled_from(
    ["RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA", "Ed25519", "HS256", "none", "NONE", ""]
) | st.text(max_size=8)
times = (
    st.floats(NOW - 1000, NOW + 1000) | st.integers(int(NOW) - 1000, int(NOW) + 1000) | json_values
)
claim_sets = st.fixed_dictionaries(
    {"exp": times},
    optional={
        "nbf": times,
        "iat": times,
        "iss": st.just("https://idp.example") | json_values,
        "aud": st.sampled_from(["api", ["x", "api"]]) | json_values,
    },
)
kids = st.sampled_from(["rsa", "p256", "p384", "p521", "ed", "../../x", ""]) | st.none()


def _outcome(token: str) -> None:
    with contextlib.suppress(AuthError):  # anything else fails the test
        asyncio.run(validate(parse_token(token), RULES, KEYS, now=NOW))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    _outcome(text)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(json_objects, json_objects, st.binary(max_size=140), algs, kids, st.booleans())
def test_near_jwts_with_random_headers_claims_and_signatures(
    header: dict[str, Any],
    claims: dict[str, Any],
    signature: bytes,
    alg: str,
    kid: str | None,
    padded: bool,
) -> None:
    header = {**header, "alg": alg}
    if kid is not None:
        header["kid"] = kid
    token = ".".join([b64(json.dumps(header)), b64(json.dumps(claims)), b64(signature)])
    _outcome(pad(token) if padded else token)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(claim_sets, st.sampled_from(["rsa", "p256", "p384", "p521", "ed"]), json_objects)
def test_correctly_signed_tokens_with_random_claims(
    claims: dict[str, Any], kid: str, extra_header: dict[str, Any]
) -> None:
    """A valid signature gets the claims past the signature check: every claim rule
    then sees hostile values (PyJWT raises TypeError for some; we must not)."""
    header = {**extra_header, "alg": RING.keys[kid].alg, "kid": kid, "typ": "at+jwt"}
    header.pop("crit", None)
    header.pop("b64", None)
    token = RING.sign_raw(json.dumps(header).encode(), json.dumps(claims).encode(), kid=kid)
    _outcome(token)
