"""The layer order api -> jobs -> services -> db/render -> domain/ipam, checked on every import of every module.

A module may import its own package and the packages below it, never one above or beside it
(db and render are peers: neither imports the other). The pure packages (domain, ipam, render)
import nothing that does I/O; the API's command handlers hand typed values to services and build
no SQL (no SQLAlchemy, tables or repositories); the agents reach the server only over the API.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import nicstack

pytestmark = pytest.mark.unit

ROOT = Path(nicstack.__file__).parent

# What each layer may import of nicstack, besides itself. Entry points (cli, server, bench, demo,
# guest) sit above all of them and are not listed. `nicstack.logs` (structured logging, importing
# nothing of nicstack) is usable by the layers that do I/O.
BELOW = {
    "domain": ("ipam",),
    "ipam": ("domain",),
    "render": ("domain", "ipam"),
    "db": ("domain", "ipam"),
    "services": ("db", "render", "domain", "ipam"),
    "jobs": ("services", "db", "render", "domain", "ipam"),
    "api": ("ui", "jobs", "services", "db", "render", "domain", "ipam"),
    "ui": (),
}

PURE = ("domain", "ipam", "render")
IO = (
    "sqlalchemy", "alembic", "psycopg", "starlette", "uvicorn", "requests", "subprocess", "socket", "http",
    "urllib.request", "sqlite3", "threading",
)


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from nicstack import logs` imports nicstack.logs: name what is imported, not only its parent.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def modules_of(*packages: str) -> list[Path]:
    return sorted(p for package in packages if (ROOT / package).is_dir() for p in (ROOT / package).rglob("*.py"))


def layer_violations(layer: str, imported: set[str]) -> list[str]:
    """The imports of a module of `layer` against the layer order."""
    allowed = ("nicstack." + layer, *("nicstack." + below for below in BELOW[layer]))
    if layer not in PURE:
        allowed += ("nicstack.logs",)
    return sorted(n for n in imported if _under(n, ("nicstack",)) and not _under(n, allowed))


def test_the_shared_logging_module_imports_nothing_of_nicstack() -> None:
    assert [n for n in imports_of(ROOT / "logs.py") if _under(n, ("nicstack",))] == []


def test_there_are_modules_to_check_in_every_layer() -> None:
    assert all(len(modules_of(layer)) >= 2 for layer in BELOW)
    assert len(modules_of(*PURE)) >= 5


def test_the_rule_catches_an_import_against_the_order() -> None:
    assert layer_violations("services", {"nicstack.api.scope", "nicstack.db.uow"}) == ["nicstack.api.scope"]
    assert layer_violations("db", {"nicstack.render.router", "nicstack.domain.model"}) == ["nicstack.render.router"]
    assert layer_violations("domain", {"nicstack.services"}) == ["nicstack.services"]
    assert layer_violations("api", {"nicstack.agent.loop", "nicstack.services.lookup"}) == ["nicstack.agent.loop"]
    assert layer_violations("render", {"nicstack.logs"}) == ["nicstack.logs"]


def test_imports_name_what_is_imported() -> None:
    source = ROOT / "api" / "commands" / "networks.py"
    assert "nicstack.services.networks" in imports_of(source)


@pytest.mark.parametrize("path", modules_of(*BELOW), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_imports_only_its_layer_and_the_layers_below(path: Path) -> None:
    layer = path.relative_to(ROOT).parts[0]
    bad = layer_violations(layer, imports_of(path))
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad} against the layer order"


@pytest.mark.parametrize("path", modules_of(*PURE), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_pure_module_imports_no_io(path: Path) -> None:
    bad = sorted(name for name in imports_of(path) if _under(name, IO))
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("path", sorted((ROOT / "api" / "commands").rglob("*.py")), ids=lambda p: p.name)
def test_a_command_handler_builds_no_sql(path: Path) -> None:
    # Handlers map wire parameters to typed requests and filters; the queries live below the API.
    # (The unit of work, nicstack.db.uow, is what handlers hand to services: that one they may name.)
    bad = sorted(name for name in imports_of(path) if _under(name, ("sqlalchemy", "nicstack.db.tables",
                                                                   "nicstack.db.repos")))
    assert bad == [], f"api/commands/{path.name} imports {bad}"


# The agents run on routers and hosts without the server: they reach it only over the API.
AGENT_MAY_USE = ("nicstack.agent", "nicstack.render", "nicstack.domain", "nicstack.api.signature")


@pytest.mark.parametrize("path", modules_of("agent"), ids=lambda p: str(p.relative_to(ROOT)))
def test_an_agent_module_imports_nothing_of_the_server(path: Path) -> None:
    ours = [name for name in imports_of(path) if _under(name, ("nicstack",))]
    bad = sorted(n for n in ours if not _under(n, AGENT_MAY_USE))
    external = sorted(n for n in imports_of(path) if n.split(".")[0] in ("sqlalchemy", "alembic", "uvicorn", "psycopg"))
    assert bad + external == [], f"{path.relative_to(ROOT)} imports {bad + external}"
