"""Shared fixtures: databases on both backends, and a live server with a signed client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from nicstack.db.database import Database
from nicstack.server import prepare, running
from tests.support.client import Client
from tests.support.databases import BACKENDS, database, throwaway_postgres
from tests.support.skips import pytest_terminal_summary  # noqa: F401 - the closing account of skipped tests

# Properties assert answers, not speed: a busy CI machine must not fail them on Hypothesis's deadline.
settings.register_profile("nicstack", deadline=None)
settings.load_profile("nicstack")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL on each backend (the SQLite file's folder does not exist yet)."""
    with database(request.param, tmp_path) as url:
        yield url


@dataclass
class Cloud:
    """A live nicstack server on one backend, with the root admin's signed client."""

    url: str
    backend: str
    database_url: str
    admin: Client
    db: Database


@pytest.fixture(scope="module", params=BACKENDS)
def cloud(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """One server per test module and backend; tests build what they need in it."""
    with database(request.param, tmp_path_factory.mktemp("cloud")) as url:
        prepared = prepare(url)
        assert prepared.admin is not None
        try:
            with running(prepared.db) as api_url:
                admin = Client(api_url, prepared.admin.api_key, prepared.admin.secret_key)
                yield Cloud(api_url, request.param, url, admin, prepared.db)
        finally:
            prepared.db.dispose()
