"""Ansible's VPC modules against nicstack: cs_vpc converges on a changed display text, cs_network_acl and
cs_network_acl_rule are idempotent both ways, and cs_network gives a tier its ACL list by name."""

from __future__ import annotations

from typing import Any

import pytest

from tests.clients.ansible_run import require_ansible
from tests.clients.conftest import ClientWorld
from tests.support.world import unique

pytestmark = pytest.mark.api

COLLECTION = "ngine_io.cloudstack."


def module(which: str, task: str, **params: Any) -> dict[str, Any]:
    return {"name": task, COLLECTION + which: params}


@pytest.fixture(scope="module")
def vpc_name(world: ClientWorld) -> str:
    require_ansible()
    name = unique("vpc")
    (made,) = world.ansible.play([module("cs_vpc", "create", name=name, display_text="first text",
                                         cidr="10.30.0.0/16", zone=world.zone_name)])
    assert made.changed
    return name


def test_cs_vpc_converges_on_a_changed_display_text(world: ClientWorld, vpc_name: str) -> None:
    task = {"name": vpc_name, "display_text": "second text", "cidr": "10.30.0.0/16", "zone": world.zone_name}
    changes = world.ansible.changes([module("cs_vpc", "change the text", **task),
                                     module("cs_vpc", "the same text again", **task)])
    assert changes == [True, False]
    vpc = world.tenant.client.items("listVPCs", "vpc", name=vpc_name)[0]
    assert vpc["displaytext"] == "second text"


def test_cs_network_acl_and_its_rules_present_twice_then_absent_twice(world: ClientWorld, vpc_name: str) -> None:
    where = {"vpc": vpc_name, "zone": world.zone_name}
    acl = unique("acl")
    rule = {"network_acl": acl, "rule_position": 10, "protocol": "tcp", "start_port": 443, "end_port": 443,
            "cidrs": ["198.51.100.0/24", "192.0.2.0/24"], "traffic_type": "ingress", "action_policy": "allow", **where}
    changes = world.ansible.changes([
        module("cs_network_acl", "list", name=acl, description="web", **where),
        module("cs_network_acl", "list again", name=acl, description="web", **where),
        module("cs_network_acl_rule", "rule", **rule),
        module("cs_network_acl_rule", "rule again", **rule),
        module("cs_network_acl_rule", "rule changed", **{**rule, "action_policy": "deny"}),
    ])
    assert changes == [True, False, True, False, True]
    client = world.tenant.client
    (listed,) = client.items("listNetworkACLLists", "networkacllist", name=acl)
    (item,) = client.items("listNetworkACLs", "networkacl", aclid=listed["id"])
    assert (item["number"], item["action"], item["startport"], item["cidrlist"]) == (
        10, "Deny", "443", "198.51.100.0/24,192.0.2.0/24")
    changes = world.ansible.changes([
        module("cs_network_acl_rule", "rule gone", **{**rule, "state": "absent"}),
        module("cs_network_acl_rule", "rule gone again", **{**rule, "state": "absent"}),
        module("cs_network_acl", "list gone", name=acl, state="absent", **where),
        module("cs_network_acl", "list gone again", name=acl, state="absent", **where),
    ])
    assert changes == [True, False, True, False]
    assert client.items("listNetworkACLLists", "networkacllist", name=acl) == []


def test_cs_network_gives_a_vpc_tier_its_acl_list_by_name_and_replaces_it(world: ClientWorld, vpc_name: str
                                                                          ) -> None:
    where = {"vpc": vpc_name, "zone": world.zone_name}
    acl = unique("acl")
    tier = {"name": unique("tier"), "gateway": "10.30.1.1", "netmask": "255.255.255.0", "acl": acl,
            "network_offering": "DefaultIsolatedNetworkOfferingForVpcNetworks", **where}
    changes = world.ansible.changes([
        module("cs_network_acl", "list", name=acl, **where),
        module("cs_network", "tier with the list", **tier),
        module("cs_network", "tier again", **tier),
        module("cs_network", "tier with default_deny", **{**tier, "acl": "default_deny"}),
    ])
    assert changes == [True, True, False, True]
    (net,) = [n for n in world.tenant.client.items("listNetworks", "network") if n["name"] == tier["name"]]
    assert net["aclname"] == "default_deny"
