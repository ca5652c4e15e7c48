"""The token request itself (RFC 6749 §3.1, §3.2, §5.2; SPEC §2.3): form rules, grant
types, ``format`` for successes and errors alike, and single use of assertions."""

from __future__ import annotations

import json
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import jwt

from tests.integration.oauth.world import JWT_BEARER, SECRET, World, issued, refused, rsa_key


def test_missing_grant_type(world: World) -> None:
    refused(world.post(data={"assertion": "x"}), 400, "invalid_request", "invalid_request")


def test_unknown_grant_type(world: World) -> None:
    response = world.post(data={"grant_type": "password", "username": "u", "password": "p"})
    refused(response, 400, "unsupported_grant_type", "unsupported_grant_type")


def test_repeated_parameter(world: World) -> None:
    body = f"grant_type={urllib.parse.quote(JWT_BEARER)}&assertion={world.cert_assertion()}"
    response = world.post(content=body + "&scope=read&scope=write")
    description = refused(response, 400, "invalid_request", "invalid_request")
    assert "'scope' is repeated" in description


def test_repeated_parameter_even_when_equal(world: World) -> None:
    assertion = world.cert_assertion()
    body = (
        f"grant_type={urllib.parse.quote(JWT_BEARER)}&assertion={assertion}&assertion={assertion}"
    )
    refused(world.post(content=body), 400, "invalid_request", "invalid_request")


def test_empty_parameter_counts_as_omitted(world: World) -> None:
    response = world.bearer_grant(world.cert_assertion(), scope="")
    assert issued(response)["scope"] == "read"


def test_body_that_is_not_a_form(world: World) -> None:
    response = world.post(
        content=json.dumps({"grant_type": "client_credentials"}),
        headers={"Content-Type": "application/json"},
    )
    refused(response, 400, "invalid_request", "invalid_request")


def test_body_that_is_not_utf8(world: World) -> None:
    response = world.post(
        content=b"grant_type=%FF%FE", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    refused(response, 400, "invalid_request", "invalid_request")


def test_errors_in_xml(world: World) -> None:
    response = world.post(
        data={"grant_type": "password", "format": "xml"}, headers={"X-Request-Id": "req-xml-1"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["cache-control"] == "no-store"
    root = ET.fromstring(response.content)
    assert root.tag == "error_response"
    fields = {child.tag: child.text for child in root}
    assert fields["error"] == "unsupported_grant_type"
    assert str(fields["error_description"]).startswith("unsupported_grant_type: ")
    assert fields["request_id"] == "req-xml-1"


def test_errors_in_urlencoded_with_the_401_challenge(world: World) -> None:
    response = world.post(data={"grant_type": "client_credentials", "format": "urlencoded"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="jwtgate"'
    assert response.headers["content-type"].startswith("application/x-www-form-urlencoded")
    fields = dict(urllib.parse.parse_qsl(response.text, strict_parsing=True))
    assert fields["error"] == "invalid_client"
    assert fields["error_description"].startswith("invalid_client: ")


def test_repeated_parameter_answers_in_the_requested_format(world: World) -> None:
    response = world.post(content="grant_type=a&grant_type=b&format=xml")
    assert response.status_code == 400
    assert ET.fromstring(response.content).findtext("error") == "invalid_request"


def test_unknown_format_answers_json(world: World) -> None:
    response = world.post(data={"grant_type": "client_credentials", "format": "yaml"})
    refused(response, 400, "invalid_request", "invalid_request")


def test_only_post(world: World) -> None:
    with world.client() as client:
        assert client.get("/oauth/token").status_code == 405


def test_assertion_is_single_use(world: World) -> None:
    assertion = world.cert_assertion()
    assert world.bearer_grant(assertion).status_code == 200
    refused(world.bearer_grant(assertion), 400, "invalid_grant", "invalid_grant")
    # the same jti, re-signed with other times, is the same assertion (iss, jti)
    jti = jwt.decode(assertion, options={"verify_signature": False})["jti"]
    again = world.cert_assertion(
        jti=jti, iat=int(jwt.decode(assertion, options={"verify_signature": False})["iat"]) - 1
    )
    refused(world.bearer_grant(again), 400, "invalid_grant", "invalid_grant")


def test_assertion_without_jti_is_single_use_by_its_hash(world: World) -> None:
    assertion = world.cert_assertion(jti=None)
    assert world.bearer_grant(assertion).status_code == 200
    refused(world.bearer_grant(assertion), 400, "invalid_grant", "invalid_grant")
    padded = ".".join(part + "=" * (-len(part) % 4) for part in assertion.split("."))
    refused(world.bearer_grant(padded), 400, "invalid_grant", "invalid_grant")


def test_a_refused_request_does_not_burn_the_jti(world: World) -> None:
    legit = world.cert_assertion()
    jti = jwt.decode(legit, options={"verify_signature": False})["jti"]
    forged = jwt.encode(world.claims(jti=jti), rsa_key(), algorithm="RS256")
    refused(world.bearer_grant(forged), 400, "invalid_grant", "bad_signature")
    refused(world.bearer_grant(legit, scope="admin"), 400, "invalid_scope", "invalid_scope")
    assert world.bearer_grant(legit).status_code == 200


def test_the_request_id_is_in_the_error(world: World) -> None:
    response = world.post(data={"grant_type": "nope"}, headers={"X-Request-Id": "abc-123"})
    assert response.json()["request_id"] == response.headers["x-request-id"] == "abc-123"


def test_every_decision_is_audited(world: World) -> None:
    tag = uuid.uuid4().hex[:12]
    accepted = world.post(
        data={"grant_type": JWT_BEARER, "assertion": world.cert_assertion(sub="user-9")},
        headers={"X-Request-Id": f"ok-{tag}"},
    )
    assert accepted.status_code == 200
    token = accepted.json()["access_token"]
    world.post(
        data={"grant_type": JWT_BEARER, "assertion": world.cert_assertion(sub="mallory")},
        headers={"X-Request-Id": f"no-{tag}"},
    )
    world.post(
        "/oauth/introspect",
        data={"token": token, "client_id": "secret-app", "client_secret": SECRET},
        headers={"X-Request-Id": f"in-{tag}"},
    )
    world.post(
        "/oauth/revoke",
        data={"token": token, "client_id": "secret-app", "client_secret": "wrong"},
        headers={"X-Request-Id": f"rv-{tag}"},
    )
    with world.admin() as admin:
        events = admin.get("/admin/audit", params={"limit": 1000}).json()["events"]
    mine = {event["request_id"]: event for event in events if tag in event["request_id"]}
    assert mine[f"ok-{tag}"] | {"time": None} == {
        "time": None,
        "request_id": f"ok-{tag}",
        "front_door": "oauth-token",
        "decision": "accepted",
        "code": None,
        "reason": None,
        "account": "cucumber",
        "authenticator": None,
        "subject": "user-9",
        "client_id": "SampleConfidentialApp",
    }
    refusal = mine[f"no-{tag}"]
    assert (refusal["front_door"], refusal["decision"]) == ("oauth-token", "refused")
    assert (refusal["code"], refusal["reason"]) == ("invalid_grant", "not_permitted")
    introspection = mine[f"in-{tag}"]
    assert (introspection["front_door"], introspection["decision"]) == ("introspect", "accepted")
    assert (introspection["client_id"], introspection["subject"]) == ("secret-app", "user-9")
    revocation = mine[f"rv-{tag}"]
    assert (revocation["front_door"], revocation["decision"]) == ("revoke", "refused")
    assert (revocation["code"], revocation["reason"]) == ("invalid_client", "unknown_identity")
