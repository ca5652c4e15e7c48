"""The validation engine: one ordered tuple of named checks (DESIGN "Validation").

:func:`validate` runs :data:`CHECKS` in SPEC §2.1 order and raises the first failure
as :class:`~jwtgate.errors.AuthError` with ``check`` set to the check's name;
:func:`explain` runs the same tuple for ``jwtgate token inspect`` and reports each
check. No rule exists anywhere else.

Order (SPEC §2.1 — structure, checked by :func:`~jwtgate.jose.parse.parse_token`,
comes first and is the front door's call)::

    algorithm → keys → key → signature → type → exp → nbf → iat → lifetime → iss → aud

How :func:`explain` reports:

- ``passed=True``: the check ran and passed; ``message`` says what it found.
- ``passed=False``: it failed; ``code``/``reason`` are those :func:`validate` would
  raise had it been the first failure, ``message`` is the error's (log-level) detail.
- ``passed=None``: not evaluated — either the rules do not ask for it (``type``
  without ``token_type``, ``lifetime`` without a maximum, ``iss`` with no issuer known,
  ``aud`` without audience) or a check it depends on did not pass.

After a failure, explain keeps evaluating every check whose inputs exist: the chain
algorithm → keys → key → signature stops at its first failure (each needs the one
before), ``lifetime`` needs ``exp`` and ``iss`` needs ``keys`` (a discovery source
supplies the issuer), while ``type``, ``exp``, ``nbf``, ``iat`` and ``aud`` are always
evaluated, so one report lists every problem of a token. Claims evaluated after a
failed signature are, of course, unverified. The first ``passed=False`` entry is
always exactly what :func:`validate` raises.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from jwtgate.errors import AuthError, ErrorCode, Reason
from jwtgate.jose import claims as rule
from jwtgate.jose.algorithms import Algorithm
from jwtgate.jose.keys.base import KeySet, KeySource, VerificationKey
from jwtgate.jose.parse import ParsedToken
from jwtgate.jose.rules import Rules, VerifiedToken
from jwtgate.jose.verify import check_algorithm, check_signature, obtain_keys, select_keys

__all__ = ["CHECKS", "CHECK_NAMES", "Check", "CheckResult", "explain", "validate"]


@dataclass
class _Run:
    """The state one validation builds up as checks pass."""

    parsed: ParsedToken
    rules: Rules
    source: KeySource
    now: float
    algorithm: Algorithm | None = None
    keys: KeySet | None = None
    candidates: tuple[VerificationKey, ...] = field(default=())
    key: VerificationKey | None = None

    @property
    def issuer(self) -> str | None:
        return self.rules.issuer if self.rules.issuer is not None else self.source.issuer


@dataclass(frozen=True)
class Check:
    """One named step; ``needs`` names the checks whose results it uses."""

    name: str
    run: Callable[[_Run], Awaitable[str]]
    needs: tuple[str, ...] = ()
    applies: Callable[[_Run], bool] = lambda run: True


@dataclass(frozen=True)
class CheckResult:
    """One line of :func:`explain`: ``passed`` is True, False or None (not evaluated)."""

    name: str
    passed: bool | None
    code: ErrorCode | None
    reason: Reason | None
    message: str


async def _algorithm(run: _Run) -> str:
    run.algorithm = check_algorithm(run.parsed, run.rules)
    return f"{run.parsed.algorithm} is allowed"


async def _keys(run: _Run) -> str:
    run.keys = await obtain_keys(run.source)
    return f"{len(run.keys)} usable key(s)"


async def _key(run: _Run) -> str:
    assert run.algorithm is not None and run.keys is not None
    run.candidates = await select_keys(run.parsed, run.algorithm, run.keys, run.source)
    return ", ".join(key.describe() for key in run.candidates)


async def _signature(run: _Run) -> str:
    assert run.algorithm is not None
    run.key = await check_signature(run.parsed, run.algorithm, run.candidates, run.source)
    return f"verifies with {run.key.describe()}"


async def _type(run: _Run) -> str:
    assert run.rules.token_type is not None
    return rule.check_type(run.parsed.header, run.rules.token_type)


async def _exp(run: _Run) -> str:
    return rule.check_exp(run.parsed.claims, run.rules, run.now)


async def _nbf(run: _Run) -> str:
    return rule.check_nbf(run.parsed.claims, run.rules, run.now)


async def _iat(run: _Run) -> str:
    return rule.check_iat(run.parsed.claims, run.rules, run.now)


async def _lifetime(run: _Run) -> str:
    assert run.rules.max_lifetime_seconds is not None
    limit, leeway = run.rules.max_lifetime_seconds, run.rules.leeway_seconds
    return rule.check_lifetime(run.parsed.claims, limit, leeway, run.now)


async def _iss(run: _Run) -> str:
    assert run.issuer is not None
    return rule.check_iss(run.parsed.claims, run.issuer)


async def _aud(run: _Run) -> str:
    return rule.check_aud(run.parsed.claims, run.rules)


CHECKS: tuple[Check, ...] = (
    Check("algorithm", _algorithm),
    Check("keys", _keys, needs=("algorithm",)),
    Check("key", _key, needs=("keys",)),
    Check("signature", _signature, needs=("key",)),
    Check("type", _type, applies=lambda run: run.rules.token_type is not None),
    Check("exp", _exp),
    Check("nbf", _nbf),
    Check("iat", _iat),
    Check(
        "lifetime",
        _lifetime,
        needs=("exp",),
        applies=lambda run: run.rules.max_lifetime_seconds is not None,
    ),
    Check("iss", _iss, needs=("keys",), applies=lambda run: run.issuer is not None),
    Check("aud", _aud, applies=lambda run: bool(run.rules.audience)),
)
"""SPEC §2.1 order; the first failure is the one reported."""

CHECK_NAMES: tuple[str, ...] = tuple(check.name for check in CHECKS)


async def validate(
    parsed: ParsedToken, rules: Rules, keys: KeySource, *, now: float
) -> VerifiedToken:
    """Verify a parsed token against ``rules`` with keys from ``keys`` at time ``now``.

    Raises :class:`AuthError` (``check`` = the failing check's name) at the first
    failure; returns the verified header and claims otherwise.
    """
    run = _Run(parsed, rules, keys, now)
    for check in CHECKS:
        if not check.applies(run):
            continue
        try:
            await check.run(run)
        except AuthError as error:
            error.check = check.name
            raise
    assert run.key is not None
    return VerifiedToken(
        header=parsed.header,
        claims=parsed.claims,
        algorithm=parsed.algorithm,
        key_id=run.key.kid if run.key.kid is not None else parsed.key_id,
    )


async def explain(
    parsed: ParsedToken, rules: Rules, keys: KeySource, *, now: float
) -> list[CheckResult]:
    """Every check of :data:`CHECKS`, in order, with its result (see module docstring)."""
    run = _Run(parsed, rules, keys, now)
    results: list[CheckResult] = []
    not_passed: set[str] = set()
    for check in CHECKS:
        blocked = next((name for name in check.needs if name in not_passed), None)
        if blocked is not None:
            not_passed.add(check.name)
            results.append(
                CheckResult(check.name, None, None, None, f"skipped: {blocked} did not pass")
            )
        elif not check.applies(run):
            results.append(CheckResult(check.name, None, None, None, "not required"))
        else:
            try:
                message = await check.run(run)
            except AuthError as error:
                error.check = check.name
                not_passed.add(check.name)
                results.append(
                    CheckResult(check.name, False, error.code, error.reason, error.detail)
                )
            else:
                results.append(CheckResult(check.name, True, None, None, message))
    return results
