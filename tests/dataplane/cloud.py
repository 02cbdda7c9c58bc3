"""A tenant's router world built through the API and wired in namespaces, with its agent running.

`RouterWorld` is what the router tests share: a zone whose public range is 203.0.113.0/24 (gateway
.1), a tenant's isolated network 10.1.1.0/24, a router namespace whose public device sits on the
client's bridge and whose guest device sits on the network's bridge in the host namespace, and the
router's agent. VMs are deployed through the API and plugged in as namespaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.dataplane.agents import AgentProcess, agent_keys, running_agent, wait_applied
from tests.dataplane.topology import PUBLIC_GATEWAY, Topology, Vm
from tests.support.client import Client
from tests.support.process import Served
from tests.support.rules import vpc_offerings
from tests.support.scenarios import make_advanced_zone
from tests.support.world import Tenant, Zone, defaults, deploy, make_network, make_tenant, unique


def public_zone(admin: Client, first: int = 10, last: int = 40) -> Zone:
    """An Advanced zone with one KVM host and public addresses 203.0.113.<first..last>/24."""
    zone = make_advanced_zone(admin)
    admin.call("createVlanIpRange", zoneid=zone.id, forvirtualnetwork=True, vlan="untagged",
               gateway=PUBLIC_GATEWAY, netmask="255.255.255.0", startip=f"203.0.113.{first}",
               endip=f"203.0.113.{last}")
    return zone


@dataclass
class Router:
    """One router namespace and its agent."""

    ns: str
    target: dict[str, str]
    agent: AgentProcess
    guest_devs: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    """What every data-plane test world has: the server, the namespaces, a zone and a tenant."""

    served: Served
    topology: Topology
    stack: ExitStack
    tmp: Path
    zone: Zone
    tenant: Tenant

    @property
    def admin(self) -> Client:
        return self.served.admin

    @property
    def user(self) -> Client:
        return self.tenant.client


@dataclass
class RouterWorld(World):
    client_ns: str = ""
    host_ns: str = ""
    bridges: dict[str, str] = field(default_factory=dict)
    routers: dict[str, Router] = field(default_factory=dict)

    def network(self, cidr_octet: int, vpc: dict[str, Any] | None = None) -> dict[str, Any]:
        """An isolated network 10.<octet>.1.0/24 of the tenant (with `vpc`: the tier 10.20.<octet>.0/24), with
        its bridge in the host namespace."""
        if vpc is None:
            net = make_network(self.user, self.zone, defaults(self.admin)["isolated"],
                               gateway=f"10.{cidr_octet}.1.1", netmask="255.255.255.0")
        else:
            net = make_network(self.user, self.zone, vpc_offerings(self.admin)[1], vpcid=vpc["id"],
                               gateway=f"10.20.{cidr_octet}.1", netmask="255.255.255.0")
        self.bridges[net["id"]] = self.topology.bridge(self.host_ns, self.topology.device("br"))
        return net

    def vpc(self) -> dict[str, Any]:
        """A VPC 10.20.0.0/16 of the tenant."""
        made: dict[str, Any] = self.user.run("createVPC", name=unique("vpc"), displaytext="vpc", cidr="10.20.0.0/16",
                                             vpcofferingid=vpc_offerings(self.admin)[0], zoneid=self.zone.id)["vpc"]
        return made

    def vm(self, *networks: dict[str, Any]) -> Vm:
        """A VM deployed through the API in `networks` (the first is the default), plugged in as a namespace."""
        d = defaults(self.admin)
        made = deploy(self.user, self.zone, d, *(n["id"] for n in networks))
        nics = sorted(made["nic"], key=lambda n: int(n.get("deviceid", 0)))
        plugged = [(n, self.bridges[n["networkid"]]) for n in nics]
        return self.topology.vm(self.host_ns, unique("vm").replace("-", ""), plugged, nics[0]["gateway"], made["id"])

    def router(self, *networks: dict[str, Any], ns: str | None = None, vpc: dict[str, Any] | None = None) -> Router:
        """The router of `networks` (an isolated network, or a VPC's tiers) in a namespace (new, or `ns`), wired
        to their bridges, with its agent started on its own credentials."""
        ns = ns or self.topology.namespace("r")
        public = self.topology.device("pub")
        self.topology.plug(ns, public, self.client_ns, self.topology.device("cpub"), master="pub")
        guests = {}
        for net in networks:
            guests[net["id"]] = self.topology.device("gst")
            self.topology.plug(ns, guests[net["id"]], self.host_ns, self.topology.device("rgst"),
                               master=self.bridges[net["id"]])
        target = {"vpcid": vpc["id"]} if vpc else {"networkid": networks[0]["id"]}
        args = ["--vpc" if vpc else "--network", next(iter(target.values())), "--netns", ns, "--public-dev", public,
                *(arg for net, dev in guests.items() for arg in ("--guest-dev", f"{net}={dev}")),
                "--run-dir", str(self.tmp / f"run-{ns}")]
        agent = self.stack.enter_context(running_agent(self.served, agent_keys(self.admin, **target), "router", *args,
                                                       log=self.tmp / f"agent-{ns}.log"))
        router = Router(ns, target, agent, guests)
        self.routers.update(dict.fromkeys(guests, router))
        return router

    def applied(self, network: dict[str, Any]) -> dict[str, Any]:
        router = self.routers[network["id"]]
        return wait_applied(self.admin, router.target, router.agent)

    def static_nat(self, vm_id: str, guest_ip: str, network: dict[str, Any], port: int) -> dict[str, Any]:
        """A public address of the network, static NAT to `guest_ip`, with the firewall open on `port`."""
        ip: dict[str, Any] = self.user.run("associateIpAddress", networkid=network["id"])["ipaddress"]
        self.user.call("enableStaticNat", ipaddressid=ip["id"], virtualmachineid=vm_id, vmguestip=guest_ip)
        self.user.run("createFirewallRule", ipaddressid=ip["id"], protocol="tcp", startport=port, endport=port,
                      cidrlist="0.0.0.0/0")
        return ip


@contextmanager
def router_world(served: Served, tmp: Path, topology: Topology) -> Iterator[RouterWorld]:
    with ExitStack() as stack:
        client = topology.public_side()
        host = topology.namespace("host")
        world = RouterWorld(served, topology, stack, tmp, public_zone(served.admin), make_tenant(served.admin),
                            client, host)
        yield world
