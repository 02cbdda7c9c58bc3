"""What Ansible's cloudstack modules and Terraform's provider read back from nicstack, over the signed API.

Each test is named after the client behaviour it protects; the comparisons are the clients' own.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cloud
from tests.support.rules import Place, make_place
from tests.support.world import Zone

pytestmark = pytest.mark.api


@pytest.fixture
def p(cloud: Cloud, public_zone: Zone) -> Place:
    return make_place(cloud, public_zone, "isolated")


def _ansible_icmp_match(rule: dict[str, Any], icmp_type: int, icmp_code: int) -> bool:
    # cs_firewall's _icmp_match: plain indexing, so a missing key fails the whole module run.
    return bool(rule["protocol"] == "icmp" and icmp_code == rule["icmpcode"] and icmp_type == rule["icmptype"])


def test_ansible_cs_firewall_finds_its_icmp_rule_with_any_type_and_code_again(p: Place) -> None:
    a = p.acquire()
    created = p.user.run("createFirewallRule", ipaddressid=a["id"], protocol="icmp", icmptype=-1, icmpcode=-1,
                         cidrlist="0.0.0.0/0")["firewallrule"]
    [listed] = p.user.items("listFirewallRules", "firewallrule", ipaddressid=a["id"], listall=True)
    for rule in (created, listed):
        assert _ansible_icmp_match(rule, -1, -1), rule
    # A second run finds the rule and changes nothing; creating it again is what a miss would do.
    again = p.user.error("createFirewallRule", ipaddressid=a["id"], protocol="icmp", icmptype=-1, icmpcode=-1)
    assert again.code == 537


def test_terraform_firewall_reads_icmp_type_and_code_as_integers_without_a_perpetual_diff(p: Place) -> None:
    a = p.acquire()
    p.user.run("createFirewallRule", ipaddressid=a["id"], protocol="icmp", icmptype=8, cidrlist="0.0.0.0/0")
    p.user.run("createFirewallRule", ipaddressid=a["id"], protocol="tcp", startport=80, endport=80)
    rules = {r["protocol"]: r for r in p.user.items("listFirewallRules", "firewallrule", ipaddressid=a["id"])}
    # cloudstack-go decodes icmptype/icmpcode into ints (absent: 0); the resource stores them as icmp_type/code.
    assert (rules["icmp"]["icmptype"], rules["icmp"]["icmpcode"]) == (8, -1)
    assert all(type(rules["icmp"][k]) is int for k in ("icmptype", "icmpcode"))
    # CloudStack sends no ICMP fields on a port rule, and ports as integers there.
    assert "icmptype" not in rules["tcp"] and "icmpcode" not in rules["tcp"]
    assert (rules["tcp"]["startport"], rules["tcp"]["endport"]) == (80, 80)


def test_ansible_cs_firewall_finds_its_rule_again_by_the_cidr_list_in_the_order_given(p: Place) -> None:
    a = p.acquire()
    cidrs = ["192.168.0.0/16", "10.0.0.0/8"]
    created = p.user.run("createFirewallRule", ipaddressid=a["id"], protocol="tcp", startport=22, endport=22,
                         cidrlist=",".join(cidrs))["firewallrule"]
    [listed] = p.user.items("listFirewallRules", "firewallrule", ipaddressid=a["id"])
    # cs_firewall's _type_cidrs_match: the joined list compared as text with the rule's cidrlist.
    assert created["cidrlist"] == listed["cidrlist"] == ",".join(cidrs)
    # The same CIDRs in another order (or repeated) still open the same ports: refused as a duplicate.
    again = p.user.error("createFirewallRule", ipaddressid=a["id"], protocol="tcp", startport=22,
                         cidrlist="10.0.0.0/8,192.168.0.0/16,10.0.0.0/8")
    assert again.code == 537 and created["id"] in again.text


def test_terraform_ipaddress_with_is_portable_is_refused_rather_than_given_a_zone_address(p: Place) -> None:
    before = p.user.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=p.network["id"])
    refused = p.user.error("associateIpAddress", networkid=p.network["id"], isportable=True)
    assert refused.code == 432 and "isportable" in refused.text
    after = p.user.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=p.network["id"])
    assert after == before
    # isportable=false (what the provider sends when it sends it at all) acquires as before.
    acquired = p.user.run("associateIpAddress", networkid=p.network["id"], isportable=False)["ipaddress"]
    assert acquired["isportable"] is False
