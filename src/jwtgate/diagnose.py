"""Why is this token rejected? The report of ``token inspect`` and ``/admin/diagnose``.

The report runs the very checks the server runs — ``parse_token``, the engine's
:func:`~jwtgate.jose.explain` and the authn pipeline's identity, permission and binding
checks — so there is no second implementation of any rule. It adds what a person
needs to read a token: the three parts decoded and the times in UTC and relative.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from jwtgate.access_tokens import credential_from_authorization
from jwtgate.authn_jwt import (
    check_bindings,
    check_permitted,
    find_authenticator,
    key_config,
    resolve_identity,
    rules_for,
)
from jwtgate.errors import AuthError, Reason
from jwtgate.jose import KeySource, ParsedToken, Rules, explain, parse_token
from jwtgate.key_sources import KeySourceRegistry
from jwtgate.oauth import ClientEntry, OAuthCode, OAuthContext, OAuthError
from jwtgate.oauth.assertions import (
    assertion_issuer,
    certificate_in_date,
    party_name,
    party_rules,
)
from jwtgate.oauth.jwt_bearer import allowed_subject, find_party
from jwtgate.policy import Snapshot

__all__ = [
    "CheckLine",
    "Report",
    "clean_token",
    "inspect_authenticator",
    "inspect_oauth",
    "inspect_with_rules",
]

Status = Literal["pass", "fail", "skip"]
_REASONS = {str(reason) for reason in Reason}
_QUOTES = "\"'`"


@dataclass
class CheckLine:
    name: str
    status: Status
    message: str
    code: str | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "code": self.code,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass
class Report:
    """Decoded parts, times and every check; ``accepted`` only when all ran and passed."""

    target: dict[str, Any]
    token: dict[str, Any]
    times: dict[str, Any]
    checks: list[CheckLine] = field(default_factory=list)

    @property
    def first_failure(self) -> CheckLine | None:
        return next((line for line in self.checks if line.status == "fail"), None)

    @property
    def accepted(self) -> bool:
        required_skipped = any(
            line.status == "skip" and line.message.startswith("skipped") for line in self.checks
        )
        return self.first_failure is None and not required_skipped and bool(self.checks)

    def as_json(self) -> dict[str, Any]:
        failure = self.first_failure
        return {
            "accepted": self.accepted,
            "error": {"code": failure.code, "reason": failure.reason, "check": failure.name}
            if failure
            else None,
            "target": self.target,
            "token": self.token,
            "times": self.times,
            "checks": [line.as_json() for line in self.checks],
        }


def clean_token(text: str) -> str:
    """A token pasted with ``Bearer ``, ``Token token="…"``, quotes or whitespace around it."""
    value = text.strip().strip(_QUOTES).strip()
    if value.lower().startswith(("bearer ", "token ")):
        try:
            found = credential_from_authorization(value)
        except AuthError:
            found = None
        value = found or value.split(" ", 1)[1]
    return re.sub(r"\s+", "", value).strip(_QUOTES)


def _decode_part(part: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        return {"undecodable": "not base64url"}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {"undecodable": f"{len(raw)} bytes that are not JSON"}


def _relative(seconds: float) -> str:
    amount = abs(seconds)
    if amount < 90:
        words = f"{amount:.0f} s"
    elif amount < 5400:
        words = f"{amount / 60:.0f} min"
    elif amount < 172800:
        words = f"{amount / 3600:.1f} h"
    else:
        words = f"{amount / 86400:.1f} days"
    return f"in {words}" if seconds > 0 else f"{words} ago"


def describe_token(token: str, now: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """The three parts decoded (best effort, even for a malformed token) and the times."""
    parts = token.split(".")
    decoded: dict[str, Any] = {"parts": len(parts), "length": len(token)}
    if len(parts) == 3:
        decoded["header"] = _decode_part(parts[0])
        decoded["claims"] = _decode_part(parts[1])
        decoded["signature_length"] = len(parts[2])
    times: dict[str, Any] = {}
    claims = decoded.get("claims")
    if isinstance(claims, dict):
        for name, verb in (
            ("exp", ("expires", "expired")),
            ("nbf", ("valid from",) * 2),
            ("iat", ("issued",) * 2),
        ):
            value = claims.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                when = datetime.fromtimestamp(float(value), UTC)
                delta = float(value) - now
                times[name] = {
                    "epoch": value,
                    "utc": when.strftime("%Y-%m-%d %H:%M:%S UTC"),
                    "relative": f"{verb[0] if delta > 0 else verb[1]} {_relative(delta)}",
                }
    return decoded, times


def _structure(token: str) -> tuple[ParsedToken | None, CheckLine]:
    try:
        parsed = parse_token(token)
    except AuthError as error:
        return None, CheckLine("structure", "fail", error.detail, str(error.code), None)
    return parsed, CheckLine("structure", "pass", f"a {parsed.algorithm} JWS")


def _from_engine(results: list[Any]) -> list[CheckLine]:
    lines = []
    for result in results:
        status: Status = "pass" if result.passed else "skip" if result.passed is None else "fail"
        lines.append(
            CheckLine(
                result.name,
                status,
                result.message,
                str(result.code) if result.code else None,
                str(result.reason) if result.reason else None,
            )
        )
    return lines


def _skip_rest(names: tuple[str, ...], why: str) -> list[CheckLine]:
    return [CheckLine(name, "skip", f"skipped: {why}") for name in names]


async def inspect_with_rules(
    token: str, rules: Rules, source: KeySource, *, now: float, target: dict[str, Any]
) -> Report:
    """Check a token against explicit rules (``--jwks-uri`` with issuer, audience, …)."""
    decoded, times = describe_token(token, now)
    report = Report(target, decoded, times)
    parsed, structure = _structure(token)
    report.checks.append(structure)
    if parsed is not None:
        report.checks.extend(_from_engine(await explain(parsed, rules, source, now=now)))
    return report


IDENTITY_CHECKS = ("identity", "permitted", "claim_bindings")


async def inspect_authenticator(
    token: str,
    snapshot: Snapshot,
    sources: KeySourceRegistry,
    *,
    account: str,
    service_id: str,
    login: str | None,
    now: float,
) -> Report:
    """Every check ``POST /authn-jwt/{service_id}/{account}[/{login}]`` would run."""
    target = {"kind": "authenticator", "account": account, "authenticator": service_id}
    if login:
        target["login"] = login
    decoded, times = describe_token(token, now)
    report = Report(target, decoded, times)
    parsed, structure = _structure(token)
    report.checks.append(structure)
    try:
        compiled_account, authenticator = find_authenticator(snapshot, account, service_id)
    except AuthError as error:
        report.checks.append(
            CheckLine("authenticator", "fail", error.detail, str(error.code), str(error.reason))
        )
        return report
    report.checks.append(CheckLine("authenticator", "pass", f"{account}/{service_id} is enabled"))
    if parsed is None:
        return report
    source = sources.get(key_config(authenticator))
    engine = _from_engine(await explain(parsed, rules_for(authenticator), source, now=now))
    report.checks.extend(engine)
    if any(line.status == "fail" for line in engine):
        report.checks.extend(_skip_rest(IDENTITY_CHECKS, "the token checks did not pass"))
        return report
    claims: Mapping[str, Any] = parsed.claims
    identity_holder: dict[str, Any] = {}

    async def identity() -> str:
        found = resolve_identity(compiled_account, authenticator, login, claims)
        identity_holder["value"] = found
        return f"the token speaks for {found.login}"

    async def permitted() -> str:
        check_permitted(authenticator, identity_holder["value"])
        return f"{identity_holder['value'].login} may use {service_id}"

    async def bindings() -> str:
        check_bindings(authenticator, identity_holder["value"], claims)
        return f"{len(identity_holder['value'].bindings)} bound claim(s) match"

    steps: list[tuple[str, Callable[[], Awaitable[str]]]] = [
        ("identity", identity),
        ("permitted", permitted),
        ("claim_bindings", bindings),
    ]
    for position, (name, step) in enumerate(steps):
        try:
            report.checks.append(CheckLine(name, "pass", await step()))
        except AuthError as error:
            report.checks.append(
                CheckLine(
                    name,
                    "fail",
                    error.detail,
                    str(error.code),
                    str(error.reason) if error.reason else None,
                )
            )
            rest = tuple(later for later, _ in steps[position + 1 :])
            report.checks.extend(_skip_rest(rest, f"{name} did not pass"))
            break
    return report


async def inspect_oauth(token: str, ctx: OAuthContext) -> Report:
    """The token endpoint's checks of a JWT bearer grant assertion (RFC 7523 §3).

    Single use is not checked (inspecting must not burn the assertion), and neither are
    the requesting client's grant types and scopes, which depend on the request.
    """
    target = {"kind": "oauth", "token_endpoint": f"{ctx.public_url}/oauth/token"}
    decoded, times = describe_token(token, ctx.now)
    report = Report(target, decoded, times)
    parsed, structure = _structure(token)
    report.checks.append(structure)
    if parsed is None:
        return report
    try:
        issuer = assertion_issuer(parsed, OAuthCode.INVALID_GRANT, "assertion")
        party = find_party(ctx, issuer)
        if party.keys is None:
            raise OAuthError(
                OAuthCode.INVALID_GRANT, f"{party_name(party)} has no key", label="unknown_key"
            )
        if isinstance(party, ClientEntry):
            certificate_in_date(party, ctx.now, OAuthCode.INVALID_GRANT)
    except OAuthError as error:
        report.checks.append(_oauth_line("party", error))
        return report
    report.checks.append(CheckLine("party", "pass", f"iss names {party_name(party)}"))
    rules = party_rules(ctx, party, ctx.settings.max_assertion_lifetime, ctx.assertion_audiences)
    if isinstance(party, ClientEntry) and party.valid_until is not None:
        parsed = dataclasses.replace(parsed, key_id=None)  # as the endpoint does
    source = ctx.key_sources.get(party.keys)
    engine = _from_engine(await explain(parsed, rules, source, now=ctx.now))
    report.checks.extend(engine)
    if any(line.status == "fail" for line in engine):
        report.checks.extend(_skip_rest(("subject",), "the token checks did not pass"))
        return report
    try:
        subject = allowed_subject(party, parsed.claims, f"assertion of {party_name(party)}")
    except OAuthError as error:
        report.checks.append(_oauth_line("subject", error))
    else:
        report.checks.append(CheckLine("subject", "pass", f"sub {subject} is allowed"))
    return report


def _oauth_line(name: str, error: OAuthError) -> CheckLine:
    label = error.label or str(error.error)
    code, reason = ("token_invalid", label) if label in _REASONS else (label, None)
    return CheckLine(name, "fail", error.description, code, reason)
