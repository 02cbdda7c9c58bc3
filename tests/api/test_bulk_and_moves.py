"""nicstack's addIpToNic extensions over the wire: several addresses at once, a client token, the IPv6 family,
and moving an address to another NIC of its network with its rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.rule_scenarios import _assign
from tests.conftest import Cloud
from tests.support.rules import Place, dnat_lines, make_place
from tests.support.scenarios import make_shared_network
from tests.support.waiting import eventually
from tests.support.world import Zone, defaults, deploy, make_network, make_tenant

pytestmark = pytest.mark.api


@pytest.fixture
def p(cloud: Cloud, public_zone: Zone) -> Place:
    return make_place(cloud, public_zone, "isolated")


def secondaries(p: Place, vm: dict[str, Any]) -> dict[str, str]:
    [nic] = p.user.items("listNics", "nic", virtualmachineid=vm["id"])
    return {s["id"]: s["ipaddress"] for s in nic.get("secondaryip", [])}


def test_a_count_of_free_addresses_is_reserved_in_one_job_and_listed(p: Place) -> None:
    nic = p.vm["nic"][0]["id"]
    reply = p.user.call("addIpToNic", nicid=nic, count=3)
    job = p.user.wait(reply["jobid"])
    assert job["jobstatus"] == 1 and list(job["jobresult"]) == ["nicsecondaryips"]
    reserved = job["jobresult"]["nicsecondaryips"]
    assert len(reserved) == 3 and reply["id"] == reserved[0]["id"]
    assert secondaries(p, p.vm) == {s["id"]: s["ipaddress"] for s in reserved}


def test_given_addresses_are_all_taken_or_none(p: Place) -> None:
    nic = p.vm["nic"][0]["id"]
    base = p.network["cidr"].rsplit(".", 2)[0]
    taken = p.user.run("addIpToNic", nicid=nic, ipaddresses=f"{base}.1.60,{base}.1.61")["nicsecondaryips"]
    assert [s["ipaddress"] for s in taken] == [f"{base}.1.60", f"{base}.1.61"]
    refused = p.user.error("addIpToNic", nicid=nic, ipaddresses=f"{base}.1.62,{base}.1.61")
    assert refused.code == 536 and f"{base}.1.61" in refused.text
    assert sorted(secondaries(p, p.vm).values()) == [f"{base}.1.60", f"{base}.1.61"]
    assert p.user.error("addIpToNic", nicid=nic, count=2, ipaddress=f"{base}.1.63").code == 431
    assert p.user.error("addIpToNic", nicid=nic, ipaddresses=f"{base}.1.64,255.255.255.300").code == 431


def test_a_retried_request_with_its_client_token_answers_the_same_job_and_addresses(p: Place) -> None:
    nic = p.vm["nic"][0]["id"]
    first = p.user.call("addIpToNic", nicid=nic, count=2, clienttoken="boot-42")
    again = p.user.call("addIpToNic", nicid=nic, count=2, clienttoken="boot-42")
    assert again == first
    assert len(secondaries(p, p.vm)) == 2
    assert p.user.error("addIpToNic", nicid=nic, count=3, clienttoken="boot-42").code == 431
    # A token is the caller's own: another account's same token is another request.
    other = make_tenant(p.admin)
    net = make_network(other.client, p.zone, defaults(p.admin)["isolated"])
    vm = deploy(other.client, p.zone, defaults(p.admin), net["id"])
    theirs = other.client.call("addIpToNic", nicid=vm["nic"][0]["id"], count=2, clienttoken="boot-42")
    assert theirs["jobid"] != first["jobid"]


def test_ipversion_six_takes_a_free_ipv6_address_of_a_dual_stack_network(p: Place) -> None:
    d = defaults(p.admin)
    net = make_network(p.user, p.zone, d["isolated"], gateway="10.77.0.1", netmask="255.255.255.0",
                       ip6cidr="fd00:77::/64", ip6gateway="fd00:77::1")
    vm = deploy(p.user, p.zone, d, net["id"])
    added = p.user.run("addIpToNic", nicid=vm["nic"][0]["id"], ipversion=6)["nicsecondaryip"]
    assert added["ipaddress"].startswith("fd00:77::")


def test_an_address_moves_to_another_vm_of_its_network_with_every_rule_on_it(p: Place) -> None:
    address = p.secondary()
    a, b, c = p.acquire(), p.acquire(), p.acquire()
    pf = p.pf(a, 2501, guest=address["ipaddress"])
    p.user.call("enableStaticNat", ipaddressid=b["id"], virtualmachineid=p.vm["id"], vmguestip=address["ipaddress"])
    lb = p.user.run("createLoadBalancerRule", publicipid=c["id"], name="moving", algorithm="roundrobin",
                    publicport=80, privateport=8080)["loadbalancer"]
    _assign(p, lb["id"], (p.vm, address["ipaddress"]))
    before = eventually(p.router, lambda r: bool(dnat_lines(r, b["ipaddress"], address["ipaddress"])))

    target = p.other_vm["nic"][0]["id"]
    moved = p.user.run("addIpToNic", nicid=target, ipaddress=address["ipaddress"], allowreassignment=True)
    assert moved["nicsecondaryip"]["id"] == address["id"]
    assert moved["nicsecondaryip"]["virtualmachineid"] == p.other_vm["id"]
    assert address["id"] not in secondaries(p, p.vm)
    assert secondaries(p, p.other_vm)[address["id"]] == address["ipaddress"]
    [rule] = p.user.items("listPortForwardingRules", "portforwardingrule", id=pf["id"])
    assert (rule["virtualmachineid"], rule["vmguestip"]) == (p.other_vm["id"], address["ipaddress"])
    assert p.public_ip(b["id"])["virtualmachineid"] == p.other_vm["id"]
    members = p.user.items("listLoadBalancerRuleInstances", "lbrulevmidip", id=lb["id"], lbvmips=True)
    assert [(m["loadbalancerruleinstance"]["id"], m["lbvmipaddresses"]) for m in members] == [
        (p.other_vm["id"], [address["ipaddress"]])]
    after = p.router()
    assert after["generation"] > before["generation"] and dnat_lines(after, b["ipaddress"], address["ipaddress"])
    events = [e["type"] for e in p.user.items("listEvents", "event", keyword=address["ipaddress"])]
    assert events.count("NIC.SECONDARY.IP.UNASSIGN") == 1 and events.count("NIC.SECONDARY.IP.ASSIGN") == 2


def test_a_move_is_asked_for_and_only_a_secondary_address_moves(p: Place) -> None:
    address = p.secondary()
    target = p.other_vm["nic"][0]["id"]
    refused = p.user.error("addIpToNic", nicid=target, ipaddress=address["ipaddress"])
    assert refused.code == 536 and "already in use" in refused.text
    primary = p.vm["nic"][0]["ipaddress"]
    refused = p.user.error("addIpToNic", nicid=target, ipaddress=primary, allowreassignment=True)
    assert refused.code == 431 and "only a secondary IP can move" in refused.text


def test_another_accounts_address_does_not_move_and_is_answered_as_in_use(cloud: Cloud, public_zone: Zone) -> None:
    d = defaults(cloud.admin)
    owner, other = make_tenant(cloud.admin), make_tenant(cloud.admin)
    shared = make_shared_network(cloud.admin, public_zone, "DefaultSharedNetworkOffering", gateway="10.78.0.1",
                                 netmask="255.255.255.0", startip="10.78.0.10", endip="10.78.0.90", vlan="78")
    mine = deploy(owner.client, public_zone, d, shared["id"])
    theirs = deploy(other.client, public_zone, d, shared["id"])
    held = owner.client.run("addIpToNic", nicid=mine["nic"][0]["id"])["nicsecondaryip"]
    refused = other.client.error("addIpToNic", nicid=theirs["nic"][0]["id"], ipaddress=held["ipaddress"],
                                 allowreassignment=True)
    assert refused.code == 536 and "already in use" in refused.text
    [nic] = owner.client.items("listNics", "nic", virtualmachineid=mine["id"])
    assert [s["id"] for s in nic["secondaryip"]] == [held["id"]]
