"""The public names of the OAuth pipeline are pinned (STYLE "Typed API")."""

from __future__ import annotations

import jwtgate.oauth


def test_all_is_pinned() -> None:
    assert sorted(jwtgate.oauth.__all__) == sorted(
        [
            "CLIENT_ASSERTION_TYPE",
            "CLIENT_CREDENTIALS",
            "EMPTY",
            "FORMATS",
            "JWT_BEARER",
            "METHODS",
            "TOKEN_PATHS",
            "AuthenticatedClient",
            "ClientDirectory",
            "ClientEntry",
            "Format",
            "Grant",
            "IssuerEntry",
            "OAuthCode",
            "OAuthContext",
            "OAuthError",
            "Presented",
            "Revocation",
            "SingleUse",
            "authenticate_client",
            "client_credentials_grant",
            "form_fields",
            "introspect",
            "issue",
            "jwt_bearer_grant",
            "parse_pairs",
            "plan_revocation",
            "presented_credentials",
            "response_format",
            "take_single_use",
            "token_fields",
            "unavailable",
        ]
    )
    for name in jwtgate.oauth.__all__:
        assert hasattr(jwtgate.oauth, name)
