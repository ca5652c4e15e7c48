"""Who may read and write which secret (SPEC §2.4), without HTTP or storage.

Conjur's rules, on the policy snapshot:

- The caller is the host or user an authn-jwt access token names: ``acct`` is its
  account, ``sub`` its login (``host/<id>`` or ``<id>``). Other jwtgate tokens (OAuth
  clients) name no host or user, so no variable is visible to them: variable permits
  name only ``host:<id>`` and ``user:<id>``, and a client id must not pass for a user
  of the same name.
- A variable is *visible* to a caller of its own account that holds ``execute`` or
  ``update`` on it. Unknown and invisible are one answer (404), so that a caller cannot
  probe which variables exist; a visible variable without the privilege asked for is
  403.
- Batch ids are ``account:variable:id``; anything else makes the list bad (422).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from jwtgate.policy import Snapshot

__all__ = [
    "Access",
    "Caller",
    "Privilege",
    "access",
    "caller_of",
    "parse_variable_ids",
]

Privilege = Literal["execute", "update"]
_AUTHN_JWT = "authn-jwt/"


class Access(Enum):
    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"  # visible, but without the privilege: 403
    NOT_FOUND = "not_found"  # unknown or invisible: 404


@dataclass(frozen=True)
class Caller:
    """The identity a token speaks for; ``ref`` is the form permits use."""

    account: str
    ref: str


def caller_of(claims: Mapping[str, Any]) -> Caller | None:
    """The host or user of an authn-jwt access token, else None (see module docstring)."""
    account, subject, authn = claims.get("acct"), claims.get("sub"), claims.get("authn")
    if not (isinstance(account, str) and isinstance(subject, str) and isinstance(authn, str)):
        return None
    if not authn.startswith(_AUTHN_JWT) or not subject:
        return None
    if subject.startswith("host/"):
        return Caller(account, f"host:{subject[5:]}")
    return Caller(account, f"user:{subject}")


def access(
    snapshot: Snapshot,
    caller: Caller | None,
    account: str,
    variable_id: str,
    privilege: Privilege,
) -> Access:
    """Whether ``caller`` may use ``privilege`` on ``account``'s variable ``variable_id``."""
    compiled = snapshot.accounts.get(account)
    variable = compiled.variables.get(variable_id) if compiled else None
    if variable is None or caller is None or caller.account != account:
        return Access.NOT_FOUND
    if caller.ref not in variable.execute and caller.ref not in variable.update:
        return Access.NOT_FOUND
    granted = variable.execute if privilege == "execute" else variable.update
    return Access.ALLOWED if caller.ref in granted else Access.FORBIDDEN


def parse_variable_ids(text: str | None) -> list[tuple[str, str]]:
    """``acct:variable:a,acct:variable:b`` → ``[(acct, a), (acct, b)]``; ``ValueError``
    naming the first bad entry when the list is missing, empty or not of that form."""
    if not text:
        raise ValueError("variable_ids is required: account:variable:id,…")
    parsed: list[tuple[str, str]] = []
    for entry in text.split(","):
        account, _, rest = entry.partition(":")
        kind, _, variable_id = rest.partition(":")
        if not account or kind != "variable" or not variable_id:
            raise ValueError(f"{entry!r} is not account:variable:id")
        parsed.append((account, variable_id))
    return parsed
