"""Elastic IPs and elastic load balancing in a Basic zone, and metadata in a shared network, proven with packets.

The Basic zone's network (CloudStack's EIP/ELB offering) is served by the same router agent as an
isolated network: `nicstack agent router --network <Basic network>` in a namespace whose guest
device sits on the pod's bridge (it holds the pod's gateway) and whose public device sits on the
client's bridge. A shared network's router answers only metadata, at 169.254.169.254, beside the
network's own gateway.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.dataplane.agents import agent_keys, running_agent, wait_applied
from tests.dataplane.tools import check, run
from tests.dataplane.topology import CLIENT, PUBLIC_GATEWAY, Topology, Vm, unanswered
from tests.support import scenarios as sc
from tests.support.process import Served
from tests.support.world import Tenant, defaults, make_tenant, unique

pytestmark = pytest.mark.dataplane

EIP_OFFERING = "DefaultSharedNetscalerEIPandELBNetworkOffering"
# A VM's HTTP GET from inside its namespace: what curl would print.
GET = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode())"
METADATA = "http://169.254.169.254/latest/meta-data"


def get(vm: Vm, url: str) -> str:
    return check(run(["ip", "netns", "exec", vm.ns, sys.executable, "-c", GET, url])).strip()


def router(served: Served, net: Topology, stack: ExitStack, tmp: Path, network_id: str,
           guests: dict[str, str], public: bool = True) -> dict[str, str]:
    """A router namespace for `network_id` with (when `public`) its public device on the client's bridge and
    one guest device per (tier id -> host bridge), its agent started on its own credentials; returns its target."""
    ns = net.namespace("r")
    args = ["--network", network_id, "--netns", ns, "--run-dir", str(tmp / f"run-{ns}")]
    if public:
        dev = net.device("pub")
        net.plug(ns, dev, net.client, net.device("cpub"), master="pub")
        args += ["--public-dev", dev]
    for tier, bridge in guests.items():
        dev = net.device("gst")
        net.plug(ns, dev, host_ns(net), net.device("rgst"), master=bridge)
        args += ["--guest-dev", f"{tier}={dev}"]
    target = {"networkid": network_id}
    agent = stack.enter_context(running_agent(served, agent_keys(served.admin, **target), "router", *args,
                                              log=tmp / f"agent-{ns}.log"))
    wait_applied(served.admin, target, agent)
    return target


def host_ns(net: Topology) -> str:
    return next(ns for ns in net.namespaces if ns.startswith("nst-host"))


def deploy(admin: Any, zone_id: str, host_id: str, owner: Tenant, **extra: str) -> dict[str, Any]:
    d = defaults(admin)
    vm: dict[str, Any] = admin.run("deployVirtualMachine", zoneid=zone_id, serviceofferingid=d["serviceofferingid"],
                                   templateid=d["templateid"], hostid=host_id, account=owner.account,
                                   domainid=owner.domain_id, **extra)["virtualmachine"]
    return vm


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as made:
        yield made


def test_elastic_ip_static_nat_and_elastic_lb_reach_a_basic_zone_vms_guest_addresses(
        served: Served, net: Topology, stack: ExitStack, tmp_path: Path) -> None:
    admin = served.admin
    basic = sc.make_basic_zone(admin, pods=1, offering=EIP_OFFERING)
    admin.call("createVlanIpRange", zoneid=basic.id, forvirtualnetwork=True, vlan="untagged", gateway=PUBLIC_GATEWAY,
               netmask="255.255.255.0", startip="203.0.113.10", endip="203.0.113.40")
    tenant = make_tenant(admin)
    pod = basic.pods[0]
    net.public_side()
    bridge = net.bridge(net.namespace("host"), net.device("br"))
    made = deploy(admin, basic.id, pod.host_ids[0], tenant)
    vm = net.vm(host_ns(net), unique("vm").replace("-", ""), [(made["nic"][0], bridge)], pod.gateway, made["id"])
    target = router(served, net, stack, tmp_path, basic.network["id"], {pod.id: bridge})
    user = tenant.client
    secondary = user.run("addIpToNic", nicid=made["nic"][0]["id"])["nicsecondaryip"]
    guest, primary = secondary["ipaddress"], made["nic"][0]["ipaddress"]
    vm.add_address(guest, 22)

    # Serving before the rules exist, so that haproxy's first health checks find both servers up.
    with vm.serving(f"{guest}:8080", f"{primary}:8080"):
        nat = user.run("associateIpAddress", zoneid=basic.id)["ipaddress"]
        user.call("enableStaticNat", ipaddressid=nat["id"], virtualmachineid=vm.id, vmguestip=guest)
        lb_ip = user.run("associateIpAddress", zoneid=basic.id)["ipaddress"]
        rule = user.run("createLoadBalancerRule", publicipid=lb_ip["id"], name="web", algorithm="roundrobin",
                        publicport=80, privateport=8080)["loadbalancer"]
        user.run("assignToLoadBalancerRule", id=rule["id"], **{
            "vmidipmap[0].vmid": vm.id, "vmidipmap[0].vmip": primary,
            "vmidipmap[1].vmid": vm.id, "vmidipmap[1].vmip": guest})
        wait_applied(admin, target)
        # The elastic IP reaches the server bound only to the secondary address, from the client itself.
        assert net.from_client(f"{nat['ipaddress']}:8080") == f"{guest}:8080 from {CLIENT}"
        answers = {net.from_client(f"{lb_ip['ipaddress']}:80").split(" from ")[0] for _ in range(6)}
        assert answers == {f"{guest}:8080", f"{primary}:8080"}
        # The router is the VM's gateway and its metadata service too.
        assert get(vm, f"{METADATA}/local-ipv4") == primary
        user.run("disableStaticNat", ipaddressid=nat["id"])
        wait_applied(admin, target)
        assert unanswered(net.from_client(f"{nat['ipaddress']}:8080"))
        assert net.from_client(f"{lb_ip['ipaddress']}:80").split(" from ")[0] in (f"{guest}:8080", f"{primary}:8080")


def test_a_shared_network_vm_reads_its_addresses_from_the_metadata_service_of_the_networks_router(
        served: Served, net: Topology, stack: ExitStack, tmp_path: Path) -> None:
    admin = served.admin
    zone = sc.make_advanced_zone(admin, sg=True)
    shared = sc.make_shared_network(admin, zone, sc.SG_OFFERING, gateway="10.62.0.1", netmask="255.255.255.0",
                                    startip="10.62.0.10", endip="10.62.0.50", vlan="62")
    tenant = make_tenant(admin)
    bridge = net.bridge(net.namespace("host"), net.device("br"))
    made = [deploy(admin, zone.id, zone.host_ids[0], tenant, networkids=shared["id"]) for _ in range(2)]
    vms = [net.vm(host_ns(net), unique("vm").replace("-", ""), [(m["nic"][0], bridge)], None, m["id"]) for m in made]
    added = tenant.client.run("addIpToNic", nicid=made[0]["nic"][0]["id"])["nicsecondaryip"]["ipaddress"]
    # A metadata-only router machine has no public side: the agent is given only the guest device.
    target = router(served, net, stack, tmp_path, shared["id"], {shared["id"]: bridge}, public=False)
    assert admin.call("getRouterConfig", **target)["routerconfig"]["kind"] == "shared"
    for vm in vms:
        # The host route a DHCP server pushes (option 121): the metadata address is on the guest link.
        vm.ip("route", "add", "169.254.169.254/32", "dev", "eth0")
    first, second = (m["nic"][0] for m in made)
    assert get(vms[0], f"{METADATA}/local-ipv4") == first["ipaddress"]
    assert get(vms[1], f"{METADATA}/local-ipv4") == second["ipaddress"]
    macs = f"{METADATA}/network/interfaces/macs"
    assert get(vms[0], f"{macs}/{first['macaddress']}/local-ipv4s").split() == [first["ipaddress"], added]
    assert added not in get(vms[1], f"{macs}/{second['macaddress']}/local-ipv4s")
