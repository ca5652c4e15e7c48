"""The two ways the client SDK fails (SPEC §6).

A configuration that SPEC §6 refuses is a :class:`JwtAuthConfigError` naming the field
(never its value: the value may be a private key or a secret). A server that will not
issue a token is a :class:`TokenRequestError` quoting what the server said — the OAuth
``error`` and ``error_description`` of RFC 6749 §5.2, and for authn-jwt also the
``reason`` of SPEC §4 — so that the caller sees *why* without reading server logs.
Network failures stay httpx's own exceptions, as with any httpx call.
"""

from __future__ import annotations

__all__ = ["JwtAuthConfigError", "TokenRequestError"]


class JwtAuthConfigError(ValueError):
    """A configuration value refused when the config is built, naming its field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class TokenRequestError(Exception):
    """The token endpoint or authn-jwt answered without a usable token."""

    def __init__(
        self,
        url: str,
        status_code: int,
        *,
        error: str | None = None,
        error_description: str | None = None,
        reason: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.url = url
        self.status_code = status_code
        self.error = error
        self.error_description = error_description
        self.reason = reason
        super().__init__(self._describe(detail))

    def _describe(self, detail: str | None) -> str:
        said = self.error or "no OAuth error code"
        if self.reason:
            said += f" ({self.reason})"
        if self.error_description:
            said += f": {self.error_description}"
        if detail:
            said += f" — {detail}"
        return f"{self.url} answered HTTP {self.status_code}: {said}"
