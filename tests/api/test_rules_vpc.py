"""Test plan scenarios 14-21 on a VPC tier, plus tiers, VPC addresses and the VPC router, over the signed API."""

from __future__ import annotations

import pytest

from tests.api import rule_scenarios as scenario
from tests.conftest import Cloud
from tests.support.client import UNKNOWN
from tests.support.rules import Place, dnat_lines, make_place, vpc_offerings
from tests.support.waiting import eventually
from tests.support.world import Zone, defaults, deploy, make_network, make_tenant, unique

pytestmark = pytest.mark.api


@pytest.fixture
def p(cloud: Cloud, public_zone: Zone) -> Place:
    return make_place(cloud, public_zone, "vpc")


def second_tier(p: Place, gateway: str = "10.20.2.1") -> dict[str, object]:
    _, tier_offering = vpc_offerings(p.admin)
    assert p.vpc is not None
    return make_network(p.user, p.zone, tier_offering, vpcid=p.vpc["id"], gateway=gateway, netmask="255.255.255.0")


class TestOnEveryPlace(scenario.OnEveryPlace):
    """Scenarios 14-20, here on a VPC tier."""


def test_restarting_the_vpc_and_the_tier_keeps_rules_secondary_ips_and_the_router_configuration(p: Place) -> None:
    assert p.vpc is not None
    vpc, tier = p.vpc["id"], p.network["id"]
    scenario.restart_keeps_everything(p, ("restartVPC", {"id": vpc, "cleanup": True}),
                                      ("restartVPC", {"id": vpc, "cleanup": False}),
                                      ("restartNetwork", {"id": tier, "cleanup": True}),
                                      ("restartNetwork", {"id": tier, "cleanup": False}))


def test_tiers_lie_inside_the_vpc_cidr_and_never_overlap(p: Place) -> None:
    _, tier_offering = vpc_offerings(p.admin)
    assert p.vpc is not None
    for gateway, netmask, why in (("10.30.1.1", "255.255.255.0", "not inside"),
                                  ("10.20.1.129", "255.255.255.128", "overlaps"),
                                  ("10.20.0.1", "255.255.0.0", "overlaps")):
        refused = p.user.error("createNetwork", name=unique("tier"), displaytext="t", zoneid=p.zone.id,
                               networkofferingid=tier_offering, vpcid=p.vpc["id"], gateway=gateway, netmask=netmask)
        assert refused.code == 431 and why in refused.text, refused.text
    plain = p.user.error("createNetwork", name=unique("net"), displaytext="t", zoneid=p.zone.id,
                         networkofferingid=defaults(p.admin)["isolated"], vpcid=p.vpc["id"], gateway="10.20.9.1",
                         netmask="255.255.255.0")
    assert plain.code == 431 and "not for VPC tiers" in plain.text
    assert second_tier(p)["vpcid"] == p.vpc["id"]


def test_only_tiers_and_their_nics_carry_vpcid(p: Place, cloud: Cloud, public_zone: Zone) -> None:
    assert p.vpc is not None
    assert p.network["vpcid"] == p.vpc["id"] and p.vm["nic"][0]["vpcid"] == p.vpc["id"]
    listed = p.user.items("listNetworks", "network", vpcid=p.vpc["id"])
    assert [n["id"] for n in listed] == [p.network["id"]]
    isolated = make_place(cloud, public_zone, "isolated")
    assert "vpcid" not in isolated.network and "vpcid" not in isolated.vm["nic"][0]
    vpc = p.user.items("listVPCs", "vpc", id=p.vpc["id"])[0]
    assert [n["id"] for n in vpc["network"]] == [p.network["id"]] and vpc["cidr"] == "10.20.0.0/16"


def test_the_vpc_has_one_source_nat_address_for_all_its_tiers(p: Place) -> None:
    assert p.vpc is not None
    tier = second_tier(p)
    deploy(p.user, p.zone, defaults(p.admin), str(tier["id"]))
    found = p.user.items("listPublicIpAddresses", "publicipaddress", vpcid=p.vpc["id"], issourcenat=True)
    assert len(found) == 1 and found[0]["vpcid"] == p.vpc["id"] and "associatednetworkid" not in found[0]
    iptables = p.router()["iptables"]
    assert iptables.count(f"SNAT --to-source {found[0]['ipaddress']}") == 2  # one source NAT line per tier


def test_a_vpc_address_serves_one_tier_from_its_first_rule_until_its_last(p: Place) -> None:
    assert p.vpc is not None
    a = p.acquire()
    assert "associatednetworkid" not in a and a["vpcid"] == p.vpc["id"]
    rule = p.pf(a, 2222)
    assert p.public_ip(a["id"])["associatednetworkid"] == p.network["id"]
    tier = second_tier(p)
    vm = deploy(p.user, p.zone, defaults(p.admin), str(tier["id"]))
    elsewhere = p.user.error("createPortForwardingRule", ipaddressid=a["id"], protocol="tcp", publicport=2223,
                             privateport=22, virtualmachineid=vm["id"])
    assert elsewhere.code == 431 and f"has no NIC in network {p.network['name']}" in elsewhere.text
    p.user.run("deletePortForwardingRule", id=rule["id"])
    assert "associatednetworkid" not in p.public_ip(a["id"])
    moved = p.pf(a, 2223, vm=vm)
    assert moved["networkid"] == tier["id"]
    assert dnat_lines(p.router(), a["ipaddress"], f"{vm['nic'][0]['ipaddress']}:22")


def test_vpc_addresses_take_no_firewall_rules_and_no_openfirewall(p: Place) -> None:
    a = p.acquire()
    firewall = p.user.error("createFirewallRule", ipaddressid=a["id"], protocol="tcp", startport=22)
    assert firewall.code == 432 and "ACL" in firewall.text
    opened = p.user.error("createPortForwardingRule", ipaddressid=a["id"], protocol="tcp", publicport=22,
                          privateport=22, virtualmachineid=p.vm["id"], openfirewall=True)
    assert opened.code == 431 and "openfirewall" in opened.text


def test_a_vpc_with_tiers_cannot_be_deleted_and_without_them_goes_with_its_addresses(p: Place) -> None:
    assert p.vpc is not None
    a = p.acquire()
    refused = p.user.error("deleteVPC", id=p.vpc["id"])
    assert refused.code == 536 and p.network["name"] in refused.text
    for vm in (p.vm, p.other_vm):
        p.user.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    p.user.run("deleteNetwork", id=p.network["id"])
    assert p.user.run("deleteVPC", id=p.vpc["id"]) == {"success": True}
    assert p.user.items("listPublicIpAddresses", "publicipaddress", ipaddress=a["ipaddress"]) == []
    assert p.user.items("listVPCs", "vpc", listall=True, name=p.vpc["name"]) == []


def test_the_vpc_router_names_every_tier_and_static_nat_of_a_secondary_ip(p: Place) -> None:
    assert p.vpc is not None
    tier = second_tier(p)
    vm = deploy(p.user, p.zone, defaults(p.admin), str(tier["id"]))
    sec = p.secondary(vm)
    a = p.acquire()
    before = p.router()["generation"]
    p.user.call("enableStaticNat", ipaddressid=a["id"], virtualmachineid=vm["id"], vmguestip=sec["ipaddress"])
    config = eventually(p.router, lambda c: c["generation"] > before)
    assert config["target"] == f"router:{p.vpc['id']}" and config["vpcid"] == p.vpc["id"]
    assert "10.20.1.0/24" in config["iptables"] and "10.20.2.0/24" in config["iptables"]
    assert dnat_lines(config, a["ipaddress"], sec["ipaddress"])
    assert p.admin.call("getRouterConfig", networkid=tier["id"])["routerconfig"]["digest"] == config["digest"]


def test_another_account_cannot_use_the_vpc_its_tiers_or_its_addresses(p: Place) -> None:
    assert p.vpc is not None
    other = make_tenant(p.admin)
    a = p.acquire()
    _, tier_offering = vpc_offerings(p.admin)
    for command, params, name in (
        ("associateIpAddress", {"vpcid": p.vpc["id"]}, "vpcid"),
        ("associateIpAddress", {"networkid": p.network["id"]}, "networkid"),
        ("createNetwork", {"name": "x", "displaytext": "x", "zoneid": p.zone.id, "networkofferingid": tier_offering,
                           "vpcid": p.vpc["id"], "gateway": "10.20.7.1", "netmask": "255.255.255.0"}, "vpcid"),
        ("createLoadBalancerRule", {"publicipid": a["id"], "name": "x", "algorithm": "source", "publicport": 80,
                                    "privateport": 80}, "publicipid"),
        ("deleteVPC", {"id": p.vpc["id"]}, "id"),
        ("listVPCs", {"id": p.vpc["id"]}, "id"),
    ):
        refused = other.client.error(command, **params)
        assert refused.code == 431 and f"Invalid parameter {name} value=" in refused.text and UNKNOWN in refused.text
