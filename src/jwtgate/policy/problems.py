"""Policy problems: ``FILE:LINE:COL: reason`` errors and the positions they point at.

SPEC §3: a bad policy file is rejected with ``FILE:LINE:COL: reason`` naming the key,
and nothing is changed. Every check of this package reports through these types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Path", "PolicyError", "PolicyProblem", "Positions", "format_path"]

Path = tuple[str | int, ...]
"""Where a value sits in the policy document: mapping keys and list indexes."""

_Pos = tuple[int, int]


def format_path(path: Path) -> str:
    """Render ``("hosts", 0, "claims")`` as ``hosts[0].claims`` for messages."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True)
class PolicyProblem:
    """One reason a policy is rejected; ``line`` and ``column`` are 1-based."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


def _order(problem: PolicyProblem) -> tuple[str, int, int, str]:
    return (problem.file, problem.line, problem.column, problem.message)


class PolicyError(Exception):
    """A policy was rejected; ``problems`` holds every reason, sorted by position."""

    def __init__(self, problems: Iterable[PolicyProblem]) -> None:
        self.problems: list[PolicyProblem] = sorted(problems, key=_order)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True, eq=False)
class Positions:
    """Source positions of a loaded policy: path -> (line, column) of keys and values.

    Positions say where a policy came from, not what it says, so any two compare equal:
    ``load_policy(dump_policy(p)) == p`` must hold although the lines differ.
    """

    keys: Mapping[Path, _Pos] = field(default_factory=lambda: MappingProxyType({}))
    values: Mapping[Path, _Pos] = field(default_factory=lambda: MappingProxyType({}))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Positions)

    def __hash__(self) -> int:
        return 0

    def locate(self, path: Path, *, at_key: bool = False) -> _Pos:
        """Position of ``path`` (its key, or its value), else of its nearest parent.

        A policy built from a dict has no positions: everything is at 1:1.
        """
        table = self.keys if at_key else self.values
        while True:
            found = table.get(path) or self.values.get(path)
            if found is not None:
                return found
            if not path:
                return (1, 1)
            path = path[:-1]

    def problem(
        self, file: str, path: Path, message: str, *, at_key: bool = False
    ) -> PolicyProblem:
        """A problem at ``path`` whose message starts with the rendered path."""
        line, column = self.locate(path, at_key=at_key)
        where = format_path(path)
        return PolicyProblem(file, line, column, f"{where}: {message}" if where else message)
