"""Builders for rule tests: a zone with a public range, and a tenant's network (isolated or VPC tier) with VMs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import Cloud
from tests.support.client import Client
from tests.support.world import Tenant, Zone, defaults, deploy, make_network, make_tenant, make_zone, unique

_ranges = itertools.count(1)


def make_public_zone(admin: Client, size: int = 200) -> Zone:
    """An Advanced zone with one KVM host and a public range of `size` addresses in its own /16."""
    zone = make_zone(admin)
    second = 10 + next(_ranges)
    admin.call("createVlanIpRange", zoneid=zone.id, forvirtualnetwork=True, vlan="untagged",
               gateway=f"198.{second}.0.1", netmask="255.255.0.0", startip=f"198.{second}.0.10",
               endip=f"198.{second}.{(10 + size - 1) // 256}.{(10 + size - 1) % 256}")
    return zone


def vpc_offerings(admin: Client) -> tuple[str, str]:
    """(the default VPC offering, the network offering for VPC tiers)."""
    vpc = admin.items("listVPCOfferings", "vpcoffering", name="Default VPC offering")[0]["id"]
    offerings = admin.items("listNetworkOfferings", "networkoffering")
    tier = next(o["id"] for o in offerings if o["name"] == "DefaultIsolatedNetworkOfferingForVpcNetworks")
    return vpc, tier


@dataclass
class Place:
    """Where rules are made: an isolated network, or a VPC tier, of one tenant with two running VMs."""

    kind: str
    cloud: Cloud
    zone: Zone
    tenant: Tenant
    network: dict[str, Any]
    vm: dict[str, Any]
    other_vm: dict[str, Any]
    vpc: dict[str, Any] | None = None
    acquired: list[str] = field(default_factory=list)

    @property
    def user(self) -> Client:
        return self.tenant.client

    @property
    def admin(self) -> Client:
        return self.cloud.admin

    @property
    def tier(self) -> dict[str, str]:
        """The networkid a rule without a VM needs on a VPC address (none on an isolated network)."""
        return {"networkid": self.network["id"]} if self.vpc else {}

    def acquire(self) -> dict[str, Any]:
        where = {"vpcid": self.vpc["id"]} if self.vpc else {"networkid": self.network["id"]}
        ip: dict[str, Any] = self.user.run("associateIpAddress", **where)["ipaddress"]
        return ip

    def secondary(self, vm: dict[str, Any] | None = None) -> dict[str, Any]:
        nic = (vm or self.vm)["nic"][0]["id"]
        sec: dict[str, Any] = self.user.run("addIpToNic", nicid=nic)["nicsecondaryip"]
        return sec

    def router(self) -> dict[str, Any]:
        where = {"vpcid": self.vpc["id"]} if self.vpc else {"networkid": self.network["id"]}
        config: dict[str, Any] = self.admin.call("getRouterConfig", **where)["routerconfig"]
        return config

    def public_ip(self, ip_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.user.call("listPublicIpAddresses", id=ip_id)["publicipaddress"][0]
        return found

    def pf(self, ip: dict[str, Any], port: int, vm: dict[str, Any] | None = None, guest: str | None = None,
           **extra: Any) -> dict[str, Any]:
        params = {"ipaddressid": ip["id"], "protocol": "tcp", "publicport": port, "privateport": 22,
                  "virtualmachineid": (vm or self.vm)["id"], **extra}
        if guest is not None:
            params["vmguestip"] = guest
        rule: dict[str, Any] = self.user.run("createPortForwardingRule", **params)["portforwardingrule"]
        return rule


def dnat_lines(config: dict[str, Any], public: str, guest: str) -> list[str]:
    """The iptables DNAT lines from the public address to the guest address."""
    found = []
    for line in config["iptables"].splitlines():
        if "-j DNAT" not in line or f"-d {public}/32 " not in line:
            continue
        target = line.split("--to-destination ", 1)[1].split()[0]
        if target == guest or target.startswith(guest + ":"):
            found.append(line)
    return found


def make_place(cloud: Cloud, zone: Zone, kind: str) -> Place:
    d = defaults(cloud.admin)
    tenant = make_tenant(cloud.admin)
    if kind == "vpc":
        vpc_offering, tier_offering = vpc_offerings(cloud.admin)
        vpc = tenant.client.run("createVPC", name=unique("vpc"), displaytext="rules", cidr="10.20.0.0/16",
                                vpcofferingid=vpc_offering, zoneid=zone.id)["vpc"]
        network = make_network(tenant.client, zone, tier_offering, vpcid=vpc["id"], gateway="10.20.1.1",
                               netmask="255.255.255.0")
    else:
        vpc = None
        network = make_network(tenant.client, zone, d["isolated"], gateway="10.1.1.1", netmask="255.255.255.0")
    vm = deploy(tenant.client, zone, d, network["id"])
    other = deploy(tenant.client, zone, d, network["id"])
    return Place(kind, cloud, zone, tenant, network, vm, other, vpc)
