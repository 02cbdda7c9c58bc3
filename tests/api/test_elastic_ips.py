"""Elastic IPs and elastic load balancing in a Basic zone, and the routers of shared networks, over the signed API.

A Basic zone whose network has CloudStack's EIP/ELB offering takes a public range; a user acquires an
address with associateIpAddress zoneid=..., maps it with static NAT to a primary or secondary guest
address, balances another over guest addresses; the Basic network's router (kind elastic) renders
them. A Basic zone without that offering, and a shared network, refuse them with a named reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Cloud
from tests.support import scenarios as sc
from tests.support.client import UNKNOWN, Client
from tests.support.waiting import eventually
from tests.support.world import Tenant, make_tenant

pytestmark = pytest.mark.api

EIP_OFFERING = "DefaultSharedNetscalerEIPandELBNetworkOffering"


@dataclass
class Elastic:
    admin: Client
    basic: sc.BasicZone
    tenant: Tenant
    vm: dict[str, Any]
    d: dict[str, str]

    @property
    def user(self) -> Client:
        return self.tenant.client

    def deploy(self, owner: Tenant | None = None) -> dict[str, Any]:
        owner = owner or self.tenant
        vm: dict[str, Any] = self.admin.run(
            "deployVirtualMachine", zoneid=self.basic.id, serviceofferingid=self.d["serviceofferingid"],
            templateid=self.d["templateid"], hostid=self.basic.pods[0].host_ids[0], account=owner.account,
            domainid=owner.domain_id)["virtualmachine"]
        return vm

    def secondary(self, vm: dict[str, Any] | None = None) -> dict[str, Any]:
        found: dict[str, Any] = self.user.run("addIpToNic", nicid=(vm or self.vm)["nic"][0]["id"])["nicsecondaryip"]
        return found

    def acquire(self, client: Client | None = None) -> dict[str, Any]:
        found: dict[str, Any] = (client or self.user).run("associateIpAddress", zoneid=self.basic.id)["ipaddress"]
        return found

    def router(self) -> dict[str, Any]:
        found: dict[str, Any] = self.admin.call("getRouterConfig", networkid=self.basic.network["id"])["routerconfig"]
        return found


def elastic_zone(admin: Client, public_octet: int = 10) -> sc.BasicZone:
    """A one-pod Basic zone on the EIP/ELB offering with elastic IPs 198.51.100.<octet>-<octet+9>."""
    basic = sc.make_basic_zone(admin, pods=1, offering=EIP_OFFERING)
    admin.call("createVlanIpRange", zoneid=basic.id, forvirtualnetwork=True, vlan="untagged", gateway="198.51.100.1",
               netmask="255.255.255.0", startip=f"198.51.100.{public_octet}", endip=f"198.51.100.{public_octet + 9}")
    return basic


@pytest.fixture
def e(cloud: Cloud, d: dict[str, str]) -> Elastic:
    basic = elastic_zone(cloud.admin)
    tenant = make_tenant(cloud.admin)
    world = Elastic(cloud.admin, basic, tenant, {}, d)
    world.vm = world.deploy()
    return world


def test_the_eip_offering_lists_cloudstacks_elastic_capabilities_and_the_sg_offering_has_none(cloud: Cloud) -> None:
    offerings = {o["name"]: o for o in cloud.admin.items("listNetworkOfferings", "networkoffering")}
    services = {s["name"]: s for s in offerings[EIP_OFFERING]["service"]}
    assert offerings[EIP_OFFERING]["guestiptype"] == "Shared"
    assert {c["name"]: c["value"] for c in services["StaticNat"]["capability"]}["ElasticIp"] == "true"
    assert {c["name"]: c["value"] for c in services["Lb"]["capability"]}["ElasticLb"] == "true"
    assert "StaticNat" not in {s["name"] for s in offerings[sc.SG_OFFERING]["service"]}


def test_static_nat_from_an_elastic_ip_to_a_secondary_address_protects_it_until_disabled(e: Elastic) -> None:
    guest = e.secondary()
    ip = e.acquire()
    assert ip["zoneid"] == e.basic.id and ip["associatednetworkid"] == e.basic.network["id"]
    assert ip["account"] == e.tenant.account and ip["issourcenat"] is False
    e.user.call("enableStaticNat", ipaddressid=ip["id"], virtualmachineid=e.vm["id"], vmguestip=guest["ipaddress"])
    [shown] = e.user.items("listPublicIpAddresses", "publicipaddress", id=ip["id"])
    assert shown["isstaticnat"] is True and shown["vmipaddress"] == guest["ipaddress"]
    assert shown["virtualmachineid"] == e.vm["id"]
    # enableStaticNat answers at once; the router's next generation follows from its job.
    router = eventually(e.router, lambda c: f"--to-destination {guest['ipaddress']}" in c["iptables"])
    assert router["kind"] == "elastic"
    assert f"-d {ip['ipaddress']}/32 -m comment --comment \"{ip['id']}\" -j DNAT --to-destination " \
           f"{guest['ipaddress']}" in router["iptables"]
    # The guests keep their addresses: the router is their gateway, with no source NAT of its own.
    assert f"address eth0 {e.basic.pods[0].gateway}/22" in router["addresses"]
    assert f"address eth2 {ip['ipaddress']}/24" in router["addresses"]
    refused = e.user.error("removeIpFromNic", id=guest["id"])
    assert refused.status == 536 and "static NAT" in refused.text
    e.user.run("disableStaticNat", ipaddressid=ip["id"])
    assert f"--to-destination {guest['ipaddress']}" not in e.router()["iptables"]
    e.user.run("removeIpFromNic", id=guest["id"])


def test_static_nat_to_the_primary_address_gives_the_vm_its_public_ipv4_and_release_removes_it(e: Elastic) -> None:
    ip = e.acquire()
    e.user.call("enableStaticNat", ipaddressid=ip["id"], virtualmachineid=e.vm["id"])
    primary = e.vm["nic"][0]["ipaddress"]
    router = eventually(e.router, lambda c: f"--to-destination {primary}" in c["iptables"])
    assert f"--to-destination {primary}" in router["iptables"]
    assert f"-s {primary}/32 -o eth2 -m comment --comment \"{ip['id']}\" -j SNAT --to-source {ip['ipaddress']}" \
        in router["iptables"]
    # The metadata's public-ipv4 of the VM is its elastic IP.
    assert f'"{ip["ipaddress"]}"' in router["metadata"]
    e.user.run("disassociateIpAddress", id=ip["id"])
    after = e.router()
    assert ip["ipaddress"] not in after["iptables"] and ip["ipaddress"] not in after["addresses"]
    assert e.user.items("listPublicIpAddresses", "publicipaddress", zoneid=e.basic.id) == []


def test_an_elastic_load_balancer_over_a_primary_and_a_secondary_address(e: Elastic) -> None:
    other_vm = e.deploy()
    guest = e.secondary(other_vm)
    ip = e.acquire()
    rule = e.user.run("createLoadBalancerRule", publicipid=ip["id"], name="web", algorithm="roundrobin",
                      publicport=80, privateport=8080)["loadbalancer"]
    assert rule["publicip"] == ip["ipaddress"] and rule["networkid"] == e.basic.network["id"]
    primary = e.vm["nic"][0]["ipaddress"]
    e.user.run("assignToLoadBalancerRule", id=rule["id"], **{
        "vmidipmap[0].vmid": e.vm["id"], "vmidipmap[0].vmip": primary,
        "vmidipmap[1].vmid": other_vm["id"], "vmidipmap[1].vmip": guest["ipaddress"]})
    haproxy = e.router()["haproxy"]
    assert f"bind {ip['ipaddress']}:80" in haproxy
    assert f"{primary}:8080 check" in haproxy and f"{guest['ipaddress']}:8080 check" in haproxy
    # No firewall rule was opened: an elastic network has none (security groups guard the guests).
    assert e.user.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"]) == []
    refused = e.user.error("removeIpFromNic", id=guest["id"])
    assert refused.status == 536 and "load balancer" in refused.text
    nat = e.user.error("enableStaticNat", ipaddressid=ip["id"], virtualmachineid=e.vm["id"])
    assert nat.status == 537
    e.user.run("deleteLoadBalancerRule", id=rule["id"])
    e.user.run("removeIpFromNic", id=guest["id"])
    assert f"bind {ip['ipaddress']}:80" not in e.router()["haproxy"]


def test_an_elastic_network_refuses_port_forwarding_firewall_rules_and_an_open_firewall(e: Elastic) -> None:
    ip = e.acquire()
    pf = e.user.error("createPortForwardingRule", ipaddressid=ip["id"], protocol="tcp", publicport=22,
                      privateport=22, virtualmachineid=e.vm["id"])
    assert pf.status == 432 and "port forwarding" in pf.text and "elastic" in pf.text
    fw = e.user.error("createFirewallRule", ipaddressid=ip["id"], protocol="tcp", startport=22, endport=22,
                      cidrlist="0.0.0.0/0")
    assert fw.status == 432 and "firewall" in fw.text
    opened = e.user.error("createLoadBalancerRule", publicipid=ip["id"], name="x", algorithm="roundrobin",
                          publicport=80, privateport=80, openfirewall=True)
    assert opened.status == 431 and "openfirewall" in opened.text
    assert e.user.items("listLoadBalancerRules", "loadbalancerrule", publicipid=ip["id"]) == []


def test_a_basic_zone_without_the_elastic_offering_refuses_elastic_ips_and_public_ranges(
        cloud: Cloud, d: dict[str, str]) -> None:
    plain = sc.make_basic_zone(cloud.admin, pods=1)
    tenant = make_tenant(cloud.admin)
    refused = tenant.client.error("associateIpAddress", zoneid=plain.id)
    assert refused.status == 432 and "has no elastic IPs" in refused.text and sc.SG_OFFERING in refused.text
    by_network = tenant.client.error("associateIpAddress", networkid=plain.network["id"])
    assert by_network.status == 432
    public = cloud.admin.error("createVlanIpRange", zoneid=plain.id, forvirtualnetwork=True, vlan="untagged",
                               gateway="198.51.100.1", netmask="255.255.255.0", startip="198.51.100.10",
                               endip="198.51.100.19")
    assert public.status == 432 and "elastic IP" in public.text
    advanced = sc.make_advanced_zone(cloud.admin)
    zone_only = tenant.client.error("associateIpAddress", zoneid=advanced.id)
    assert zone_only.status == 431 and "Advanced zone" in zone_only.text


def test_another_accounts_elastic_ip_and_vm_answer_as_unknown_ones(e: Elastic) -> None:
    other = make_tenant(e.admin)
    theirs = e.acquire(other.client)
    mine = e.acquire()
    for command, params, name in (
        ("enableStaticNat", {"ipaddressid": theirs["id"], "virtualmachineid": e.vm["id"]}, "virtualmachineid"),
        ("enableStaticNat", {"ipaddressid": mine["id"], "virtualmachineid": e.vm["id"]}, "ipaddressid"),
        ("disableStaticNat", {"ipaddressid": mine["id"]}, "ipaddressid"),
        ("disassociateIpAddress", {"id": mine["id"]}, "id"),
        ("createLoadBalancerRule", {"publicipid": mine["id"], "name": "x", "algorithm": "roundrobin",
                                    "publicport": 80, "privateport": 80}, "publicipid"),
    ):
        refused = other.client.error(command, **params)
        assert refused.code == 431 and f"Invalid parameter {name} value=" in refused.text and UNKNOWN in refused.text
    assert [ip["id"] for ip in other.client.items("listPublicIpAddresses", "publicipaddress")] == [theirs["id"]]


def test_a_shared_networks_router_serves_metadata_beside_the_networks_own_gateway(
        cloud: Cloud, d: dict[str, str]) -> None:
    zone = sc.make_advanced_zone(cloud.admin, sg=True)
    net = sc.make_shared_network(cloud.admin, zone, sc.SG_OFFERING, gateway="10.61.0.1", netmask="255.255.255.0",
                                 startip="10.61.0.10", endip="10.61.0.50", vlan="61")
    tenant = make_tenant(cloud.admin)
    vm = tenant.client.run("deployVirtualMachine", zoneid=zone.id, serviceofferingid=d["serviceofferingid"],
                           templateid=d["templateid"], networkids=net["id"])["virtualmachine"]
    added = tenant.client.run("addIpToNic", nicid=vm["nic"][0]["id"])["nicsecondaryip"]["ipaddress"]
    router = cloud.admin.call("getRouterConfig", networkid=net["id"])["routerconfig"]
    assert router["kind"] == "shared" and router["generation"] >= 1
    assert "address eth0 169.254.169.254/32" in router["addresses"]
    assert "route 10.61.0.0/24 dev eth0" in router["addresses"] and "10.61.0.1/" not in router["addresses"]
    assert f'"{added}"' in router["metadata"] and f'"{vm["nic"][0]["ipaddress"]}"' in router["metadata"]
    assert "DNAT" not in router["iptables"] and "SNAT" not in router["iptables"]
    [listed] = cloud.admin.items("listRouters", "router", networkid=net["id"])
    assert listed["guestnetworkid"] == net["id"]
    keys = cloud.admin.call("createAgent", networkid=net["id"])["agent"]
    assert keys["apikey"]
