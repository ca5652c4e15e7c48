"""Who would a new policy lock out? Replay recent successes against it (SPEC §3, §2.6).

Accepted authn-jwt decisions keep their verified claims in the audit trail for
``audit.claims_retention_days``. A dry run compiles the new policy and runs, for each
such identity, the checks that do not need the original token — the authenticator,
``iss`` and ``aud``, identity, permission and claim bindings — using the engine's and
the authn pipeline's own check functions, so no rule exists twice. Signatures and
times cannot be replayed and are not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from jwtgate.audit import AuditEvent
from jwtgate.authn_jwt import (
    check_bindings,
    check_permitted,
    find_authenticator,
    resolve_identity,
    rules_for,
)
from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.jose.claims import check_aud, check_iss
from jwtgate.policy import Policy, compile_snapshot

__all__ = ["find_lockouts"]


def find_lockouts(policy: Policy, successes: Iterable[AuditEvent]) -> list[dict[str, Any]]:
    """One entry per (identity, authenticator) that succeeded recently and would now fail."""
    snapshot = compile_snapshot({policy.account: policy}, 0)
    lockouts: dict[tuple[str, str], dict[str, Any]] = {}
    for event in successes:
        if event.front_door != "authn-jwt" or event.account != policy.account:
            continue
        if event.claims is None or event.subject is None or event.authenticator is None:
            continue
        key = (event.subject, event.authenticator)
        if key in lockouts:
            continue
        try:
            account, authenticator = find_authenticator(
                snapshot, policy.account, event.authenticator
            )
            rules = rules_for(authenticator)
            if rules.issuer is not None:
                _named("iss", check_iss, event.claims, rules.issuer)
            if rules.audience:
                _named("aud", check_aud, event.claims, rules)
            login = None if authenticator.token_app_property else event.subject
            identity = resolve_identity(account, authenticator, login, event.claims)
            if identity.login != event.subject:
                raise AuthError(
                    ErrorCode.TOKEN_INVALID,
                    f"the token would now name {identity.login}, not {event.subject}",
                    reason=Reason.UNKNOWN_IDENTITY,
                    check="identity",
                )
            check_permitted(authenticator, identity)
            check_bindings(authenticator, identity, event.claims)
        except AuthError as error:
            lockouts[key] = {
                "account": policy.account,
                "identity": event.subject,
                "authenticator": event.authenticator,
                "check": error.check or "unknown",
                "reason": str(error.reason or error.code),
            }
    return sorted(lockouts.values(), key=lambda entry: (entry["identity"], entry["authenticator"]))


def _named(name: str, check: Callable[..., str], *args: Any) -> None:
    """Run one of the engine's claim checks, naming it in the error as the engine does."""
    try:
        check(*args)
    except AuthError as error:
        error.check = error.check or name
        raise
