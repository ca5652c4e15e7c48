"""The API-gateway seed flow, byte for byte (SPEC §2.3; seeds/api-gateway-oauth-jwt-flow).

``POST /api/oauth/token`` with ``Content-Type: application/x-www-form-urlencoded;
charset=UTF-8`` and ``grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer
&assertion=…``: an RS256 assertion (header ``{"alg":"RS256"}`` only) whose ``iss`` is the
client id, ``aud`` the token endpoint under the ``/api`` alias, ``exp`` within five
minutes, signed by the key whose X.509 certificate is registered. 200 in each format.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import xml.etree.ElementTree as ET

import jwt
import pytest

from tests.integration.oauth.world import World

FORM = "application/x-www-form-urlencoded; charset=UTF-8"


def seed_body(world: World, fmt: str | None, lifetime: int) -> str:
    """The seed's assertion: no ``jti``, so single use is by its hash; ``lifetime`` keeps
    the assertions of different tests apart."""
    iat = int(time.time())
    claims = {
        "iss": "SampleConfidentialApp",
        "aud": f"{world.public_url}/api/oauth/token",
        "exp": iat + lifetime,
        "iat": iat,
    }
    assertion = jwt.encode(claims, world.cert_key, algorithm="RS256", headers={"typ": None})
    assert json.loads(jwt.utils.base64url_decode(assertion.split(".")[0])) == {"alg": "RS256"}
    body = f"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"
    return body + (f"&format={fmt}" if fmt else "")


@pytest.mark.parametrize("fmt", [None, "json", "urlencoded", "xml"])
def test_seed_request_in_every_format(world: World, fmt: str | None) -> None:
    lifetime = 300 - [None, "json", "urlencoded", "xml"].index(fmt)  # "within five minutes"
    response = world.post(
        "/api/oauth/token",
        content=seed_body(world, fmt, lifetime),
        headers={"Content-Type": FORM},
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    if fmt in (None, "json"):
        assert response.headers["content-type"] == "application/json"
        fields = response.json()
    elif fmt == "urlencoded":
        assert response.headers["content-type"].startswith("application/x-www-form-urlencoded")
        fields = dict(urllib.parse.parse_qsl(response.text, strict_parsing=True))
    else:
        assert response.headers["content-type"].startswith("application/xml")
        root = ET.fromstring(response.content)
        assert root.tag == "token_response"
        fields = {child.tag: child.text for child in root}
    assert set(fields) == {"access_token", "token_type", "expires_in", "scope"}
    assert fields["token_type"] == "Bearer"
    assert int(fields["expires_in"]) == 3600
    assert fields["scope"] == "read"
    claims = jwt.decode(str(fields["access_token"]), options={"verify_signature": False})
    assert claims["sub"] == claims["client_id"] == "SampleConfidentialApp"
    assert claims["iss"] == claims["aud"] == world.public_url
    assert claims["authn"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert claims["acct"] == "cucumber"
