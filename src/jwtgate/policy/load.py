"""Policy text (or stored JSON) -> a validated ``Policy``, or every problem with its line.

SPEC §3: "any other key, a bad value, a duplicate id or a dangling reference is
rejected with ``FILE:LINE:COL: reason`` naming the key". Validation runs in three
stages: YAML syntax (fatal), then duplicate keys and the pydantic schema together (all
reported), then the cross-entry checks of ``checks.py`` on a well-formed policy.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from jwtgate.policy.checks import check_policy
from jwtgate.policy.parse import parse_yaml
from jwtgate.policy.problems import Path, PolicyError, PolicyProblem, Positions
from jwtgate.policy.schema import Policy

__all__ = ["load_policy", "policy_from_dict"]

_STORED = "<stored policy>"

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "true or false",
    "float_type": "a number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
_BOUNDS = {  # pydantic error type -> (operator shown, ctx key of the bound)
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}


def _describe(value: Any) -> str:
    """Name a YAML value's type for "expected X, got Y" messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int | float | str):
        kind = "string" if isinstance(value, str) else "number"
        shown = repr(value)
        return f"the {kind} {shown if len(shown) <= 40 else shown[:37] + '...'}"
    return "a list" if isinstance(value, list) else "a mapping"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(path: Path) -> str:
    """The keys of the model that sits at ``path``, for "unknown key" messages."""
    model: type[BaseModel] | None = Policy
    for part in path:
        if model is None:
            break
        if isinstance(part, str):
            field = model.model_fields.get(part)
            model = _model_in(field.annotation) if field else None
    return ", ".join(model.model_fields) if model else "?"


def _message(error: ErrorDetails) -> str:
    kind, value, ctx = error["type"], error["input"], error.get("ctx", {})
    if kind in _EXPECTED:
        hint = " (quote it)" if kind == "string_type" and isinstance(value, float) else ""
        return f"expected {_EXPECTED[kind]}, got {_describe(value)}{hint}"
    if kind in _BOUNDS:
        operator, key = _BOUNDS[kind]
        bound = ctx[key]
        shown = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
        return f"{value!r} is out of range: must be {operator} {shown}"
    if kind == "too_short":
        return "must not be empty"
    if kind == "literal_error":
        return f"{value!r} must be {ctx['expected']}"
    return str(error["msg"])


def _problem(error: ErrorDetails, positions: Positions, filename: str) -> PolicyProblem:
    """Map one pydantic error to the recorded position of its ``loc`` (or nearest parent).

    pydantic ends the ``loc`` of a bad mapping key with ``"[key]"``; a key really named
    ``[key]`` is told apart by having a recorded position of its own.
    """
    loc: Path = tuple(error["loc"])
    kind = error["type"]
    at_key = kind != "extra_forbidden" and loc[-1:] == ("[key]",) and loc not in positions.values
    path = loc[:-1] if at_key else loc
    if kind == "extra_forbidden" and path:
        message = f"unknown key {path[-1]!r} (allowed: {_allowed_keys(path[:-1])})"
        return positions.problem(filename, path, message, at_key=True)
    if kind == "missing" and path:
        return positions.problem(filename, path[:-1], f"missing required key {path[-1]!r}")
    return positions.problem(filename, path, _message(error), at_key=at_key)


def _validate(
    data: dict[str, Any],
    positions: Positions,
    filename: str,
    problems: list[PolicyProblem],
    now: datetime | None,
) -> Policy:
    try:
        policy = Policy.model_validate(data)
    except ValidationError as err:
        problems = problems + [_problem(e, positions, filename) for e in err.errors()]
        raise PolicyError(problems) from None
    if problems:
        raise PolicyError(problems)
    policy._positions = positions
    problems = check_policy(policy, filename, now)
    if problems:
        raise PolicyError(problems)
    return policy


def load_policy(text: str, filename: str = "<policy>", *, now: datetime | None = None) -> Policy:
    """Parse and validate one policy file (SPEC §3); raises only ``PolicyError``.

    ``now`` (default: the current time) dates client certificates.
    """
    data, positions, problems = parse_yaml(text, filename)
    return _validate(data, positions, filename, problems, now or datetime.now(UTC))


def policy_from_dict(data: dict[str, Any]) -> Policy:
    """Rebuild a stored policy (``policy.model_dump(mode="json")``); raises ``PolicyError``.

    Every rule is checked again except certificate dates, which only bind at apply time.
    """
    if not isinstance(data, dict):
        raise PolicyError([PolicyProblem(_STORED, 1, 1, "the policy must be a mapping")])
    return _validate(data, Positions(), _STORED, [], None)
