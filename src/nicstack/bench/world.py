"""The benchmark's cloud, built through the API as the admin would build it."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from nicstack.bench.client import Client, Keys

_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"bench-{prefix}-{next(_names)}"


@dataclass(frozen=True, slots=True)
class World:
    zone_id: str
    isolated_offering: str
    service_offering: str
    template: str


def make_world(admin: Client) -> World:
    """A zone with a pod and a host, and the seeded offerings and template deploys need."""
    zone = admin.call("createZone", name=unique("zone"), networktype="Advanced", dns1="8.8.8.8",
                      internaldns1="10.0.0.2")["zone"]
    pod = admin.call("createPod", zoneid=zone["id"], name=unique("pod"), gateway="192.168.0.1",
                     netmask="255.255.255.0", startip="192.168.0.10", endip="192.168.0.200")["pod"]
    admin.call("addHost", zoneid=zone["id"], podid=pod["id"], hypervisor="KVM", url="http://192.168.0.20",
               username="root", password="password")
    offerings = {o["name"]: o["id"] for o in admin.items("listNetworkOfferings", "networkoffering")}
    service = admin.items("listServiceOfferings", "serviceoffering")[0]["id"]
    template = admin.items("listTemplates", "template", templatefilter="featured")[0]["id"]
    return World(zone["id"], offerings["DefaultIsolatedNetworkOfferingWithSourceNatService"], service, template)


def make_network(admin: Client, world: World, **layout: str) -> dict[str, Any]:
    name = unique("net")
    network: dict[str, Any] = admin.call("createNetwork", name=name, displaytext=name, zoneid=world.zone_id,
                                         networkofferingid=world.isolated_offering, **layout)["network"]
    return network


def deploy(admin: Client, world: World, network_ids: Sequence[str]) -> dict[str, Any]:
    vm: dict[str, Any] = admin.run("deployVirtualMachine", zoneid=world.zone_id,
                                   serviceofferingid=world.service_offering, templateid=world.template,
                                   networkids=",".join(network_ids), name=unique("vm"))["virtualmachine"]
    return vm


def deploy_many(
    keys: Keys, world: World, network_ids: Sequence[str], count: int, tick: Callable[[], None],
    workers: int = 4,
) -> list[dict[str, Any]]:
    """Deploy `count` VMs with one NIC in each network, a few at a time (deploys are async jobs)."""
    local = threading.local()
    clients: list[Client] = []
    lock = threading.Lock()

    def one(_: int) -> dict[str, Any]:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = Client(keys)
            with lock:
                clients.append(client)
        vm = deploy(client, world, network_ids)
        with lock:
            tick()
        return vm

    try:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(one, range(count)))
    finally:
        for client in clients:
            client.close()


def nic_ids(vms: Sequence[dict[str, Any]]) -> list[str]:
    return [nic["id"] for vm in vms for nic in vm.get("nic", [])]
