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


def test_nodes_with_static_nat_show_their_public_ip_and_ip_forwarding_rules(world: ClientWorld) -> None:
    user = world.tenant.client
    vm = world.vms[0]
    ip = user.run("associateIpAddress", networkid=world.network["id"])["ipaddress"]
    user.call("enableStaticNat", ipaddressid=ip["id"], virtualmachineid=vm["id"])
    cloud = driver(world)

    nodes = {n.name: n for n in cloud.list_nodes()}
    assert set(nodes) == {"vm-1", "vm-2"}
    assert nodes["vm-1"].public_ips == [ip["ipaddress"]] and nodes["vm-2"].public_ips == []
    assert nodes["vm-1"].private_ips == [vm["nic"][0]["ipaddress"]]
    node = cloud.ex_get_node(vm["id"])
    assert (node.id, node.public_ips, node.extra["ip_forwarding_rules"]) == (vm["id"], [ip["ipaddress"]], [])

    (address,) = [a for a in cloud.ex_list_public_ips() if a.id == ip["id"]]
    rule = cloud.ex_create_ip_forwarding_rule(node, address, "tcp", 8000, 8010)
    listed = cloud.ex_list_ip_forwarding_rules()
    assert [(r.id, r.node.id, r.address.address, r.protocol.lower(), r.start_port, r.end_port) for r in listed] == [
        (rule.id, vm["id"], ip["ipaddress"], "tcp", 8000, 8010)]
    again = cloud.ex_get_node(vm["id"])
    assert [r.id for r in again.extra["ip_forwarding_rules"]] == [rule.id]
    nodes = {n.name: n for n in cloud.list_nodes()}
    assert [r.id for r in nodes["vm-1"].extra["ip_forwarding_rules"]] == [rule.id]

    assert cloud.ex_delete_ip_forwarding_rule(again, again.extra["ip_forwarding_rules"][0]) is True
    assert cloud.ex_list_ip_forwarding_rules() == []
    user.run("disableStaticNat", ipaddressid=ip["id"])
    user.run("disassociateIpAddress", id=ip["id"])
