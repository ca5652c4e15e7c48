"""jwtgate.signer: signing keys, rotation, key ring and JWKS (SPEC §2.2, §3 "Signing keys")."""

from collections.abc import Callable
from dataclasses import replace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import JWKRegistry, KeySet

from jwtgate.crypto import DecryptionError, MasterKey
from jwtgate.signer import (
    KeyRecord,
    KeyRing,
    KeyState,
    RotationPlan,
    generate_key,
    jwk_thumbprint,
    normalise_algorithm,
    plan_initial,
    plan_rotation,
)

# joserfc warns that "EdDSA" is deprecated by RFC 9864; jwtgate still emits it (SPEC §2.2).
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")

MASTER = MasterKey.generate()
T0 = 1_700_000_000.0
RETENTION = 480 + 300.0  # longest access-token lifetime + 5 minutes (SPEC §3)
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
PUBLIC_MEMBERS = {"kty", "crv", "x", "y", "n", "e", "kid", "alg", "use"}


def _claims(now: float = T0) -> dict[str, object]:
    return {"iss": "https://jwtgate.example", "sub": "host/app", "iat": int(now),
            "exp": int(now) + 480, "jti": "j1"}  # fmt: skip


def _ring(records: list[KeyRecord], now: float = T0) -> KeyRing:
    return KeyRing.build(records, MASTER, retired_retention_seconds=RETENTION, now=now)


def _rotate(records: list[KeyRecord], now: float, algorithm: str = "ES256") -> list[KeyRecord]:
    return plan_rotation(records, algorithm, MASTER, now).apply(records)


def _verify_pyjwt_jwks(ring: KeyRing, token: str) -> dict[str, object]:
    kid = jwt.get_unverified_header(token)["kid"]
    (entry,) = [k for k in ring.jwks()["keys"] if k["kid"] == kid]
    key = jwt.PyJWK(entry)
    return jwt.decode(token, key, algorithms=[entry["alg"]], options={"verify_exp": False})


def _verify_ring(ring: KeyRing, token: str) -> dict[str, object]:
    found = ring.verification_key(jwt.get_unverified_header(token)["kid"])
    assert found is not None
    alg, key = found
    return jwt.decode(token, key, algorithms=[alg], options={"verify_exp": False})


@pytest.fixture(scope="module", params=["ES256", "RS256", "EdDSA", "Ed25519"])
def initial(request: pytest.FixtureRequest) -> list[KeyRecord]:
    return plan_initial(request.param, MASTER, T0)


# --- generation and the JWKS -----------------------------------------------------------


def test_plan_initial_has_one_current_and_one_next(initial: list[KeyRecord]) -> None:
    assert [r.state for r in initial] == [KeyState.CURRENT, KeyState.NEXT]
    assert all(r.created_at == T0 and r.retired_at is None for r in initial)
    assert initial[0].kid != initial[1].kid


def test_sign_and_verify_with_pyjwt_and_joserfc(initial: list[KeyRecord]) -> None:
    ring = _ring(initial)
    token = ring.sign(_claims())
    header = jwt.get_unverified_header(token)
    assert header == {"alg": ring.current_algorithm, "kid": initial[0].kid, "typ": "at+jwt"}
    assert _verify_pyjwt_jwks(ring, token) == _claims()
    assert _verify_ring(ring, token) == _claims()
    independent = joserfc_jwt.decode(
        token, KeySet.import_key_set(ring.jwks()), algorithms=[ring.current_algorithm]
    )
    assert independent.header["kid"] == ring.current_kid
    assert independent.claims == _claims()


def test_eddsa_is_signed_as_eddsa_whatever_the_configured_name(initial: list[KeyRecord]) -> None:
    assert initial[0].algorithm in {"ES256", "RS256", "EdDSA"}
    assert _ring(initial).algorithms() == {initial[0].algorithm}


def test_kid_is_the_rfc7638_thumbprint(initial: list[KeyRecord]) -> None:
    for entry in _ring(initial).jwks()["keys"]:
        assert JWKRegistry.import_key(entry).thumbprint() == entry["kid"]


def test_jwk_thumbprint_matches_rfc7638_section_3_1_example() -> None:
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
        "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
        "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    assert (
        jwk_thumbprint({"kty": "RSA", "n": n, "e": "AQAB"})
        == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    )


def test_jwks_never_contains_private_members(initial: list[KeyRecord]) -> None:
    keys = _ring(initial).jwks()["keys"]
    assert [k["kid"] for k in keys] == [r.kid for r in initial]
    for entry in keys:
        assert set(entry) <= PUBLIC_MEMBERS
        assert not set(entry) & PRIVATE_MEMBERS
        assert entry["use"] == "sig"
        assert entry["alg"] == initial[0].algorithm
    for record in initial:
        assert not set(record.public_jwk) & PRIVATE_MEMBERS


def test_es256_keys_are_p256() -> None:
    record = generate_key("ES256", MASTER, state=KeyState.CURRENT, now=T0)
    assert record.public_jwk["crv"] == "P-256"
    found = _ring([record]).verification_key(record.kid)
    assert found is not None
    assert found[0] == "ES256"
    assert isinstance(found[1], ec.EllipticCurvePublicKey)
    assert isinstance(found[1].curve, ec.SECP256R1)


def test_rs256_keys_are_3072_bits() -> None:
    record = generate_key("RS256", MASTER, state=KeyState.CURRENT, now=T0)
    found = _ring([record]).verification_key(record.kid)
    assert found is not None
    assert getattr(found[1], "key_size", None) == 3072


def test_private_key_is_sealed_for_its_kid() -> None:
    record = generate_key("ES256", MASTER, state=KeyState.NEXT, now=T0)
    pem = MASTER.open(record.private_pem_sealed, purpose=f"signing-key:{record.kid}")
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")


def test_sign_accepts_another_typ_and_the_jwks_is_a_copy() -> None:
    ring = _ring(plan_initial("ES256", MASTER, T0))
    assert jwt.get_unverified_header(ring.sign({"sub": "x"}, typ="JWT"))["typ"] == "JWT"
    ring.jwks()["keys"][0]["d"] = "leak"
    assert "d" not in ring.jwks()["keys"][0]


@pytest.mark.parametrize("name", ["HS256", "none", "es256", "RS384", "Ed448", ""])
def test_unsupported_algorithms_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unsupported signing algorithm"):
        normalise_algorithm(name)


def test_ed25519_is_normalised_to_eddsa() -> None:
    assert normalise_algorithm("Ed25519") == "EdDSA"
    assert generate_key("Ed25519", MASTER, state=KeyState.NEXT, now=T0).algorithm == "EdDSA"


# --- rotation ------------------------------------------------------------------------


def test_rotation_keeps_tokens_in_flight_valid(initial: list[KeyRecord]) -> None:
    old_current, old_next = initial
    token = _ring(initial).sign(_claims())
    plan = plan_rotation(initial, initial[0].algorithm, MASTER, T0 + 60)
    assert (plan.promote, plan.retire) == (old_next.kid, old_current.kid)
    assert plan.create.state is KeyState.NEXT
    rotated = plan.apply(initial)
    states = {r.kid: (r.state, r.retired_at) for r in rotated}
    assert states == {
        old_current.kid: (KeyState.RETIRED, T0 + 60),
        old_next.kid: (KeyState.CURRENT, None),
        plan.create.kid: (KeyState.NEXT, None),
    }
    ring = _ring(rotated, now=T0 + 61)
    assert ring.current_kid == old_next.kid
    assert [k["kid"] for k in ring.jwks()["keys"]] == [old_next.kid, plan.create.kid,
                                                       old_current.kid]  # fmt: skip
    assert _verify_pyjwt_jwks(ring, token) == _claims()
    assert _verify_ring(ring, token) == _claims()
    fresh = ring.sign(_claims())
    assert jwt.get_unverified_header(fresh)["kid"] == old_next.kid
    assert _verify_ring(ring, fresh) == _claims()


def test_retired_key_disappears_after_retention() -> None:
    initial = plan_initial("ES256", MASTER, T0)
    retired_kid = initial[0].kid
    rotated = _rotate(initial, T0 + 60)
    deadline = T0 + 60 + RETENTION
    within = _ring(rotated, now=deadline - 1)
    assert within.valid_until == deadline
    assert within.verification_key(retired_kid) is not None
    after = _ring(rotated, now=deadline)
    assert after.valid_until is None
    assert after.verification_key(retired_kid) is None
    assert retired_kid not in {k["kid"] for k in after.jwks()["keys"]}
    assert len(after.jwks()["keys"]) == 2


def test_retired_keys_are_listed_newest_first() -> None:
    records = plan_initial("ES256", MASTER, T0)
    first_retired = records[0].kid
    records = _rotate(records, T0 + 10)
    second_retired = records[1].kid  # the promoted key, retired by the next rotation
    records = _rotate(records, T0 + 20)
    kids = [k["kid"] for k in _ring(records, now=T0 + 30).jwks()["keys"]]
    assert kids[2:] == [second_retired, first_retired]


def test_algorithm_change_publishes_the_new_key_before_it_signs() -> None:
    records = _rotate(plan_initial("ES256", MASTER, T0), T0 + 10, algorithm="RS256")
    ring = _ring(records, now=T0 + 11)
    assert ring.current_algorithm == "ES256"
    assert ring.algorithms() == {"ES256", "RS256"}
    records = _rotate(records, T0 + 20, algorithm="RS256")
    ring = _ring(records, now=T0 + 21)
    assert ring.current_algorithm == "RS256"
    assert jwt.get_unverified_header(ring.sign(_claims()))["alg"] == "RS256"
    later = _ring(records, now=T0 + 20 + RETENTION)
    assert later.algorithms() == {"RS256"}


def test_rotation_without_next_creates_and_promotes() -> None:
    current = generate_key("ES256", MASTER, state=KeyState.CURRENT, now=T0)
    token = _ring([current]).sign(_claims())
    plan = plan_rotation([current], "EdDSA", MASTER, T0 + 5)
    assert plan.promote is None
    assert plan.retire == current.kid
    assert plan.create.state is KeyState.CURRENT
    ring = _ring(plan.apply([current]), now=T0 + 6)
    assert ring.current_kid == plan.create.kid
    assert ring.current_algorithm == "EdDSA"
    assert _verify_ring(ring, token) == _claims()


# --- refusing a broken key set -------------------------------------------------------


def _pair() -> list[KeyRecord]:
    return plan_initial("ES256", MASTER, T0)


@pytest.mark.parametrize("states", [(KeyState.NEXT,), (KeyState.CURRENT, KeyState.CURRENT)])
def test_build_needs_exactly_one_current_key(states: tuple[KeyState, ...]) -> None:
    records = [generate_key("ES256", MASTER, state=s, now=T0) for s in states]
    with pytest.raises(ValueError, match="current signing key"):
        _ring(records)


def test_plan_rotation_refuses_two_next_keys() -> None:
    records = [*_pair(), generate_key("ES256", MASTER, state=KeyState.NEXT, now=T0)]
    with pytest.raises(ValueError, match="next signing key"):
        plan_rotation(records, "ES256", MASTER, T0)


def test_build_refuses_retired_key_without_retired_at() -> None:
    current, upcoming = _pair()
    with pytest.raises(ValueError, match="retired_at"):
        _ring([current, replace(upcoming, state=KeyState.RETIRED)])


def test_build_refuses_a_wrong_master_key() -> None:
    other = MasterKey.generate()
    with pytest.raises(DecryptionError):
        KeyRing.build(_pair(), other, retired_retention_seconds=RETENTION, now=T0)


def test_build_refuses_a_sealed_key_moved_to_another_row() -> None:
    current, upcoming = _pair()
    swapped = replace(current, private_pem_sealed=upcoming.private_pem_sealed)
    with pytest.raises(DecryptionError):
        _ring([swapped, upcoming])


@pytest.mark.parametrize(
    "tamper",
    [
        lambda jwk, other: {**jwk, "d": "AAAA"},
        lambda jwk, other: {**jwk, "kid": other["kid"]},
        lambda jwk, other: {**jwk, "x": other["x"]},
        lambda jwk, other: {**jwk, "alg": "ES384"},
        lambda jwk, other: {**jwk, "crv": "P-384"},
        lambda jwk, other: {k: v for k, v in jwk.items() if k != "use"},
    ],
)
def test_build_refuses_a_tampered_public_jwk(
    tamper: Callable[[dict[str, str], dict[str, str]], dict[str, str]],
) -> None:
    current, upcoming = _pair()
    bad = replace(upcoming, public_jwk=tamper(upcoming.public_jwk, current.public_jwk))
    with pytest.raises(ValueError, match=upcoming.kid):
        _ring([current, bad])


def test_rotation_plan_apply_leaves_unrelated_records() -> None:
    records = _rotate(_pair(), T0 + 1)
    plan = RotationPlan(promote=None, retire=None, create=_pair()[1], rotated_at=T0 + 2)
    assert plan.apply(records) == [*records, plan.create]
