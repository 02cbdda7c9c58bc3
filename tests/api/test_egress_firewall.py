"""Egress firewall rules on isolated networks and the offering's default egress policy, over the signed API."""

from __future__ import annotations

import pytest

from tests.conftest import Cloud
from tests.support.client import UNKNOWN
from tests.support.rules import Place, make_place
from tests.support.world import Zone, make_tenant

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def place(cloud: Cloud, public_zone: Zone) -> Place:
    return make_place(cloud, public_zone, "isolated")


def test_the_default_isolated_offering_lets_guests_out_unless_a_rule_denies_it(place: Place) -> None:
    offerings = {o["name"]: o for o in place.user.items("listNetworkOfferings", "networkoffering")}
    assert offerings["DefaultIsolatedNetworkOfferingWithSourceNatService"]["egressdefaultpolicy"] is True


def test_an_egress_rule_is_listed_rendered_and_deleted(place: Place) -> None:
    net = place.network
    rule = place.user.run("createEgressFirewallRule", networkid=net["id"], protocol="tcp", startport=25,
                          destcidrlist="198.51.100.0/24")["firewallrule"]
    assert {k: rule[k] for k in ("networkid", "protocol", "startport", "endport", "cidrlist", "destcidrlist",
                                 "traffictype", "state")} == {
        "networkid": net["id"], "protocol": "tcp", "startport": 25, "endport": 25, "cidrlist": net["cidr"],
        "destcidrlist": "198.51.100.0/24", "traffictype": "Egress", "state": "Active"}
    listed = place.user.items("listEgressFirewallRules", "firewallrule", networkid=net["id"])
    assert [r["id"] for r in listed] == [rule["id"]]
    assert rule["id"] not in [r["id"] for r in place.user.items("listFirewallRules", "firewallrule")]
    iptables = place.router()["iptables"]
    assert "-o eth2" in iptables and "-j ns-egress" in iptables
    (line,) = [x for x in iptables.splitlines() if rule["id"] in x]
    assert line.startswith("-A ns-egress") and "-d 198.51.100.0/24" in line and "--dport 25" in line
    assert line.endswith("-j DROP")
    assert place.user.run("deleteEgressFirewallRule", id=rule["id"]) == {"success": True}
    assert place.user.items("listEgressFirewallRules", "firewallrule", networkid=net["id"]) == []
    assert rule["id"] not in place.router()["iptables"]


def test_bad_egress_rules_are_refused_and_change_nothing(cloud: Cloud, place: Place, public_zone: Zone) -> None:
    net = place.network
    first = place.user.run("createEgressFirewallRule", networkid=net["id"], protocol="udp", startport=53,
                           cidrlist="0.0.0.0/0")["firewallrule"]
    assert first["cidrlist"] == "0.0.0.0/0"
    clash = place.user.error("createEgressFirewallRule", networkid=net["id"], protocol="udp", startport=53,
                             cidrlist="0.0.0.0/0")
    assert clash.code == 537 and first["id"] in clash.text
    for bad, text in ((dict(protocol="tcp", startport=80, cidrlist="192.168.0.0/24"), "outside the network"),
                      (dict(protocol="gre"), "'gre'"),
                      (dict(protocol="icmp", startport=1), "Ports are for tcp or udp"),
                      (dict(protocol="tcp", destcidrlist="10.0.0.300/8"), "destcidrlist")):
        refused = place.user.error("createEgressFirewallRule", networkid=net["id"], **bad)
        assert refused.code == 431 and text in refused.text, (bad, refused.text)
    assert [r["id"] for r in place.user.items("listEgressFirewallRules", "firewallrule")] == [first["id"]]
    other = make_tenant(cloud.admin).client
    assert other.items("listEgressFirewallRules", "firewallrule") == []
    theirs = other.error("deleteEgressFirewallRule", id=first["id"])
    assert theirs.code == 431 and UNKNOWN in theirs.text
    mine = other.error("createEgressFirewallRule", networkid=net["id"], protocol="all")
    assert mine.code == 431 and UNKNOWN in mine.text
    place.user.run("deleteEgressFirewallRule", id=first["id"])


def test_a_vpc_tier_takes_no_egress_rules(cloud: Cloud, public_zone: Zone) -> None:
    vpc = make_place(cloud, public_zone, "vpc")
    refused = vpc.user.error("createEgressFirewallRule", networkid=vpc.network["id"], protocol="all")
    assert refused.code == 432 and "network ACLs" in refused.text
