"""Regression tests for known bugs of peer servers (DESIGN "Known traps", issue 5)."""

from __future__ import annotations

import time

from tests.integration.oauth.world import World, issued, refused


def test_hydra_2066_expired_assertion_is_invalid_grant_never_500(world: World) -> None:
    """ory/hydra#2066: an expired JWT assertion was answered with a 500."""
    t = int(time.time())
    response = world.bearer_grant(world.cert_assertion(iat=t - 600, exp=t - 300))
    description = refused(response, 400, "invalid_grant", "token_expired")
    assert "SampleConfidentialApp" in description
    client_assertion = world.ec_assertion(iat=t - 600, exp=t - 300)
    response = world.post(
        data={"grant_type": "client_credentials", **world.client_assertion_fields(client_assertion)}
    )
    refused(response, 401, "invalid_client", "token_expired")


def test_fosite_877_a_future_iat_cannot_stretch_the_lifetime_ceiling(world: World) -> None:
    """ory/fosite#853/#877: with only ``exp - iat`` bounded, ``iat = now + 9000000`` and
    ``exp = iat + 1`` passed — an assertion valid for months."""
    t = int(time.time())
    response = world.bearer_grant(world.cert_assertion(iat=t + 9_000_000, exp=t + 9_000_001))
    refused(response, 400, "invalid_grant", "not_yet_valid")
    response = world.bearer_grant(world.cert_assertion(iat=None, exp=t + 9_000_001))
    refused(response, 400, "invalid_grant", "claim_mismatch")
    # with iat inside the leeway, exp - iat still bounds it
    response = world.bearer_grant(world.cert_assertion(iat=t + 14, exp=t + 14 + 301))
    refused(response, 400, "invalid_grant", "claim_mismatch")


def test_hydra_3255_assertion_aud_and_scope_are_not_copied(world: World) -> None:
    """ory/hydra#3255: the assertion's ``aud`` was granted on the access token without
    checking the client's registered audiences."""
    audiences = [world.token_url, "https://evil.example"]
    response = world.bearer_grant(world.cert_assertion(aud=audiences, scope="admin write"))
    claims = issued(response)
    assert claims["aud"] == world.public_url  # no audience registered: the public URL
    assert claims["scope"] == "read"  # the registered default, not the claim
    client_assertion = world.ec_assertion(aud=audiences)
    response = world.post(
        data={"grant_type": "client_credentials", **world.client_assertion_fields(client_assertion)}
    )
    assert issued(response)["aud"] == ["https://api.example"]  # the registered audience
