"""Test plan scenarios 14-21 as functions of a Place: run on isolated networks and on VPC tiers alike."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.client import UNKNOWN
from tests.support.rules import Place, dnat_lines
from tests.support.waiting import eventually


def pf_to_secondaries(p: Place) -> None:
    """14: PF to secondary #1 from two public IPs, to #2; an invalid or foreign guest IP is refused."""
    s1, s2 = p.secondary(), p.secondary()
    a, b = p.acquire(), p.acquire()
    first = p.pf(a, 2201, guest=s1["ipaddress"])
    assert first["vmguestip"] == s1["ipaddress"] and first["ipaddress"] == a["ipaddress"]
    assert first["publicport"] == "2201" and first["privateport"] == "22"
    p.pf(b, 2201, guest=s1["ipaddress"])
    p.pf(a, 2202, guest=s2["ipaddress"])
    bad = p.user.error("createPortForwardingRule", ipaddressid=a["id"], protocol="tcp", publicport=2203,
                       privateport=22, virtualmachineid=p.vm["id"], vmguestip="255.255.255.300")
    assert bad.code == 431 and "255.255.255.300" in bad.text
    foreign = p.other_vm["nic"][0]["ipaddress"]
    not_its = p.user.error("createPortForwardingRule", ipaddressid=a["id"], protocol="tcp", publicport=2204,
                           privateport=22, virtualmachineid=p.vm["id"], vmguestip=foreign)
    assert not_its.code == 431 and foreign in not_its.text and "not an address of VM" in not_its.text
    config = p.router()
    assert dnat_lines(config, a["ipaddress"], f"{s1['ipaddress']}:22")
    assert dnat_lines(config, b["ipaddress"], f"{s1['ipaddress']}:22")
    assert dnat_lines(config, a["ipaddress"], f"{s2['ipaddress']}:22")


def release_refused_while_pf(p: Place) -> None:
    """15: removing a PF destination is refused naming the rule; after deleting the rule it succeeds."""
    s1 = p.secondary()
    a = p.acquire()
    rule = p.pf(a, 2222, guest=s1["ipaddress"])
    refused = p.user.error("removeIpFromNic", id=s1["id"])
    assert refused.code == 536 and rule["id"] in refused.text and "port forwarding" in refused.text
    if p.vpc is None:
        opened = p.user.items("listFirewallRules", "firewallrule", ipaddressid=a["id"])
        assert [(f["startport"], f["endport"]) for f in opened] == [(2222, 2222)]
    assert p.user.run("deletePortForwardingRule", id=rule["id"]) == {"success": True}
    assert p.user.items("listFirewallRules", "firewallrule", ipaddressid=a["id"]) == []
    assert p.user.run("removeIpFromNic", id=s1["id"]) == {"success": True}
    assert not dnat_lines(p.router(), a["ipaddress"], s1["ipaddress"])


def disassociate_removes_rules(p: Place) -> None:
    """16: releasing the public IP of a PF rule succeeds and the rule goes with it."""
    s1 = p.secondary()
    a = p.acquire()
    rule = p.pf(a, 2222, guest=s1["ipaddress"])
    assert p.user.run("disassociateIpAddress", id=a["id"]) == {"success": True}
    gone = p.user.error("listPortForwardingRules", id=rule["id"])
    assert gone.code == 431 and UNKNOWN in gone.text
    assert p.user.items("listPortForwardingRules", "portforwardingrule", networkid=p.network["id"]) == []
    assert p.user.run("removeIpFromNic", id=s1["id"]) == {"success": True}


def static_nat_rules(p: Place) -> None:
    """17: A->#1 ok; B->#1 refused; C->#2 ok; D->invalid refused; releasing #1 refused while A maps it."""
    s1, s2 = p.secondary(), p.secondary()
    a, b, c, d = (p.acquire() for _ in range(4))
    nat = {"virtualmachineid": p.vm["id"]}
    assert p.user.call("enableStaticNat", ipaddressid=a["id"], vmguestip=s1["ipaddress"], **nat) == {"success": True}
    twice = p.user.error("enableStaticNat", ipaddressid=b["id"], vmguestip=s1["ipaddress"], **nat)
    assert twice.code == 537 and s1["ipaddress"] in twice.text and a["ipaddress"] in twice.text
    p.user.call("enableStaticNat", ipaddressid=c["id"], vmguestip=s2["ipaddress"], **nat)
    invalid = p.user.error("enableStaticNat", ipaddressid=d["id"], vmguestip="255.255.255.300", **nat)
    assert invalid.code == 431 and "255.255.255.300" in invalid.text
    refused = p.user.error("removeIpFromNic", id=s1["id"])
    assert refused.code == 536 and f"static NAT from public IP {a['ipaddress']}" in refused.text
    # enableStaticNat answers at once; the router's next generation follows from its job.
    config = eventually(p.router, lambda c_: bool(dnat_lines(c_, c["ipaddress"], s2["ipaddress"])))
    assert dnat_lines(config, a["ipaddress"], s1["ipaddress"])
    assert f"-s {s1['ipaddress']}/32" in config["iptables"]  # the guest's outbound SNAT to its public IP


def static_nat_flags_follow(p: Place) -> None:
    """18: enable, disable, enable: isstaticnat/vmipaddress follow; then the public IP is released."""
    s1 = p.secondary()
    a = p.acquire()
    assert a["isstaticnat"] is False and "vmipaddress" not in a
    p.user.call("enableStaticNat", ipaddressid=a["id"], virtualmachineid=p.vm["id"], vmguestip=s1["ipaddress"])
    on = p.public_ip(a["id"])
    assert (on["isstaticnat"], on["vmipaddress"], on["virtualmachineid"]) == (True, s1["ipaddress"], p.vm["id"])
    assert p.user.run("disableStaticNat", ipaddressid=a["id"]) == {"success": True}
    off = p.public_ip(a["id"])
    assert off["isstaticnat"] is False and "vmipaddress" not in off and "virtualmachineid" not in off
    assert not dnat_lines(p.router(), a["ipaddress"], s1["ipaddress"])
    p.user.call("enableStaticNat", ipaddressid=a["id"], virtualmachineid=p.vm["id"], vmguestip=s1["ipaddress"])
    assert (p.public_ip(a["id"])["isstaticnat"], p.public_ip(a["id"])["vmipaddress"]) == (True, s1["ipaddress"])
    assert p.user.run("disassociateIpAddress", id=a["id"]) == {"success": True}
    assert p.user.items("listPublicIpAddresses", "publicipaddress", ipaddress=a["ipaddress"]) == []


def _members(p: Place, rule_id: str, lbvmips: bool = True) -> list[tuple[str, list[str]]]:
    key = "lbrulevmidip" if lbvmips else "loadbalancerruleinstance"
    found = p.user.items("listLoadBalancerRuleInstances", key, id=rule_id, lbvmips=lbvmips)
    if not lbvmips:
        return [(vm["id"], []) for vm in found]
    return [(e["loadbalancerruleinstance"]["id"], sorted(e["lbvmipaddresses"])) for e in found]


def _assign(p: Place, rule_id: str, *pairs: tuple[dict[str, Any], str]) -> dict[str, Any]:
    params = {f"vmidipmap[{i}].{k}": v for i, (vm, ip) in enumerate(pairs) for k, v in (("vmid", vm["id"]),
                                                                                       ("vmip", ip))}
    return p.user.run("assignToLoadBalancerRule", id=rule_id, **params)


def load_balancer_members(p: Place) -> None:
    """19: primary, secondary, both, two VMs with both; lbvmips; refusals; release refused; remove one."""
    s1, s2 = p.secondary(), p.secondary(p.other_vm)
    primary, other_primary = p.vm["nic"][0]["ipaddress"], p.other_vm["nic"][0]["ipaddress"]
    a = p.acquire()
    rule = p.user.run("createLoadBalancerRule", publicipid=a["id"], name="web", algorithm="roundrobin",
                      publicport=80, privateport=8080, **p.tier)["loadbalancer"]
    assert (rule["publicport"], rule["privateport"], rule["algorithm"]) == ("80", "8080", "roundrobin")
    p.user.run("assignToLoadBalancerRule", id=rule["id"], virtualmachineids=p.vm["id"])
    assert _members(p, rule["id"]) == [(p.vm["id"], [primary])]
    p.user.run("removeFromLoadBalancerRule", id=rule["id"], virtualmachineids=p.vm["id"])
    _assign(p, rule["id"], (p.vm, s1["ipaddress"]))
    assert _members(p, rule["id"]) == [(p.vm["id"], [s1["ipaddress"]])]
    _assign(p, rule["id"], (p.vm, primary))
    assert _members(p, rule["id"]) == [(p.vm["id"], sorted([primary, s1["ipaddress"]]))]
    _assign(p, rule["id"], (p.other_vm, other_primary), (p.other_vm, s2["ipaddress"]))
    assert sorted(_members(p, rule["id"])) == sorted([(p.vm["id"], sorted([primary, s1["ipaddress"]])),
                                                      (p.other_vm["id"], sorted([other_primary, s2["ipaddress"]]))])
    assert sorted(_members(p, rule["id"], lbvmips=False)) == sorted([(p.vm["id"], []), (p.other_vm["id"], [])])
    haproxy = p.router()["haproxy"]
    assert all(f"{ip}:8080" in haproxy for ip in (primary, s1["ipaddress"], other_primary, s2["ipaddress"]))
    wrong_vm = p.user.error("assignToLoadBalancerRule", id=rule["id"], **{"vmidipmap[0].vmid": str(uuid.uuid4()),
                                                                        "vmidipmap[0].vmip": primary})
    assert wrong_vm.code == 431 and UNKNOWN in wrong_vm.text
    wrong_ip = p.user.error("assignToLoadBalancerRule", id=rule["id"], **{"vmidipmap[0].vmid": p.vm["id"],
                                                                        "vmidipmap[0].vmip": other_primary})
    assert wrong_ip.code == 431 and other_primary in wrong_ip.text
    again = p.user.error("assignToLoadBalancerRule", id=rule["id"], **{"vmidipmap[0].vmid": p.vm["id"],
                                                                     "vmidipmap[0].vmip": s1["ipaddress"]})
    assert again.code == 537 and "already a member" in again.text
    refused = p.user.error("removeIpFromNic", id=s1["id"])
    assert refused.code == 536 and rule["id"] in refused.text and "load balancer" in refused.text
    p.user.run("removeFromLoadBalancerRule", id=rule["id"],
               **{"vmidipmap[0].vmid": p.vm["id"], "vmidipmap[0].vmip": s1["ipaddress"]})
    assert (p.vm["id"], [primary]) in _members(p, rule["id"])
    assert p.user.run("removeIpFromNic", id=s1["id"]) == {"success": True}


def _lb_input_lines(p: Place, rule_id: str) -> list[str]:
    """The router's INPUT lines for the load balancer rule, with the parts every one of them shares cut off."""
    found = []
    for line in p.router()["iptables"].splitlines():
        if line.startswith("-A ns-INPUT") and f'--comment "{rule_id}"' in line:
            found.append(line.removeprefix("-A ns-INPUT").split(" -d ", 1)[0] + " " + line.rsplit(" ", 1)[-1])
    return found


def load_balancer_description_and_sources(p: Place) -> None:
    """description and cidrlist round-trip through create, list and update, and the router takes the public
    port from those sources only; a bad CIDR is refused naming it, and changes nothing."""
    a = p.acquire()
    lb = {"publicipid": a["id"], "algorithm": "roundrobin", "privateport": 8080, **p.tier}
    rule = p.user.run("createLoadBalancerRule", name="web", publicport=80, description="front door: ünïcødé",
                      cidrlist="198.51.100.0/24, 192.0.2.7", **lb)["loadbalancer"]
    # The caller's order is kept; a bare address is written out as its /32.
    shown = ("front door: ünïcødé", "198.51.100.0/24,192.0.2.7/32")
    assert (rule["description"], rule["cidrlist"]) == shown
    listed = p.user.items("listLoadBalancerRules", "loadbalancerrule", publicipid=a["id"])
    assert [(r["id"], r["description"], r["cidrlist"]) for r in listed] == [(rule["id"], *shown)]
    assert _lb_input_lines(p, rule["id"]) == [" -s 192.0.2.7/32 ACCEPT", " -s 198.51.100.0/24 ACCEPT", " DROP"]

    plain = p.user.run("createLoadBalancerRule", name="plain", publicport=443, **lb)["loadbalancer"]
    assert "description" not in plain and plain["cidrlist"] == "0.0.0.0/0"
    assert [line.endswith(" ACCEPT") and " -s " not in line for line in _lb_input_lines(p, plain["id"])] == [True]

    for bad, why in (("10.0.0.5/24", "host bits are set; the network is 10.0.0.0/24"), ("2001:db8::/32", "IPv6"),
                     ("198.51.100.0/33", "address/prefix"), ("1; DROP TABLE nics", "address/prefix")):
        before = p.router()
        refused = p.user.error("createLoadBalancerRule", name="bad", publicport=81, cidrlist=f"192.0.2.0/25,{bad}",
                               **lb)
        assert refused.code == 431 and f"Invalid value {bad!r} for cidrlist" in refused.text and why in refused.text
        not_changed = p.user.error("updateLoadBalancerRule", id=rule["id"], cidrlist=bad, description="never")
        assert not_changed.code == 431 and repr(bad) in not_changed.text
        assert p.router()["digest"] == before["digest"]
    listed = p.user.items("listLoadBalancerRules", "loadbalancerrule", publicipid=a["id"])
    assert sorted((r["name"], r.get("description"), r["cidrlist"]) for r in listed) == [
        ("plain", None, "0.0.0.0/0"), ("web", *shown)]
    firewall = [(f["startport"], f["cidrlist"]) for f in p.user.items("listFirewallRules", "firewallrule",
                                                                       ipaddressid=a["id"])]
    assert firewall == ([] if p.vpc else [(80, "0.0.0.0/0"), (443, "0.0.0.0/0")])

    moved = p.user.run("updateLoadBalancerRule", id=rule["id"], name="web-2", description="side door",
                       cidrlist="203.0.113.0/24")["loadbalancer"]
    assert (moved["name"], moved["description"], moved["cidrlist"]) == ("web-2", "side door", "203.0.113.0/24")
    assert _lb_input_lines(p, rule["id"]) == [" -s 203.0.113.0/24 ACCEPT", " DROP"]
    kept = p.user.run("updateLoadBalancerRule", id=rule["id"], algorithm="source")["loadbalancer"]
    assert (kept["algorithm"], kept["description"], kept["cidrlist"]) == ("source", "side door", "203.0.113.0/24")
    opened = p.user.run("updateLoadBalancerRule", id=rule["id"], cidrlist="0.0.0.0/0", description="")
    assert "description" not in opened["loadbalancer"] and opened["loadbalancer"]["cidrlist"] == "0.0.0.0/0"
    listed = p.user.items("listLoadBalancerRules", "loadbalancerrule", id=rule["id"])
    assert [("description" in r, r["cidrlist"]) for r in listed] == [(False, "0.0.0.0/0")]
    assert [" -s " not in line and line.endswith(" ACCEPT") for line in _lb_input_lines(p, rule["id"])] == [True]


def destroy_recover_expunge(p: Place) -> None:
    """20: destroy + recover keeps the rules and static NAT; expunge removes them and releases the IPs."""
    s1, s2 = p.secondary(), p.secondary()
    a, b = p.acquire(), p.acquire()
    rule = p.pf(a, 2222, guest=s1["ipaddress"])
    p.user.call("enableStaticNat", ipaddressid=b["id"], virtualmachineid=p.vm["id"], vmguestip=s2["ipaddress"])
    p.user.run("destroyVirtualMachine", id=p.vm["id"])
    p.user.call("recoverVirtualMachine", id=p.vm["id"])
    assert p.user.items("listPortForwardingRules", "portforwardingrule", id=rule["id"])
    assert p.public_ip(b["id"])["vmipaddress"] == s2["ipaddress"]
    assert dnat_lines(p.router(), b["ipaddress"], s2["ipaddress"])
    p.user.run("destroyVirtualMachine", id=p.vm["id"], expunge=True)
    assert p.user.items("listPortForwardingRules", "portforwardingrule", networkid=p.network["id"]) == []
    after = p.public_ip(b["id"])
    assert after["isstaticnat"] is False and "vmipaddress" not in after
    for sec in (s1, s2):
        taken = p.user.run("addIpToNic", nicid=p.other_vm["nic"][0]["id"], ipaddress=sec["ipaddress"])
        assert taken["nicsecondaryip"]["ipaddress"] == sec["ipaddress"]
    config = p.router()
    assert not dnat_lines(config, a["ipaddress"], s1["ipaddress"]) and not dnat_lines(config, b["ipaddress"],
                                                                                      s2["ipaddress"])


def restart_keeps_everything(p: Place, *restarts: tuple[str, dict[str, Any]]) -> None:
    """21: restarts (cleanup true and false) keep rules and secondary IPs; the router config is unchanged."""
    s1, s2 = p.secondary(), p.secondary()
    a, b, c = p.acquire(), p.acquire(), p.acquire()
    p.pf(a, 2222, guest=s1["ipaddress"])
    p.user.call("enableStaticNat", ipaddressid=b["id"], virtualmachineid=p.vm["id"], vmguestip=s2["ipaddress"])
    rule = p.user.run("createLoadBalancerRule", publicipid=c["id"], name="lb", algorithm="leastconn",
                      publicport=443, privateport=8443, **p.tier)["loadbalancer"]
    _assign(p, rule["id"], (p.vm, s1["ipaddress"]), (p.other_vm, p.other_vm["nic"][0]["ipaddress"]))
    before = p.router()
    nics_before = p.user.call("listNics", virtualmachineid=p.vm["id"])["nic"]
    for command, params in restarts:
        assert p.user.run(command, **params) == {"success": True}
        after = p.router()
        assert (after["iptables"], after["haproxy"], after["generation"]) == (
            before["iptables"], before["haproxy"], before["generation"])
    assert p.user.call("listNics", virtualmachineid=p.vm["id"])["nic"] == nics_before
    assert len(p.user.items("listPortForwardingRules", "portforwardingrule", networkid=p.network["id"])) == 1
    assert p.public_ip(b["id"])["vmipaddress"] == s2["ipaddress"]


def release_refusal_names_every_rule(p: Place) -> None:
    """A secondary IP that a PF rule, a static NAT and an LB rule target: the refusal names all three."""
    s1 = p.secondary()
    a, b, c = p.acquire(), p.acquire(), p.acquire()
    pf = p.pf(a, 2401, guest=s1["ipaddress"])
    p.user.call("enableStaticNat", ipaddressid=b["id"], virtualmachineid=p.vm["id"], vmguestip=s1["ipaddress"])
    lb = p.user.run("createLoadBalancerRule", publicipid=c["id"], name="named", algorithm="roundrobin",
                    publicport=80, privateport=8080, **p.tier)["loadbalancer"]
    _assign(p, lb["id"], (p.vm, s1["ipaddress"]))
    refused = p.user.error("removeIpFromNic", id=s1["id"])
    assert refused.code == 536
    assert (f"port forwarding rule {pf['id']}, static NAT from public IP {b['ipaddress']}, "
            f"load balancer rule {lb['id']}") in refused.text


class OnEveryPlace:
    """Scenarios 14-20 (and LB description/cidrlist) as tests, under the same names on an isolated network and on a
    VPC tier.

    A test module runs them where it makes rules by subclassing this as a `Test...` class; its fixture `p` is
    the Place. Scenario 21 (restarts) restarts different things in each, so each module names its own test.
    """

    def test_port_forwarding_reaches_secondary_ips_from_several_public_ips(self, p: Place) -> None:
        pf_to_secondaries(p)

    def test_a_port_forwarded_secondary_ip_is_released_only_after_its_rule_is_deleted(self, p: Place) -> None:
        release_refused_while_pf(p)

    def test_releasing_a_public_ip_removes_its_port_forwarding_rules(self, p: Place) -> None:
        disassociate_removes_rules(p)

    def test_static_nat_maps_one_public_ip_per_secondary_ip(self, p: Place) -> None:
        static_nat_rules(p)

    def test_static_nat_flags_follow_enable_disable_and_enable(self, p: Place) -> None:
        static_nat_flags_follow(p)

    def test_load_balancer_members_are_exactly_the_mapped_primary_and_secondary_ips(self, p: Place) -> None:
        load_balancer_members(p)

    def test_load_balancer_description_and_cidrlist_round_trip_and_restrict_the_router(self, p: Place) -> None:
        load_balancer_description_and_sources(p)

    def test_recover_keeps_rules_and_expunge_removes_them_and_releases_the_ips(self, p: Place) -> None:
        destroy_recover_expunge(p)

    def test_the_release_refusal_names_every_rule_that_targets_the_address(self, p: Place) -> None:
        release_refusal_names_every_rule(p)
