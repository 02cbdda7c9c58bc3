"""Fixtures of the data-plane tests: a real `nicstack serve` per module, a namespace topology per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dataplane.cloud import RouterWorld, router_world
from tests.dataplane.tools import require_root
from tests.dataplane.topology import Topology, topology
from tests.support.process import Served, serving


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    require_root()
    with serving(tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.fixture
def net() -> Iterator[Topology]:
    with topology() as made:
        yield made


@pytest.fixture
def world(served: Served, tmp_path: Path, net: Topology) -> Iterator[RouterWorld]:
    with router_world(served, tmp_path, net) as made:
        yield made
