"""The token-endpoint request body (RFC 6749 §3.2, §3.1), parsed without I/O.

- The body is ``application/x-www-form-urlencoded`` UTF-8 (RFC 6749 Appendix B); a
  body that does not decode is ``invalid_request``.
- "Request and response parameters MUST NOT be included more than once" (RFC 6749
  §3.1): a repeated parameter is ``invalid_request`` naming it — many servers silently
  keep the first or last value (DESIGN "Known traps").
- "Parameters sent without a value MUST be treated as if they were omitted" (§3.1).
- ``format`` (SPEC §2.3, from the API-gateway flow) picks the body shape of successes
  and errors alike, so it is read before anything else can fail.
"""

from __future__ import annotations

import urllib.parse
from collections import Counter
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, get_args

from jwtgate.oauth.errors import OAuthCode, OAuthError

__all__ = ["FORMATS", "Format", "form_fields", "parse_pairs", "response_format"]

Format = Literal["json", "urlencoded", "xml"]
FORMATS: tuple[Format, ...] = get_args(Format)
MAX_FIELDS = 100


def _invalid(words: str) -> OAuthError:
    return OAuthError(OAuthCode.INVALID_REQUEST, words)


def parse_pairs(body: bytes) -> list[tuple[str, str]]:
    """Every ``name=value`` pair in order, percent-decoded as UTF-8."""
    try:
        text = body.decode("utf-8")
        return urllib.parse.parse_qsl(
            text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS
        )
    except UnicodeDecodeError:
        raise _invalid("the request body is not UTF-8 form data (RFC 6749 Appendix B)") from None
    except ValueError:
        raise _invalid(f"the request body has more than {MAX_FIELDS} parameters") from None


def response_format(pairs: list[tuple[str, str]]) -> Format:
    """SPEC §2.3 ``format``: json (default), urlencoded or xml; anything else is refused.

    Raised errors render as JSON — the caller's choice is not known when it is bad.
    """
    values = [value for name, value in pairs if name == "format"]
    if len(values) > 1:
        raise _invalid("the parameter format is repeated (RFC 6749 section 3.1)")
    chosen = values[0] if values and values[0] else "json"
    for candidate in FORMATS:
        if chosen == candidate:
            return candidate
    raise _invalid(f"format must be one of {', '.join(FORMATS)}")


def form_fields(pairs: list[tuple[str, str]]) -> Mapping[str, str]:
    """The parameters by name: a repeated one is refused, an empty one omitted (§3.1)."""
    counts = Counter(name for name, _ in pairs)
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        names = ", ".join(ascii(name)[:64] for name in repeated[:5])
        raise _invalid(f"the parameter {names} is repeated; send each once (RFC 6749 section 3.1)")
    return MappingProxyType({name: value for name, value in pairs if value})
