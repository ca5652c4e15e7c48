"""What an apply would change, and the applied policy as YAML (SPEC §3, SPEC §2.6).

``policy apply --dry-run`` and ``POST /admin/policy`` report ``changes``; a second apply
of the same file reports none. ``policy show`` and ``GET /admin/policy`` print the
policy with defaults filled in, in the key order of SPEC §3, and that text loads back
to an equal policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import yaml
from pydantic import BaseModel

from jwtgate.policy.schema import Policy

__all__ = ["diff_policies", "dump_policy"]

_SECTIONS: tuple[tuple[str, str, Callable[[dict[str, Any]], str]], ...] = (
    ("authenticators", "authenticator", lambda e: e["id"]),
    ("hosts", "host", lambda e: e["id"]),
    ("users", "user", lambda e: e["id"]),
    ("clients", "client", lambda e: e["id"]),
    ("trusted_issuers", "trusted issuer", lambda e: e["issuer"]),
    ("variables", "variable", lambda e: e["id"]),
    ("routes", "route", lambda e: e["prefix"]),
)
_OPAQUE = frozenset({"certificate", "jwks", "public_keys", "ca_cert", "secret_sha256"})
"""Fields too long (or too sensitive) to print: a change is only named."""
_EXCLUSIVE = frozenset(
    {"jwks_uri", "provider_uri", "public_keys", "certificate", "jwks", "secret_sha256"}
)
"""Key sources and credentials: exactly one is set, so the unset ones are not dumped."""
_MISSING = object()
"""A mapping key (a claim, an alias) present on one side only."""


def _show(value: Any) -> str:
    """A short, YAML-flavoured rendering of a value for a change line."""
    if value is _MISSING:
        return "(unset)"
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, list):
        text = "[" + ", ".join(_show(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Field paths of an entry; nested mappings (claims, permit) are walked into."""
    for key, value in data.items():
        if isinstance(value, dict) and key not in _OPAQUE:
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _presence(value: Any) -> str:
    return "null" if value is None else "(set)"


def _changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[str]:
    before, after = dict(_flatten(old)), dict(_flatten(new))
    for path in dict.fromkeys([*before, *after]):
        a, b = before.get(path, _MISSING), after.get(path, _MISSING)
        if a == b:
            continue
        if path in _OPAQUE:
            both = a is not None and b is not None
            yield f"{path} changed" if both else f"{path} {_presence(a)} -> {_presence(b)}"
        else:
            yield f"{path} {_show(a)} -> {_show(b)}"


def diff_policies(old: Policy | None, new: Policy) -> list[str]:
    """Human lines (``+ host x``, ``- user y``, ``~ host x: claims.b 'a' -> 'b'``); [] if equal.

    Entries are matched by id (trusted issuers by issuer, routes by prefix), so moving
    an entry is reported only when nothing else changed (as a reordering), keeping
    ``[]`` exactly "the same policy".
    """
    after = _dump(new)
    if old is None:
        added = [f"+ {kind} {key(e)}" for s, kind, key in _SECTIONS for e in after[s]]
        return [f"+ account {new.account}", *added]
    before = _dump(old)
    lines: list[str] = []
    if old.account != new.account:
        lines.append(f"~ account {_show(old.account)} -> {_show(new.account)}")
    for section, kind, key in _SECTIONS:
        olds = {key(e): e for e in before[section]}
        news = {key(e): e for e in after[section]}
        lines += [f"- {kind} {k}" for k in olds if k not in news]
        for k, entry in news.items():
            if k not in olds:
                lines.append(f"+ {kind} {k}")
            else:
                lines += [f"~ {kind} {k}: {change}" for change in _changes(olds[k], entry)]
    if not lines and old != new:
        lines = [f"~ order of {s}" for s, _, _ in _SECTIONS if before[s] != after[s]]
    return lines


def _dump(policy: Policy) -> dict[str, Any]:
    return policy.model_dump(mode="json")


class _Dumper(yaml.SafeDumper):
    """Safe YAML without anchors; PEM as literal blocks, lists of scalars on one line."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    flow = all(not isinstance(v, dict | list) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)


def _document(model: BaseModel) -> dict[str, Any]:
    """Field order as declared (= SPEC §3), unset key sources and credentials left out."""
    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None and name in _EXCLUSIVE:
            continue
        if isinstance(value, BaseModel):
            out[name] = _document(value)
        elif isinstance(value, list):
            out[name] = [_document(v) if isinstance(v, BaseModel) else v for v in value]
        else:
            out[name] = value
    return out


def dump_policy(policy: Policy) -> str:
    """The policy as YAML with every default filled in; ``load_policy`` reads it back equal."""
    return yaml.dump(
        _document(policy),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
