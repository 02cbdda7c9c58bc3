"""Ansible's NAT modules against nicstack: cs_staticnat to a VM's secondary address and cs_portforward to another
VM, each present twice and absent twice, with the rules checked through the API in between."""

from __future__ import annotations

from typing import Any

import pytest

from tests.clients.ansible_run import require_ansible
from tests.clients.conftest import ClientWorld

pytestmark = pytest.mark.api


def test_cs_staticnat_to_a_secondary_ip_and_cs_portforward_converge(world: ClientWorld) -> None:
    require_ansible()
    user = world.tenant.client
    nat_ip, pf_ip = (user.run("associateIpAddress", networkid=world.network["id"])["ipaddress"] for _ in range(2))
    web, app = world.vms
    secondary = user.run("addIpToNic", nicid=web["nic"][0]["id"])["nicsecondaryip"]["ipaddress"]
    where = {"zone": world.zone_name, "network": world.network["name"]}

    def static_nat(name: str, state: str) -> dict[str, Any]:
        return {"name": name, "ngine_io.cloudstack.cs_staticnat": {
            "ip_address": nat_ip["ipaddress"], "vm": web["name"], "vm_guest_ip": secondary, "state": state,
            **where}}

    def forward(name: str, state: str) -> dict[str, Any]:
        return {"name": name, "ngine_io.cloudstack.cs_portforward": {
            "ip_address": pf_ip["ipaddress"], "vm": app["name"], "protocol": "tcp", "public_port": 8080,
            "private_port": 80, "open_firewall": True, "state": state, **where}}

    present = world.ansible.play([static_nat("static NAT", "present"), static_nat("static NAT again", "present"),
                                  forward("forward 8080", "present"), forward("forward 8080 again", "present")])
    assert [r.changed for r in present] == [True, False, True, False]
    assert present[0].result["vm_guest_ip"] == secondary
    [nat] = user.items("listPublicIpAddresses", "publicipaddress", id=nat_ip["id"])
    assert nat["isstaticnat"] is True and nat["vmipaddress"] == secondary and nat["virtualmachineid"] == web["id"]
    [rule] = user.items("listPortForwardingRules", "portforwardingrule", ipaddressid=pf_ip["id"])
    assert (rule["publicport"], rule["privateport"], rule["virtualmachineid"]) == ("8080", "80", app["id"])

    absent = world.ansible.play([forward("close 8080", "absent"), forward("close 8080 again", "absent"),
                                 static_nat("no static NAT", "absent"), static_nat("no static NAT again", "absent")])
    assert [r.changed for r in absent] == [True, False, True, False]
    assert user.call("listPortForwardingRules", ipaddressid=pf_ip["id"]).get("portforwardingrule", []) == []
    [nat] = user.items("listPublicIpAddresses", "publicipaddress", id=nat_ip["id"])
    assert nat["isstaticnat"] is False and "vmipaddress" not in nat
