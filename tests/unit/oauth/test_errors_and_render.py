"""RFC 6749 §5.2 errors as data, and the three body shapes of SPEC §2.3 ``format``."""

from __future__ import annotations

import json
import urllib.parse
import xml.etree.ElementTree as ET

from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.oauth import OAuthCode, OAuthError
from jwtgate.oauth.errors import from_auth_error
from jwtgate.server.oauth.render import render, render_error


def test_description_begins_with_the_reason_or_code() -> None:
    failure = AuthError(
        ErrorCode.TOKEN_INVALID, "the signature does not verify", reason=Reason.BAD_SIGNATURE
    )
    error = from_auth_error(OAuthCode.INVALID_GRANT, failure, "assertion of client X")
    assert (
        error.description == "bad_signature: the signature does not verify (assertion of client X)"
    )
    assert (error.error, error.status, error.label) == ("invalid_grant", 400, "bad_signature")
    expired = from_auth_error(
        OAuthCode.INVALID_GRANT, AuthError(ErrorCode.TOKEN_EXPIRED, "gone"), "c"
    )
    assert expired.description == "token_expired: gone (c)"
    assert OAuthError(OAuthCode.INVALID_SCOPE, "no").description == "invalid_scope: no"


def test_keys_that_cannot_be_had_are_503_not_the_callers_fault() -> None:
    failure = AuthError(ErrorCode.TOKEN_UNPROCESSABLE, "the keys cannot be obtained")
    error = from_auth_error(OAuthCode.INVALID_GRANT, failure, "c")
    assert (error.error, error.status) == ("temporarily_unavailable", 503)
    assert error.headers["Retry-After"]
    assert error.description.startswith("token_unprocessable: ")


def test_invalid_client_is_401_with_a_challenge() -> None:
    error = OAuthError(OAuthCode.INVALID_CLIENT, "who are you")
    assert error.status == 401
    assert error.headers == {"WWW-Authenticate": 'Basic realm="jwtgate"'}


FIELDS = {"access_token": "a<b>&c", "token_type": "Bearer", "expires_in": 3600, "scope": "x y"}


def test_render_json_urlencoded_xml() -> None:
    as_json = render(FIELDS, "json", root="token_response")
    assert json.loads(as_json.body) == FIELDS
    as_form = render(FIELDS, "urlencoded", root="token_response")
    assert dict(urllib.parse.parse_qsl(bytes(as_form.body).decode())) == {
        k: str(v) for k, v in FIELDS.items()
    }
    as_xml = render(FIELDS, "xml", root="token_response")
    root = ET.fromstring(bytes(as_xml.body))
    assert root.tag == "token_response"
    assert {child.tag: child.text for child in root} == {k: str(v) for k, v in FIELDS.items()}
    for response in (as_json, as_form, as_xml):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["pragma"] == "no-cache"


def test_render_error_keeps_status_and_headers_in_every_format() -> None:
    error = OAuthError(OAuthCode.INVALID_CLIENT, "nope <&>")
    for fmt in ("json", "urlencoded", "xml"):
        response = render_error(error, fmt)  # type: ignore[arg-type]
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Basic realm="jwtgate"'
        assert response.headers["cache-control"] == "no-store"
    root = ET.fromstring(bytes(render_error(error, "xml").body))
    assert root.tag == "error_response"
    assert root.findtext("error_description") == "invalid_client: nope <&>"
