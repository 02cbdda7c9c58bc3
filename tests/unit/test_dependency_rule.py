"""The pure packages (domain, ipam, render) import nothing that does I/O or belongs to outer layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import nicstack

pytestmark = pytest.mark.unit

PURE = ("domain", "ipam", "render")
FORBIDDEN = (
    "sqlalchemy", "alembic", "psycopg", "starlette", "uvicorn", "requests", "subprocess", "socket", "http",
    "urllib.request", "sqlite3", "threading", "nicstack.db", "nicstack.api", "nicstack.services",
    "nicstack.agent", "nicstack.ui", "nicstack.server", "nicstack.cli", "nicstack.bench",
)
ROOT = Path(nicstack.__file__).parent


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def pure_modules() -> list[Path]:
    return sorted(p for package in PURE if (ROOT / package).is_dir() for p in (ROOT / package).rglob("*.py"))


def test_there_are_pure_modules_to_check() -> None:
    assert len(pure_modules()) >= 5


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_pure_module_imports_no_io_and_no_outer_layer(path: Path) -> None:
    bad = sorted(
        name for name in imports_of(path) if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    )
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


# The agents run on routers and hosts without the server: they reach it only over the API.
AGENT_MAY_USE = ("nicstack.agent", "nicstack.render", "nicstack.domain", "nicstack.api.signature")


@pytest.mark.parametrize("path", sorted((ROOT / "agent").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_an_agent_module_imports_nothing_of_the_server(path: Path) -> None:
    ours = [name for name in imports_of(path) if name == "nicstack" or name.startswith("nicstack.")]
    bad = sorted(n for n in ours if not any(n == a or n.startswith(a + ".") for a in AGENT_MAY_USE))
    external = sorted(n for n in imports_of(path) if n.split(".")[0] in ("sqlalchemy", "alembic", "uvicorn", "psycopg"))
    assert bad + external == [], f"{path.relative_to(ROOT)} imports {bad + external}"
