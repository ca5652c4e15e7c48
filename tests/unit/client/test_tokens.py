"""When a cached token is replaced: SPEC §6's min(30 s, 10 % of the lifetime)."""

from __future__ import annotations

import base64
import json

import pytest

from jwtgate.client.tokens import Token, unverified_times


@pytest.mark.parametrize(
    ("lifetime", "remaining", "refresh"),
    [
        (3600, 31, False),  # 10 % is 360 s: the 30 s cap applies
        (3600, 29, True),
        (100, 10.5, False),  # 10 % of 100 s is 10 s, under the cap
        (100, 9.5, True),
        (2, 0.25, False),
        (2, 0.15, True),
        (300, -1, True),  # expired
    ],
)
def test_refresh_margin(lifetime: float, remaining: float, refresh: bool) -> None:
    token = Token("Bearer x", issued_at=1000, expires_at=1000 + lifetime)
    assert token.needs_refresh(1000 + lifetime - remaining) is refresh


def test_unknown_expiry_is_never_refreshed_early() -> None:
    assert not Token("Bearer x", issued_at=0, expires_at=None).needs_refresh(10**12)


def segment(document: object, *, pad: bool = False) -> str:
    encoded = base64.urlsafe_b64encode(json.dumps(document).encode()).decode()
    return encoded if pad else encoded.rstrip("=")


def test_unverified_times() -> None:
    payload = {"iat": 10, "exp": 20.5}
    assert unverified_times(f"h.{segment(payload)}.s") == (10.0, 20.5)
    assert unverified_times(segment(payload, pad=True)) == (10.0, 20.5)  # Conjur's padding
    for broken in ("opaque-token", f"h.{segment([1])}.s", f"h.{segment({'iat': 1})}.s"):
        assert unverified_times(broken) is None
    assert unverified_times(f"h.{segment({'iat': True, 'exp': 2})}.s") is None
