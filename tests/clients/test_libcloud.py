"""apache-libcloud's CloudStack driver against nicstack: the calls a libcloud user makes first."""

from __future__ import annotations

from typing import Any

import pytest

from tests.clients.conftest import ClientWorld
from tests.clients.libcloud_driver import cloudstack_driver

pytestmark = pytest.mark.api


def driver(world: ClientWorld) -> Any:
    user = world.tenant.client
    return cloudstack_driver(world.served.url, user.api_key, user.secret_key)


def test_list_locations_and_sizes_name_the_zone_and_offerings(world: ClientWorld) -> None:
    cloud = driver(world)
    assert world.zone_name in [location.name for location in cloud.list_locations()]
    sizes = world.served.admin.items("listServiceOfferings", "serviceoffering")
    assert {size.id for size in cloud.list_sizes()} == {s["id"] for s in sizes}
