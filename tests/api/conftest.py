"""Fixtures for wire tests: an Advanced zone, a zone with a public range, and the seeded offerings and template."""

from __future__ import annotations

import pytest

from tests.conftest import Cloud
from tests.support.rules import make_public_zone
from tests.support.world import Zone, defaults, make_zone


@pytest.fixture(scope="module")
def zone(cloud: Cloud) -> Zone:
    return make_zone(cloud.admin)


@pytest.fixture(scope="module")
def public_zone(cloud: Cloud) -> Zone:
    return make_public_zone(cloud.admin)


@pytest.fixture(scope="module")
def d(cloud: Cloud) -> dict[str, str]:
    return defaults(cloud.admin)
