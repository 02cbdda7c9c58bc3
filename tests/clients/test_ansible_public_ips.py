"""Ansible's cs_ip_address against nicstack: acquire and release a public IP, with and without tags, idempotently."""

from __future__ import annotations

from typing import Any

import pytest

from tests.clients.ansible_run import require_ansible
from tests.clients.conftest import ClientWorld

pytestmark = pytest.mark.api


def free_addresses(world: ClientWorld, count: int) -> list[str]:
    found = world.served.admin.items("listPublicIpAddresses", "publicipaddress", zoneid=world.zone.id,
                                     allocatedonly=False)
    free = [ip["ipaddress"] for ip in found if ip["state"] == "Free"]
    assert len(free) >= count
    return free[-count:]


def test_cs_ip_address_acquires_and_releases_with_and_without_tags(world: ClientWorld) -> None:
    require_ansible()
    plain, tagged = free_addresses(world, 2)
    tags = [{"key": "role", "value": "web"}, {"key": "env", "value": "test"}]

    def task(name: str, address: str, state: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "ngine_io.cloudstack.cs_ip_address": {
            "ip_address": address, "zone": world.zone_name, "network": world.network["name"], "state": state,
            **extra}}

    results = world.ansible.play([
        task("acquire", plain, "present"), task("acquire again", plain, "present"),
        task("release", plain, "absent"), task("release again", plain, "absent"),
        task("acquire tagged", tagged, "present", tags=tags),
        task("acquire tagged again", tagged, "present", tags=tags),
        task("release tagged", tagged, "absent", tags=tags),
        task("release tagged again", tagged, "absent", tags=tags),
    ])
    assert [r.changed for r in results] == [True, False, True, False, True, False, True, False]
    acquired = results[4].result
    assert acquired["ip_address"] == tagged
    assert sorted((t["key"], t["value"]) for t in acquired["tags"]) == [("env", "test"), ("role", "web")]
    user = world.tenant.client
    mine = [ip["ipaddress"] for ip in user.items("listPublicIpAddresses", "publicipaddress")]
    assert plain not in mine and tagged not in mine
    assert user.call("listTags").get("tag", []) == []
