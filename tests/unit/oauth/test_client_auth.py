"""Which client authentication a request uses (RFC 6749 §2.3, RFC 7521 §4.2)."""

from __future__ import annotations

import base64

import pytest

from jwtgate.oauth import CLIENT_ASSERTION_TYPE, OAuthError, Presented, presented_credentials


def basic(raw: str) -> str:
    return "Basic " + base64.b64encode(raw.encode()).decode()


def test_basic_is_form_urlencoded_then_base64() -> None:
    presented = presented_credentials(basic("my%3Aapp:p%40ss+word"), {})
    assert presented == Presented("client_secret_basic", "my:app", secret="p@ss word")


def test_scheme_is_case_insensitive_and_other_schemes_are_ignored() -> None:
    assert (
        presented_credentials(basic("a:b").replace("Basic", "bAsIc"), {}).method
        == "client_secret_basic"
    )
    assert presented_credentials("Bearer abc", {}) == Presented(None, None)


def test_post_and_assertion() -> None:
    assert presented_credentials(None, {"client_id": "a", "client_secret": "s"}) == Presented(
        "client_secret_post", "a", secret="s"
    )
    fields = {"client_assertion_type": CLIENT_ASSERTION_TYPE, "client_assertion": "x.y.z"}
    assert presented_credentials(None, fields) == Presented(
        "private_key_jwt", None, assertion="x.y.z"
    )


def test_a_bare_client_id_authenticates_nothing() -> None:
    assert presented_credentials(None, {"client_id": "a"}) == Presented(None, "a")


@pytest.mark.parametrize(
    ("authorization", "fields", "error"),
    [
        ("Basic !!!", {}, "invalid_client"),
        (basic("no-colon"), {}, "invalid_client"),
        (basic(":secret"), {}, "invalid_client"),
        (basic("a:b"), {"client_secret": "b", "client_id": "a"}, "invalid_request"),
        (basic("a:b"), {"client_id": "other"}, "invalid_request"),
        (None, {"client_secret": "s"}, "invalid_request"),
        (None, {"client_assertion": "x"}, "invalid_request"),
        (None, {"client_assertion_type": "urn:other", "client_assertion": "x"}, "invalid_request"),
        (
            None,
            {"client_id": "a", "client_secret": "s", "client_assertion": "x"},
            "invalid_request",
        ),
    ],
)
def test_refused(authorization: str | None, fields: dict[str, str], error: str) -> None:
    with pytest.raises(OAuthError) as refused:
        presented_credentials(authorization, fields)
    assert refused.value.error == error
    if error == "invalid_client":
        assert refused.value.status == 401
        assert refused.value.headers["WWW-Authenticate"] == 'Basic realm="jwtgate"'
