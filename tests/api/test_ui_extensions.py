"""The nicstack extensions the web UI needs, over the signed API: address usage, the per-NIC limit,
and a load balancer rule created with its members in one transaction."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Any

import pytest

from tests.conftest import Cloud
from tests.support import scenarios as sc
from tests.support.client import UNKNOWN
from tests.support.rules import Place, make_place
from tests.support.world import Zone, deploy, make_tenant

pytestmark = pytest.mark.api

LIMIT_KEY = "vm.network.nic.max.secondary.ipaddresses"


@pytest.fixture(scope="module")
def place(cloud: Cloud, public_zone: Zone) -> Place:
    return make_place(cloud, public_zone, "isolated")


def usage(client: Any, network_id: str, **params: Any) -> dict[str, Any]:
    found: dict[str, Any] = client.call("listNetworkAddressUsage", networkid=network_id,
                                        **params)["networkaddressusage"]
    return found


def kind_at(view: dict[str, Any], address: str) -> str:
    value = IPv4Address(address)
    [kind] = [str(r["kind"]) for r in view["runs"] if IPv4Address(r["start"]) <= value <= IPv4Address(r["end"])]
    return kind


def test_an_isolated_network_shows_each_address_by_its_holder(place: Place) -> None:
    secondary = place.secondary()
    view = usage(place.user, place.network["id"])["ipv4"]
    assert kind_at(view, "10.1.1.1") == "router"
    assert kind_at(view, place.vm["nic"][0]["ipaddress"]) == "primary"
    assert kind_at(view, secondary["ipaddress"]) == "secondary"
    # Counts are decimal strings and add up; the runs cover the whole pool, in numeric order.
    assert view["total"] == "254"
    assert sum(int(n) for n in view["counts"].values()) == 254
    assert int(view["used"]) + int(view["free"]) == 254
    assert sum(int(r["count"]) for r in view["runs"]) == 254
    starts = [IPv4Address(r["start"]) for r in view["runs"]]
    assert starts == sorted(starts) and view["runs"][0]["start"] == "10.1.1.1"
    free = place.user.call("listFreeIpAddresses", networkid=place.network["id"])["freeipaddress"]["ipv4"]
    assert [(r["start"], r["end"]) for r in view["runs"] if r["kind"] == "free"] == [
        (r["start"], r["end"]) for r in free["ranges"]]
    assert view["free"] == str(free["free"]) and view["firstfree"] == free["ranges"][0]["start"]
    assert len(view["cells"]) == 254 and all(c["size"] == "1" for c in view["cells"])


def test_a_shared_network_shows_taken_and_free_and_never_who(cloud: Cloud, d: dict[str, str]) -> None:
    zone = sc.make_advanced_zone(cloud.admin)
    network = sc.make_shared_network(cloud.admin, zone, sc.SHARED_OFFERING, gateway="10.30.0.1",
                                     netmask="255.255.0.0", startip="10.30.0.10", endip="10.30.3.250", vlan="130",
                                     ip6cidr="fd00:30::/64", startipv6="fd00:30::1:0", endipv6="fd00:30::1:ffff")
    owner, other = make_tenant(cloud.admin), make_tenant(cloud.admin)
    vm = deploy(owner.client, zone, d, network["id"])
    sc.add(owner.client, vm["nic"][0]["id"], "10.30.1.7")
    raw = other.client.call("listNetworkAddressUsage", networkid=network["id"], cells=64)
    view = raw["networkaddressusage"]
    text = repr(raw)
    assert vm["id"] not in text and vm["name"] not in text and owner.account not in text
    for family in ("ipv4", "ipv6"):
        assert set(view[family]["counts"]) <= {"free", "taken"}
        assert {r["kind"] for r in view[family]["runs"]} <= {"free", "taken"}
    free = other.client.call("listFreeIpAddresses", networkid=network["id"])["freeipaddress"]
    assert [(r["start"], r["end"]) for r in view["ipv4"]["runs"] if r["kind"] == "free"] == [
        (r["start"], r["end"]) for r in free["ipv4"]["ranges"]]
    assert view["ipv4"]["counts"] == {"free": str(free["ipv4"]["free"]), "taken": "2"}
    # Counted exactly, from the used index alone.
    assert view["ipv6"]["total"] == str(2**16) and view["ipv6"]["used"] == "1"
    assert len(view["ipv4"]["cells"]) == 64


def test_another_accounts_network_is_unknown(cloud: Cloud, place: Place) -> None:
    stranger = make_tenant(cloud.admin)
    foreign = stranger.client.error("listNetworkAddressUsage", networkid=place.network["id"])
    unknown = stranger.client.error("listNetworkAddressUsage", networkid="6f1f7d6e-0000-4000-8000-000000000000")
    assert foreign.status == unknown.status == 431 and UNKNOWN in foreign.text
    assert foreign.text.replace(place.network["id"], "X") == unknown.text.replace(
        "6f1f7d6e-0000-4000-8000-000000000000", "X")


def test_the_nic_limit_is_readable_by_its_owner(cloud: Cloud, place: Place) -> None:
    nic = place.other_vm["nic"][0]["id"]
    assert place.user.call("getSecondaryIpLimit", nicid=nic)["secondaryiplimit"] == {
        "nicid": nic, "limit": 256, "used": 0, "available": 256}
    place.user.run("addIpToNic", nicid=nic)
    setting = cloud.admin.items("listConfigurations", "configuration", name=LIMIT_KEY)[0]
    cloud.admin.call("updateConfiguration", name=LIMIT_KEY, value="3")
    try:
        shown = place.user.call("getSecondaryIpLimit", nicid=nic)["secondaryiplimit"]
    finally:
        cloud.admin.call("updateConfiguration", name=LIMIT_KEY, value=setting["value"])
    assert shown == {"nicid": nic, "limit": 3, "used": 1, "available": 2}
    stranger = make_tenant(cloud.admin)
    assert UNKNOWN in stranger.client.error("getSecondaryIpLimit", nicid=nic).text


def members_of(place: Place, rule_id: str) -> list[tuple[str, list[str]]]:
    items = place.user.items("listLoadBalancerRuleInstances", "lbrulevmidip", id=rule_id, lbvmips=True)
    return [(i["loadbalancerruleinstance"]["id"], sorted(i["lbvmipaddresses"])) for i in items]


def test_a_load_balancer_rule_is_created_with_its_members_at_once(place: Place) -> None:
    ip = place.acquire()
    secondary = place.secondary()
    primary = place.vm["nic"][0]["ipaddress"]
    rule = place.user.run(
        "createLoadBalancerRuleWithMembers", publicipid=ip["id"], name="web", algorithm="roundrobin", publicport=80,
        privateport=8080, **{"vmidipmap[0].vmid": place.vm["id"], "vmidipmap[0].vmip": primary,
                             "vmidipmap[1].vmid": place.vm["id"], "vmidipmap[1].vmip": secondary["ipaddress"]},
    )["loadbalancer"]
    assert rule["publicip"] == ip["ipaddress"] and rule["name"] == "web"
    assert members_of(place, rule["id"]) == [(place.vm["id"], sorted([primary, secondary["ipaddress"]]))]
    types = [e["type"] for e in place.user.items("listEvents", "event", pagesize=20)]
    assert "LB.CREATE" in types and "LB.ASSIGN.TO.RULE" in types


def test_a_refused_member_leaves_no_rule_behind(place: Place) -> None:
    ip = place.acquire()
    before = place.user.items("listLoadBalancerRules", "loadbalancerrule", publicipid=ip["id"])
    refused = place.user.error(
        "createLoadBalancerRuleWithMembers", publicipid=ip["id"], name="half", algorithm="roundrobin",
        publicport=81, privateport=8080, **{"vmidipmap[0].vmid": place.vm["id"],
                                            "vmidipmap[0].vmip": place.vm["nic"][0]["ipaddress"],
                                            "vmidipmap[1].vmid": place.vm["id"], "vmidipmap[1].vmip": "10.1.1.250"},
    )
    assert refused.status == 431 and "10.1.1.250" in refused.text
    assert place.user.items("listLoadBalancerRules", "loadbalancerrule", publicipid=ip["id"]) == before == []
    assert place.user.error("createLoadBalancerRuleWithMembers", publicipid=ip["id"], name="none",
                            algorithm="roundrobin", publicport=82, privateport=8080).status == 431


def test_list_apis_lists_the_extensions(place: Place) -> None:
    names = {a["name"] for a in place.user.items("listApis", "api")}
    assert {"listNetworkAddressUsage", "getSecondaryIpLimit", "createLoadBalancerRuleWithMembers"} <= names

