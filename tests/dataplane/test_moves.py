"""Moving an address between VMs (`addIpToNic ... allowreassignment=true`), seen with packets.

Through the router: the static NAT on the address follows it to the new VM in one change. On the
hosts: anti-spoofing lets the new VM send from it and stops the old one, on both hosts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dataplane.cloud import RouterWorld
from tests.dataplane.hosts import HostWorld, host_world, knows
from tests.dataplane.topology import CLIENT, Topology
from tests.support.process import Served

pytestmark = pytest.mark.dataplane


def test_static_nat_follows_a_moved_address_to_the_new_vm(world: RouterWorld) -> None:
    network = world.network(1)
    old, new = world.vm(network), world.vm(network)
    world.router(network)
    moving = world.user.run("addIpToNic", nicid=old.nics[0]["id"])["nicsecondaryip"]["ipaddress"]
    public = world.static_nat(old.id, moving, network, 8080)
    world.applied(network)
    old.add_address(moving)
    with old.serving(f"{moving}:8080"):
        assert world.topology.from_client(f"{public['ipaddress']}:8080") == f"{moving}:8080 from {CLIENT}"
    # The move, then what the VMs' owner does (keepalived would): the address leaves one VM, joins the other.
    world.user.run("addIpToNic", nicid=new.nics[0]["id"], ipaddress=moving, allowreassignment=True)
    world.applied(network)
    old.del_address(moving)
    new.add_address(moving)
    [shown] = world.user.items("listPublicIpAddresses", "publicipaddress", id=public["id"])
    assert shown["virtualmachineid"] == new.id and shown["vmipaddress"] == moving
    with new.serving(f"{moving}:8080"):
        assert world.topology.from_client(f"{public['ipaddress']}:8080") == f"{moving}:8080 from {CLIENT}"


@pytest.fixture
def two_hosts(served: Served, tmp_path: Path, net: Topology) -> Iterator[HostWorld]:
    with host_world(served, tmp_path, net, hosts=2) as made:
        yield made


def test_after_a_move_across_hosts_only_the_new_vm_may_send_from_the_address(two_hosts: HostWorld) -> None:
    hosts = two_hosts
    old, new, receiver = hosts.vm(0), hosts.vm(1), hosts.vm(0)
    for host in (0, 1):
        hosts.agent(host)
    moving = hosts.user.run("addIpToNic", nicid=old.nics[0]["id"])["nicsecondaryip"]["ipaddress"]
    for host in (0, 1):
        hosts.applied(host)
    target = f"{receiver.nics[0]['ipaddress']}:9000"
    old.add_address(moving)
    new.add_address(moving)
    with receiver.serving(target):
        knows(receiver, old, moving)
        assert old.connect(target, moving) == f"{target} from {moving}"
        assert new.connect(target, moving) == "dropped"
        hosts.user.run("addIpToNic", nicid=new.nics[0]["id"], ipaddress=moving, allowreassignment=True)
        for host in (0, 1):
            hosts.applied(host)
        knows(receiver, new, moving)
        assert new.connect(target, moving) == f"{target} from {moving}"
        knows(receiver, old, moving)
        assert old.connect(target, moving) == "dropped"
