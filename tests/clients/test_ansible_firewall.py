"""Ansible's cs_firewall against nicstack: ingress rules on a public IP and egress rules of the network, each
present twice and absent twice."""

from __future__ import annotations

from typing import Any

import pytest

from tests.clients.ansible_run import require_ansible
from tests.clients.conftest import ClientWorld

pytestmark = pytest.mark.api


def test_cs_firewall_ingress_and_egress_converge(world: ClientWorld) -> None:
    require_ansible()
    user = world.tenant.client
    ip = user.run("associateIpAddress", networkid=world.network["id"])["ipaddress"]
    net = world.network["name"]

    def ingress(name: str, state: str) -> dict[str, Any]:
        return {"name": name, "ngine_io.cloudstack.cs_firewall": {
            "ip_address": ip["ipaddress"], "zone": world.zone_name, "port": 443,
            "cidrs": ["198.51.100.0/24", "192.0.2.0/24"], "state": state}}

    def egress(name: str, state: str, **rule: Any) -> dict[str, Any]:
        return {"name": name, "ngine_io.cloudstack.cs_firewall": {
            "type": "egress", "network": net, "zone": world.zone_name, "state": state, **rule}}

    smtp = {"protocol": "tcp", "start_port": 25, "end_port": 25}
    everything = {"protocol": "all"}
    changes = world.ansible.changes([
        ingress("open 443", "present"), ingress("open 443 again", "present"),
        egress("deny smtp", "present", **smtp), egress("deny smtp again", "present", **smtp),
        egress("egress all", "present", **everything), egress("egress all again", "present", **everything),
    ])
    assert changes == [True, False, True, False, True, False]
    ingress_rules = user.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"])
    assert [(r["startport"], r["cidrlist"]) for r in ingress_rules] == [(443, "198.51.100.0/24,192.0.2.0/24")]
    egress_rules = user.items("listEgressFirewallRules", "firewallrule", networkid=world.network["id"])
    assert sorted((r["protocol"], r.get("startport", 0)) for r in egress_rules) == [("all", 0), ("tcp", 25)]
    config = world.served.admin.call("getRouterConfig", networkid=world.network["id"])["routerconfig"]
    assert {r["id"] for r in egress_rules} <= {line.split('"')[1] for line in config["iptables"].splitlines()
                                               if line.startswith("-A ns-egress")}

    changes = world.ansible.changes([
        ingress("close 443", "absent"), ingress("close 443 again", "absent"),
        egress("allow smtp", "absent", **smtp), egress("allow smtp again", "absent", **smtp),
        egress("no egress all", "absent", **everything), egress("no egress all again", "absent", **everything),
    ])
    assert changes == [True, False, True, False, True, False]
    assert user.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"]) == []
    assert user.items("listEgressFirewallRules", "firewallrule", networkid=world.network["id"]) == []
    user.run("disassociateIpAddress", id=ip["id"])
