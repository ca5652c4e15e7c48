"""Every policy example in docs/ is a valid policy file (docs examples are tested)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jwtgate.policy import load_policy

DOCS = Path(__file__).resolve().parents[2] / "docs"
YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def policy_examples() -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for number, block in enumerate(YAML_BLOCK.findall(page.read_text())):
            if block.startswith("account:"):
                found.append((f"{page.name}#{number}", block))
    return found


def test_the_docs_have_policy_examples() -> None:
    assert len(policy_examples()) >= 3


@pytest.mark.parametrize(
    ("where", "text"), policy_examples(), ids=[w for w, _ in policy_examples()]
)
def test_policy_example_is_valid(where: str, text: str) -> None:
    policy = load_policy(text, where)
    assert policy.authenticators
