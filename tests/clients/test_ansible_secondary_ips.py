"""Ansible's cs_instance_nic_secondaryip against nicstack: present and absent converge and stay idempotent."""

from __future__ import annotations

from typing import Any

import pytest

from tests.clients.ansible_run import require_ansible
from tests.clients.conftest import ClientWorld

pytestmark = pytest.mark.api


def test_secondary_ip_present_twice_then_absent_twice(world: ClientWorld) -> None:
    require_ansible()
    where = {"vm": "vm-1", "zone": world.zone_name, "network": world.network["name"]}
    ip = "10.1.1.77"

    def task(name: str, state: str) -> dict[str, Any]:
        return {"name": name,
                "ngine_io.cloudstack.cs_instance_nic_secondaryip": {**where, "vm_guest_ip": ip, "state": state}}

    changes = world.ansible.changes([task("add", "present"), task("add again", "present"),
                                     task("remove", "absent"), task("remove again", "absent")])
    assert changes == [True, False, True, False]
    nics = world.tenant.client.items("listNics", "nic", virtualmachineid=world.vms[0]["id"])
    assert ip not in [s["ipaddress"] for n in nics for s in n.get("secondaryip", [])]


def test_secondary_ip_picked_by_the_cloud_is_listed(world: ClientWorld) -> None:
    require_ansible()
    where = {"vm": "vm-2", "zone": world.zone_name, "network": world.network["name"]}
    (result,) = world.ansible.play([{"name": "any free address",
                                     "ngine_io.cloudstack.cs_instance_nic_secondaryip": where}])
    assert result.changed
    picked = result.result["vm_guest_ip"]
    nics = world.tenant.client.items("listNics", "nic", virtualmachineid=world.vms[1]["id"])
    assert picked in [s["ipaddress"] for n in nics for s in n.get("secondaryip", [])]
