"""IP forwarding rules (CloudStack's static NAT rules): port ranges of a static-NAT public IP, over the signed API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Cloud
from tests.support.client import UNKNOWN
from tests.support.rules import Place, make_place
from tests.support.world import Zone, make_tenant

pytestmark = pytest.mark.api


@dataclass
class Nat:
    place: Place
    ip: dict[str, Any]
    guest: dict[str, Any]


@pytest.fixture(scope="module")
def place(cloud: Cloud, public_zone: Zone) -> Place:
    return make_place(cloud, public_zone, "isolated")


@pytest.fixture
def nat(place: Place) -> Nat:
    """A fresh public IP with static NAT to a fresh secondary IP of the place's VM."""
    guest = place.secondary()
    ip = place.acquire()
    place.user.call("enableStaticNat", ipaddressid=ip["id"], virtualmachineid=place.vm["id"],
                    vmguestip=guest["ipaddress"])
    return Nat(place, ip, guest)


def rules_of(p: Place, ip: dict[str, Any]) -> list[dict[str, Any]]:
    return p.user.items("listIpForwardingRules", "ipforwardingrule", ipaddressid=ip["id"])


def test_a_rule_forwards_its_ports_to_the_static_nat_guest_and_opens_the_firewall(nat: Nat) -> None:
    p = nat.place
    rule = p.user.run("createIpForwardingRule", ipaddressid=nat.ip["id"], protocol="TCP", startport=8000,
                      endport=8010)["ipforwardingrule"]
    assert {k: rule[k] for k in ("ipaddressid", "ipaddress", "protocol", "startport", "endport", "state",
                                 "virtualmachineid", "virtualmachinename", "vmguestip")} == {
        "ipaddressid": nat.ip["id"], "ipaddress": nat.ip["ipaddress"], "protocol": "tcp", "startport": 8000,
        "endport": 8010, "state": "Active", "virtualmachineid": p.vm["id"], "virtualmachinename": p.vm["name"],
        "vmguestip": nat.guest["ipaddress"]}
    assert [r["id"] for r in rules_of(p, nat.ip)] == [rule["id"]]
    assert [r["id"] for r in p.user.items("listIpForwardingRules", "ipforwardingrule",
                                          virtualmachineid=p.vm["id"])].count(rule["id"]) == 1
    opened = p.user.items("listFirewallRules", "firewallrule", ipaddressid=nat.ip["id"])
    assert [(f["protocol"], f["startport"], f["endport"], f["cidrlist"]) for f in opened] == [
        ("tcp", 8000, 8010, "0.0.0.0/0")]
    lines = [line for line in p.router()["iptables"].splitlines() if rule["id"] in line]
    assert any(f"-d {nat.ip['ipaddress']}/32 -p tcp -m tcp --dport 8000:8010" in line
               and f"--to-destination {nat.guest['ipaddress']}" in line for line in lines), lines
    assert p.user.run("deleteIpForwardingRule", id=rule["id"]) == {"success": True}
    assert rules_of(p, nat.ip) == []
    assert p.user.items("listFirewallRules", "firewallrule", ipaddressid=nat.ip["id"]) == []
    assert rule["id"] not in p.router()["iptables"]


def test_openfirewall_false_forwards_without_a_firewall_rule(nat: Nat) -> None:
    p = nat.place
    p.user.run("createIpForwardingRule", ipaddressid=nat.ip["id"], protocol="udp", startport=53, openfirewall=False)
    assert [(r["protocol"], r["startport"], r["endport"]) for r in rules_of(p, nat.ip)] == [("udp", 53, 53)]
    assert p.user.items("listFirewallRules", "firewallrule", ipaddressid=nat.ip["id"]) == []


def test_bad_rules_are_refused_naming_the_reason_and_change_nothing(nat: Nat) -> None:
    p = nat.place
    first = p.user.run("createIpForwardingRule", ipaddressid=nat.ip["id"], protocol="tcp", startport=100,
                       endport=200)["ipforwardingrule"]
    clash = p.user.error("createIpForwardingRule", ipaddressid=nat.ip["id"], protocol="tcp", startport=150)
    assert clash.code == 537 and first["id"] in clash.text and "100-200" in clash.text
    plain = p.acquire()
    no_nat = p.user.error("createIpForwardingRule", ipaddressid=plain["id"], protocol="tcp", startport=22)
    assert no_nat.code == 431 and "no static NAT" in no_nat.text and plain["ipaddress"] in no_nat.text
    for bad, text in ((dict(protocol="icmp", startport=1), "'icmp'"),
                      (dict(protocol="tcp", startport=0), "startport"),
                      (dict(protocol="tcp", startport=22, cidrlist="10.0.0.0/8"), "cidrlist"),
                      (dict(protocol="tcp", startport=30, endport=20), "30")):
        refused = p.user.error("createIpForwardingRule", ipaddressid=nat.ip["id"], **bad)
        assert refused.code == 431 and text in refused.text, (bad, refused.text)
    assert [r["id"] for r in rules_of(p, nat.ip)] == [first["id"]]
    gone = p.user.error("deleteIpForwardingRule", id="3f0c1b6e-0000-4000-8000-000000000000")
    assert gone.code == 431 and UNKNOWN in gone.text


def test_rules_go_with_the_static_nat_and_the_guest_ip_stays_protected(nat: Nat) -> None:
    p = nat.place
    p.user.run("createIpForwardingRule", ipaddressid=nat.ip["id"], protocol="tcp", startport=443)
    held = p.user.error("removeIpFromNic", id=nat.guest["id"])
    assert held.code == 536 and nat.ip["ipaddress"] in held.text
    p.user.run("disableStaticNat", ipaddressid=nat.ip["id"])
    assert rules_of(p, nat.ip) == []
    assert p.user.items("listFirewallRules", "firewallrule", ipaddressid=nat.ip["id"]) == []
    assert p.user.run("removeIpFromNic", id=nat.guest["id"]) == {"success": True}


def test_releasing_the_public_ip_deletes_its_rules(nat: Nat) -> None:
    p = nat.place
    rule = p.user.run("createIpForwardingRule", ipaddressid=nat.ip["id"], protocol="tcp", startport=25)
    p.user.run("disassociateIpAddress", id=nat.ip["id"])
    listed = p.user.items("listIpForwardingRules", "ipforwardingrule")
    assert rule["ipforwardingrule"]["id"] not in [r["id"] for r in listed]
    gone = p.user.error("listIpForwardingRules", id=rule["ipforwardingrule"]["id"])
    assert gone.code == 431 and UNKNOWN in gone.text


def test_another_account_neither_sees_nor_deletes_a_rule(cloud: Cloud, nat: Nat) -> None:
    p = nat.place
    rule = p.user.run("createIpForwardingRule", ipaddressid=nat.ip["id"], protocol="tcp", startport=993)
    other = make_tenant(cloud.admin).client
    assert other.items("listIpForwardingRules", "ipforwardingrule") == []
    refused = other.error("deleteIpForwardingRule", id=rule["ipforwardingrule"]["id"])
    assert refused.code == 431 and UNKNOWN in refused.text
    assert len(rules_of(p, nat.ip)) == 1
