"""A security-group world built through the API: KVM hosts as namespaces with a bridge, VMs plugged in, agents.

Each host namespace has the bridge `br0` and runs its own `nicstack agent host`; the hosts' bridges
are joined by one uplink, so VMs on different hosts reach each other through both hosts' rules.
The shared network is 10.3.0.0/24 (range .10-.200) and fd00:3::/64, in an Advanced zone with
security groups; the tenant's default group lets TCP and ICMP in, so what a test sees is the
anti-spoofing and the rules it adds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from tests.dataplane.agents import AgentProcess, agent_keys, running_agent, wait_applied
from tests.dataplane.cloud import World
from tests.dataplane.tools import check, run
from tests.dataplane.topology import Topology, Vm
from tests.support import scenarios as sc
from tests.support.process import Served
from tests.support.world import defaults, make_tenant, unique

BRIDGE = "br0"
# An ARP request for `target` claiming `claimed` from this NIC's MAC, sent as a VM would send it.
ARP_CLAIM = """
import socket, sys
device, claimed, target = sys.argv[1:4]
mac = bytes.fromhex(open(f"/sys/class/net/{device}/address").read().strip().replace(":", ""))
frame = (b"\\xff" * 6 + mac + b"\\x08\\x06" + b"\\x00\\x01\\x08\\x00\\x06\\x04\\x00\\x01" + mac
         + socket.inet_aton(claimed) + b"\\x00" * 6 + socket.inet_aton(target))
with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as raw:
    raw.bind((device, 0))
    for _ in range(3):
        raw.send(frame)
"""


@dataclass
class HostWorld(World):
    network: dict[str, Any] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)  # namespace per zone host, same order
    agents: dict[int, AgentProcess] = field(default_factory=dict)

    def vm(self, host: int, *groups: str) -> Vm:
        """A VM of the tenant placed on zone host `host`, in `groups` (default: the default group)."""
        d = defaults(self.admin)
        extra = {"securitygroupids": ",".join(groups)} if groups else {}
        made = self.admin.run("deployVirtualMachine", zoneid=self.zone.id, serviceofferingid=d["serviceofferingid"],
                              templateid=d["templateid"], networkids=self.network["id"],
                              hostid=self.zone.host_ids[host], account=self.tenant.account,
                              domainid=self.tenant.domain_id, **extra)["virtualmachine"]
        nic = made["nic"][0]
        vm = self.topology.vm(self.hosts[host], unique("vm").replace("-", ""), [(nic, BRIDGE)], vm_id=made["id"])
        vm.add_address(nic["ip6address"], 64)
        return vm

    def agent(self, host: int) -> AgentProcess:
        """The host's agent, on the host's own credentials."""
        target = {"hostid": self.zone.host_ids[host]}
        process = self.stack.enter_context(running_agent(
            self.served, agent_keys(self.admin, **target), "host", "--host", self.zone.host_ids[host], "--netns",
            self.hosts[host], "--bridge", BRIDGE, log=self.tmp / f"agent-host{host}.log"))
        self.agents[host] = process
        return process

    def applied(self, host: int = 0) -> dict[str, Any]:
        return wait_applied(self.admin, {"hostid": self.zone.host_ids[host]}, self.agents.get(host))

    def group(self, name: str) -> dict[str, Any]:
        made: dict[str, Any] = self.user.call("createSecurityGroup", name=unique(name))["securitygroup"]
        return made


def knows(vm: Vm, peer: Vm, address: str) -> None:
    """`vm` reaches `address` at `peer`'s MAC without asking: the test isolates IP filtering from ARP's."""
    family = ["-6"] if ":" in address else []
    vm.ip(*family, "neigh", "replace", address, "lladdr", peer.nics[0]["macaddress"], "dev", "eth0", "nud",
          "permanent")


def claim(vm: Vm, claimed: str, target: str) -> None:
    """`vm` sends ARP requests for `target` claiming to be `claimed`."""
    check(run(["ip", "netns", "exec", vm.ns, sys.executable, "-c", ARP_CLAIM, "eth0", claimed, target]))


def learned(vm: Vm, address: str) -> bool:
    """Whether `vm` has a neighbour entry for `address` (it learns the sender of an ARP request for itself)."""
    shown = vm.ip("neigh", "show", address).split()
    return bool(shown) and "FAILED" not in shown and "INCOMPLETE" not in shown


@contextmanager
def host_world(served: Served, tmp: Path, topology: Topology, hosts: int = 1) -> Iterator[HostWorld]:
    admin = served.admin
    zone = sc.make_advanced_zone(admin, ("KVM",) * hosts, sg=True)
    octet = 3
    network = sc.make_shared_network(admin, zone, sc.SG_OFFERING, gateway=f"10.{octet}.0.1", netmask="255.255.255.0",
                                     startip=f"10.{octet}.0.10", endip=f"10.{octet}.0.200",
                                     ip6cidr=f"fd00:{octet}::/64", ip6gateway=f"fd00:{octet}::1",
                                     startipv6=f"fd00:{octet}::100", endipv6=f"fd00:{octet}::ffff")
    tenant = make_tenant(admin)
    tenant.client.run("authorizeSecurityGroupIngress", securitygroupname="default", protocol="tcp", startport=1,
                      endport=65535, cidrlist="0.0.0.0/0,::/0")
    tenant.client.run("authorizeSecurityGroupIngress", securitygroupname="default", protocol="icmp", icmptype=-1,
                      icmpcode=-1, cidrlist="0.0.0.0/0")
    with ExitStack() as stack:
        world = HostWorld(served, topology, stack, tmp, zone, tenant, network)
        for index in range(hosts):
            ns = topology.namespace(f"h{index}")
            topology.bridge(ns, BRIDGE)
            world.hosts.append(ns)
        for left, right in pairwise(world.hosts):
            topology.plug(left, topology.device("up"), right, topology.device("up"), master=BRIDGE, own_master=BRIDGE)
        yield world
