"""docs/api.md is the command table's reference as generated now (regenerate: python -m nicstack.api.docs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nicstack.api.docs import DIFFERENCES, render
from nicstack.api.registry import COMMANDS

pytestmark = pytest.mark.unit

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_the_api_reference_in_the_repository_is_current() -> None:
    assert DOCS.read_text() == render(), "docs/api.md is stale: python -m nicstack.api.docs > docs/api.md"


def test_every_documented_difference_names_a_command_nicstack_answers() -> None:
    assert set(DIFFERENCES) <= set(COMMANDS)


def test_every_command_and_parameter_is_in_the_reference() -> None:
    text = render()
    for command in COMMANDS.values():
        assert f"### {command.name}\n" in text
        assert all(f"| `{p.name}` |" in text for p in command.params)
