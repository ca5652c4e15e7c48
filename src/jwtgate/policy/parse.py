"""YAML text -> plain Python data, with the position of every key and value.

SPEC §3 wants every rejection as ``FILE:LINE:COL``, so the file is composed into
nodes (which carry marks) rather than loaded straight to Python objects. The loader
is deliberately narrower than YAML 1.1:

- anchors and aliases are refused (no billion-laughs expansion), and so is every tag
  beyond the standard scalars, sequences and mappings (tags are never executed);
- scalars resolve as in YAML 1.2's core schema: only ``true``/``false`` are booleans
  (``yes``, ``on``, ``NO`` stay strings), integers are plain decimals without leading
  zeros (``0755`` stays a string, it is not octal 493), dates stay strings;
- a duplicate key in any mapping is an error at its second occurrence;
- text over 1 MiB and nesting deeper than 64 levels are refused.
"""

from __future__ import annotations

import math
import re
from types import MappingProxyType
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, NodeEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from jwtgate.policy.problems import Path, PolicyError, PolicyProblem, Positions, format_path

__all__ = ["MAX_POLICY_BYTES", "parse_yaml"]

MAX_POLICY_BYTES = 1024 * 1024
_MAX_DEPTH = 64
_MAX_INT_DIGITS = 4000  # below Python's int/str conversion limit

_YAML = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset(
    {None, "!"} | {_YAML + t for t in ("str", "int", "float", "bool", "null", "seq", "map")}
)
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


class _Refused(yaml.MarkedYAMLError):
    """A YAML feature the policy loader does not allow, at its mark."""


class _Loader(yaml.SafeLoader):
    """SafeLoader whose composer refuses anchors, aliases, exotic tags and deep nesting."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        mark: Any = event.start_mark
        if isinstance(event, AliasEvent) or (
            isinstance(event, NodeEvent) and event.anchor is not None
        ):
            raise _Refused(problem="anchors and aliases are not allowed", problem_mark=mark)
        if isinstance(event, ScalarEvent | CollectionStartEvent) and event.tag not in _ALLOWED_TAGS:
            raise _Refused(problem=f"tag {event.tag!r} is not allowed", problem_mark=mark)
        if self._depth >= _MAX_DEPTH:
            raise _Refused(problem=f"nesting deeper than {_MAX_DEPTH} levels", problem_mark=mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def _yaml_problem(text: str, filename: str, err: yaml.YAMLError) -> PolicyProblem:
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        what = err.problem or err.context or "invalid YAML"
        if err.context and err.problem:
            what = f"{what} ({err.context})"
        prefix = "" if isinstance(err, _Refused) else "YAML syntax error: "
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return PolicyProblem(filename, line, col, prefix + what)
    if isinstance(err, yaml.reader.ReaderError):
        line, col = _line_col(text, err.position)
        return PolicyProblem(filename, line, col, f"YAML syntax error: {err.reason}")
    return PolicyProblem(filename, 1, 1, f"YAML syntax error: {err}")


def _scalar(node: ScalarNode) -> Any:
    """Resolve a scalar per YAML 1.2 core, conservatively (anything doubtful is a string)."""
    tag, value = node.tag, node.value
    if tag == _YAML + "null":
        return None
    if tag == _YAML + "bool" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if tag == _YAML + "int" and _INT.fullmatch(value) and len(value) <= _MAX_INT_DIGITS:
        return int(value)
    if tag == _YAML + "float" and _FLOAT.fullmatch(value) and len(value) <= _MAX_INT_DIGITS:
        number = float(value)
        return number if math.isfinite(number) else value
    return value


class _Builder:
    """Walks the node tree, recording positions and structural problems."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.keys: dict[Path, tuple[int, int]] = {}
        self.values: dict[Path, tuple[int, int]] = {}
        self.problems: list[PolicyProblem] = []

    def build(self, node: Node, path: Path) -> Any:
        self.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, ScalarNode):
            return _scalar(node)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            mark = key_node.start_mark
            if not isinstance(key_node, ScalarNode):
                self._problem(mark, f"{_where(path)}mapping keys must be plain strings")
                continue
            key = key_node.value
            if key in out:
                self._problem(mark, f"{_where(path)}duplicate key {key!r}")
                continue
            self.keys[(*path, key)] = (mark.line + 1, mark.column + 1)
            out[key] = self.build(value_node, (*path, key))
        return out

    def _problem(self, mark: yaml.Mark, message: str) -> None:
        self.problems.append(PolicyProblem(self.filename, mark.line + 1, mark.column + 1, message))


def _where(path: Path) -> str:
    return f"{format_path(path)}: " if path else ""


def parse_yaml(text: str, filename: str) -> tuple[dict[str, Any], Positions, list[PolicyProblem]]:
    """Parse a policy file into a mapping, its positions and its structural problems.

    Raises ``PolicyError`` when nothing usable can be built (size, syntax, not a mapping).
    Duplicate keys are returned as problems so that schema errors can be reported too.
    """
    if (
        len(text) > MAX_POLICY_BYTES
        or len(text.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES
    ):
        raise PolicyError([PolicyProblem(filename, 1, 1, "policy is larger than 1 MiB")])
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as err:
        raise PolicyError([_yaml_problem(text, filename, err)]) from None
    if root is None or (isinstance(root, ScalarNode) and root.tag == _YAML + "null"):
        raise PolicyError([PolicyProblem(filename, 1, 1, "empty policy")])
    if not isinstance(root, MappingNode):
        mark = root.start_mark
        raise PolicyError(
            [
                PolicyProblem(
                    filename, mark.line + 1, mark.column + 1, "the policy must be a mapping"
                )
            ]
        )
    builder = _Builder(filename)
    data = builder.build(root, ())
    return (
        data,
        Positions(MappingProxyType(builder.keys), MappingProxyType(builder.values)),
        builder.problems,
    )
