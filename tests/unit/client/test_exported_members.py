"""The public surface of ``jwtgate.client`` is pinned (httpx's test_exported_members)."""

from __future__ import annotations

from importlib import resources

import jwtgate.client

EXPORTED = [
    "AuthnJwtAuth",
    "JwtAuthConfig",
    "JwtAuthConfigError",
    "JwtBearerAuth",
    "TokenRequestError",
    "TokenResponse",
    "aexchange",
    "exchange",
    "mint",
]


def test_all_is_pinned_and_importable() -> None:
    assert jwtgate.client.__all__ == EXPORTED
    for name in EXPORTED:
        assert getattr(jwtgate.client, name).__module__.startswith("jwtgate.client.")


def test_the_package_ships_type_information() -> None:
    assert resources.files("jwtgate").joinpath("py.typed").is_file()
