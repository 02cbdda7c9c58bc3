"""Test plan scenarios 14-21 on an isolated network, plus conflicts, firewall and access, over the signed API."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api import rule_scenarios as scenario
from tests.conftest import Cloud
from tests.support.client import UNKNOWN
from tests.support.rules import Place, dnat_lines, make_place
from tests.support.world import Zone, defaults, make_network, make_tenant

pytestmark = pytest.mark.api


@pytest.fixture
def p(cloud: Cloud, public_zone: Zone) -> Place:
    return make_place(cloud, public_zone, "isolated")


class TestOnEveryPlace(scenario.OnEveryPlace):
    """Scenarios 14-20, here on an isolated network."""


def test_restarting_the_network_keeps_rules_secondary_ips_and_the_router_configuration(p: Place) -> None:
    net = p.network["id"]
    scenario.restart_keeps_everything(p, ("restartNetwork", {"id": net, "cleanup": True}),
                                      ("restartNetwork", {"id": net, "cleanup": False}))


def test_the_network_gets_a_source_nat_address_with_its_first_vm(p: Place) -> None:
    found = p.user.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=p.network["id"])
    assert [ip["issourcenat"] for ip in found] == [True]
    refused = p.user.error("enableStaticNat", ipaddressid=found[0]["id"], virtualmachineid=p.vm["id"])
    assert refused.code == 537 and "source NAT" in refused.text
    kept = p.user.error("disassociateIpAddress", id=found[0]["id"])
    assert kept.code == 431 and "source NAT" in kept.text
    assert f"SNAT --to-source {found[0]['ipaddress']}" in p.router()["iptables"]


def test_overlapping_public_ports_conflict_and_the_text_names_both_rules(p: Place) -> None:
    a = p.acquire()
    first = p.pf(a, 8000, publicendport=8010, privateendport=22 + 10)
    clash = p.user.error("createPortForwardingRule", ipaddressid=a["id"], protocol="tcp", publicport=8005,
                         privateport=22, virtualmachineid=p.vm["id"])
    assert clash.code == 537 and first["id"] in clash.text and "8000-8010" in clash.text and "8005-8005" in clash.text
    p.pf(a, 8005, protocol="udp")  # another transport does not clash
    lb = p.user.error("createLoadBalancerRule", publicipid=a["id"], name="x", algorithm="source", publicport=8010,
                      privateport=80)
    assert lb.code == 537 and first["id"] in lb.text
    nat = p.user.error("enableStaticNat", ipaddressid=a["id"], virtualmachineid=p.vm["id"])
    assert nat.code == 537 and "port forwarding rule" in nat.text
    b = p.acquire()
    p.user.call("enableStaticNat", ipaddressid=b["id"], virtualmachineid=p.vm["id"])
    on_nat = p.user.error("createPortForwardingRule", ipaddressid=b["id"], protocol="tcp", publicport=22,
                          privateport=22, virtualmachineid=p.vm["id"])
    assert on_nat.code == 537 and "static NAT" in on_nat.text


def test_firewall_rules_open_ports_and_refuse_duplicates(p: Place) -> None:
    a = p.acquire()
    rule = p.user.run("createFirewallRule", ipaddressid=a["id"], protocol="tcp", startport=443, endport=443,
                      cidrlist="198.51.100.0/24")["firewallrule"]
    assert (rule["startport"], rule["endport"], rule["cidrlist"]) == (443, 443, "198.51.100.0/24")
    again = p.user.error("createFirewallRule", ipaddressid=a["id"], protocol="tcp", startport=443,
                         cidrlist="198.51.100.0/24")
    assert again.code == 537 and rule["id"] in again.text
    icmp = p.user.run("createFirewallRule", ipaddressid=a["id"], protocol="icmp", icmptype=8, icmpcode=0)
    assert icmp["firewallrule"]["cidrlist"] == "0.0.0.0/0"
    ports_on_icmp = p.user.error("createFirewallRule", ipaddressid=a["id"], protocol="icmp", startport=1)
    assert ports_on_icmp.code == 431
    assert "198.51.100.0/24" in p.router()["iptables"]
    assert p.user.run("deleteFirewallRule", id=rule["id"]) == {"success": True}
    assert [f["protocol"] for f in p.user.items("listFirewallRules", "firewallrule", ipaddressid=a["id"])] == ["icmp"]


def test_port_forwarding_without_openfirewall_opens_nothing(p: Place) -> None:
    a = p.acquire()
    p.pf(a, 2222, openfirewall=False)
    assert p.user.items("listFirewallRules", "firewallrule", ipaddressid=a["id"]) == []


def test_changing_a_primary_ip_that_rules_target_is_refused_naming_the_rule(p: Place) -> None:
    a = p.acquire()
    rule = p.pf(a, 2222)
    refused = p.user.error("updateVmNicIp", nicid=p.vm["nic"][0]["id"])
    assert refused.code == 536 and rule["id"] in refused.text and p.vm["nic"][0]["ipaddress"] in refused.text
    p.user.run("deletePortForwardingRule", id=rule["id"])
    moved = p.user.run("updateVmNicIp", nicid=p.vm["nic"][0]["id"])["virtualmachine"]
    assert moved["nic"][0]["ipaddress"] != p.vm["nic"][0]["ipaddress"]


def test_update_port_forwarding_rule_moves_it_to_a_secondary_ip(p: Place) -> None:
    s1 = p.secondary()
    a = p.acquire()
    rule = p.pf(a, 2222)
    moved = p.user.run("updatePortForwardingRule", id=rule["id"], vmguestip=s1["ipaddress"],
                       privateport=2022)["portforwardingrule"]
    assert (moved["vmguestip"], moved["privateport"]) == (s1["ipaddress"], "2022")
    assert dnat_lines(p.router(), a["ipaddress"], f"{s1['ipaddress']}:2022")
    assert p.user.error("removeIpFromNic", id=s1["id"]).code == 536


def test_the_router_generation_changes_exactly_when_the_documents_do(p: Place) -> None:
    first, again = p.router(), p.router()
    assert again["generation"] == first["generation"] and again["digest"] == first["digest"]
    a = p.acquire()
    acquired = p.router()
    assert acquired["generation"] == first["generation"] + (acquired["digest"] != first["digest"])
    p.pf(a, 2222)
    changed = p.router()
    assert changed["generation"] == acquired["generation"] + 1 and changed["digest"] != acquired["digest"]
    # A secondary IP no rule targets changes only what the metadata service tells the VM.
    added = p.user.run("addIpToNic", nicid=p.vm["nic"][0]["id"])["nicsecondaryip"]["ipaddress"]
    listed = p.router()
    assert listed["generation"] == changed["generation"] + 1 and f'"{added}"' in listed["metadata"]
    assert (listed["iptables"], listed["haproxy"]) == (changed["iptables"], changed["haproxy"])
    # A change that leaves the documents as they are publishes nothing new.
    p.user.run("restartNetwork", id=p.network["id"])
    assert p.router() == listed
    assert changed["target"] == f"router:{p.network['id']}" and changed["networkid"] == p.network["id"]
    assert p.user.error("getRouterConfig", networkid=p.network["id"]).code == 432


def test_another_account_gets_the_unknown_uuid_answer_for_vms_addresses_and_networks(p: Place) -> None:
    other = make_tenant(p.admin)
    mine = p.acquire()
    net = make_network(other.client, p.zone, defaults(p.admin)["isolated"])
    taken = other.client.error("associateIpAddress", networkid=p.network["id"])
    assert taken.code == 431 and f"value={p.network['id']} {UNKNOWN}" in taken.text
    theirs = other.client.run("associateIpAddress", networkid=net["id"])["ipaddress"]
    for command, params, name in (
        ("createPortForwardingRule", {"ipaddressid": theirs["id"], "protocol": "tcp", "publicport": 22,
                                      "privateport": 22, "virtualmachineid": p.vm["id"]}, "virtualmachineid"),
        ("enableStaticNat", {"ipaddressid": theirs["id"], "virtualmachineid": p.vm["id"],
                             "vmguestip": p.vm["nic"][0]["ipaddress"]}, "virtualmachineid"),
        ("enableStaticNat", {"ipaddressid": mine["id"], "virtualmachineid": p.vm["id"]}, "ipaddressid"),
        ("disassociateIpAddress", {"id": mine["id"]}, "id"),
        ("listPortForwardingRules", {"ipaddressid": mine["id"]}, "ipaddressid"),
    ):
        refused = other.client.error(command, **params)
        assert refused.code == 431 and f"Invalid parameter {name} value=" in refused.text and UNKNOWN in refused.text
    lb = other.client.run("createLoadBalancerRule", publicipid=theirs["id"], name="x", algorithm="roundrobin",
                          publicport=80, privateport=80)["loadbalancer"]
    foreign = other.client.error("assignToLoadBalancerRule", id=lb["id"], **{
        "vmidipmap[0].vmid": p.vm["id"], "vmidipmap[0].vmip": p.vm["nic"][0]["ipaddress"]})
    assert foreign.code == 431 and f"value={p.vm['id']} {UNKNOWN}" in foreign.text


def test_rules_are_refused_on_an_l2_network_as_unsupported(p: Place) -> None:
    l2 = make_network(p.user, p.zone, defaults(p.admin)["l2"])
    refused = p.user.error("associateIpAddress", networkid=l2["id"])
    assert refused.code == 432 and "L2" in refused.text


def test_events_record_each_rule_action(p: Place) -> None:
    s1 = p.secondary()
    a = p.acquire()
    rule = p.pf(a, 2222, guest=s1["ipaddress"])
    p.user.run("deletePortForwardingRule", id=rule["id"])
    p.user.call("enableStaticNat", ipaddressid=a["id"], virtualmachineid=p.vm["id"], vmguestip=s1["ipaddress"])
    p.user.run("disableStaticNat", ipaddressid=a["id"])
    p.user.run("disassociateIpAddress", id=a["id"])
    types = {e["type"] for e in p.user.items("listEvents", "event")}
    assert {"NET.IPASSIGN", "NET.RULEADD", "NET.RULEDELETE", "STATICNAT.ENABLE", "STATICNAT.DISABLE",
            "NET.IPRELEASE"} <= types


def test_concurrent_acquisitions_never_hand_out_a_public_ip_twice(p: Place) -> None:
    def acquire(_: int) -> str:
        address: str = p.acquire()["ipaddress"]
        return address

    with ThreadPoolExecutor(max_workers=8) as pool:
        addresses = list(pool.map(acquire, range(24)))
    assert len(set(addresses)) == 24
    listed = p.user.items("listPublicIpAddresses", "publicipaddress", associatednetworkid=p.network["id"])
    assert sorted(ip["ipaddress"] for ip in listed if not ip["issourcenat"]) == sorted(addresses)


def test_a_nic_whose_address_rules_target_cannot_be_removed(p: Place) -> None:
    second = make_network(p.user, p.zone, defaults(p.admin)["isolated"], gateway="10.9.9.1", netmask="255.255.255.0")
    vm = p.user.run("addNicToVirtualMachine", virtualmachineid=p.vm["id"], networkid=second["id"])["virtualmachine"]
    nic = next(n for n in vm["nic"] if n["networkid"] == second["id"])
    sec = p.user.run("addIpToNic", nicid=nic["id"])["nicsecondaryip"]
    public = p.user.run("associateIpAddress", networkid=second["id"])["ipaddress"]
    p.user.call("enableStaticNat", ipaddressid=public["id"], virtualmachineid=vm["id"], vmguestip=sec["ipaddress"])
    refused = p.user.error("removeNicFromVirtualMachine", virtualmachineid=vm["id"], nicid=nic["id"])
    assert refused.code == 536 and f"static NAT from public IP {public['ipaddress']}" in refused.text
    p.user.run("disableStaticNat", ipaddressid=public["id"])
    p.user.run("removeNicFromVirtualMachine", virtualmachineid=vm["id"], nicid=nic["id"])


def test_deleting_a_network_releases_its_public_ips_and_their_rules(p: Place) -> None:
    a = p.acquire()
    p.user.run("createFirewallRule", ipaddressid=a["id"], protocol="tcp", startport=80)
    for vm in (p.vm, p.other_vm):
        p.user.run("destroyVirtualMachine", id=vm["id"], expunge=True)
    assert p.user.run("deleteNetwork", id=p.network["id"]) == {"success": True}
    assert p.user.items("listPublicIpAddresses", "publicipaddress") == []
    free = p.admin.items("listPublicIpAddresses", "publicipaddress", allocatedonly=False, ipaddress=a["ipaddress"])
    assert [(ip["state"], "account" in ip) for ip in free] == [("Free", False)]


def test_the_firewall_rule_opened_with_a_load_balancer_rule_goes_with_it(p: Place) -> None:
    a = p.acquire()
    lb = p.user.run("createLoadBalancerRule", publicipid=a["id"], name="web", algorithm="roundrobin",
                    publicport=80, privateport=8080, openfirewall=True)["loadbalancer"]
    opened = p.user.items("listFirewallRules", "firewallrule", ipaddressid=a["id"])
    assert [(f["protocol"], f["startport"], f["endport"]) for f in opened] == [("tcp", 80, 80)]
    assert p.user.run("deleteLoadBalancerRule", id=lb["id"]) == {"success": True}
    assert p.user.items("listFirewallRules", "firewallrule", ipaddressid=a["id"]) == []


def test_listnics_shows_an_address_that_rules_target_applied_only_once_its_router_applied_it(p: Place) -> None:
    # No router agent runs here: an address a rule targets waits for it; one no rule targets (and no
    # host enforces: no security groups) is applied as soon as its job ended.
    forwarded, natted, balanced, plain = (p.secondary() for _ in range(4))
    pf_ip, nat_ip, lb_ip = p.acquire(), p.acquire(), p.acquire()
    p.user.run("createPortForwardingRule", ipaddressid=pf_ip["id"], protocol="tcp", publicport=2222,
               privateport=22, virtualmachineid=p.vm["id"], vmguestip=forwarded["ipaddress"])
    p.user.call("enableStaticNat", ipaddressid=nat_ip["id"], virtualmachineid=p.vm["id"],
                vmguestip=natted["ipaddress"])
    rule = p.user.run("createLoadBalancerRule", publicipid=lb_ip["id"], name="web", algorithm="roundrobin",
                      publicport=80, privateport=8080)["loadbalancer"]
    p.user.run("assignToLoadBalancerRule", id=rule["id"], **{"vmidipmap[0].vmid": p.vm["id"],
                                                            "vmidipmap[0].vmip": balanced["ipaddress"]})
    shown = {s["ipaddress"]: s["applied"] for nic in p.user.items("listNics", "nic", virtualmachineid=p.vm["id"])
             for s in nic.get("secondaryip", [])}
    assert shown == {forwarded["ipaddress"]: False, natted["ipaddress"]: False, balanced["ipaddress"]: False,
                     plain["ipaddress"]: True}
