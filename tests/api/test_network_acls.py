"""VPC network ACL lists and items over the signed API: the built-in lists, items in number order, a tier's list
in its router's documents, access rules and refusals that change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cloud
from tests.support.client import UNKNOWN, Client
from tests.support.rules import Place, make_place, vpc_offerings
from tests.support.waiting import eventually
from tests.support.world import Zone, make_network, make_tenant, unique

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def p(cloud: Cloud, public_zone: Zone) -> Place:
    return make_place(cloud, public_zone, "vpc")


def built_in(client: Client) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in client.items("listNetworkACLLists", "networkacllist")
            if a["name"] in ("default_allow", "default_deny")}


def new_list(p: Place) -> dict[str, Any]:
    assert p.vpc is not None
    acl: dict[str, Any] = p.user.run("createNetworkACLList", name=unique("acl"), description="web tier",
                                     vpcid=p.vpc["id"])["networkacllist"]
    return acl


def item(p: Place, acl: dict[str, Any], **params: Any) -> dict[str, Any]:
    made: dict[str, Any] = p.user.run("createNetworkACL", aclid=acl["id"], **params)["networkacl"]
    return made


def test_every_vpc_may_use_the_built_in_default_allow_and_default_deny_lists(p: Place) -> None:
    lists = built_in(p.user)
    assert set(lists) == {"default_allow", "default_deny"}
    assert lists["default_allow"]["description"] == "Default Network ACL Allow All"
    assert "vpcid" not in lists["default_deny"]
    for name, action in (("default_allow", "Allow"), ("default_deny", "Deny")):
        items = p.user.items("listNetworkACLs", "networkacl", aclid=lists[name]["id"])
        assert [(i["number"], i["traffictype"], i["action"], i["protocol"], i["cidrlist"]) for i in items] == [
            (1, "Ingress", action, "all", "0.0.0.0/0"), (2, "Egress", action, "all", "0.0.0.0/0")]
    refused = p.user.error("createNetworkACL", aclid=lists["default_allow"]["id"], protocol="tcp")
    assert refused.code == 431 and "default list" in refused.text
    refused = p.user.error("deleteNetworkACLList", id=lists["default_deny"]["id"])
    assert refused.code == 431 and "default list" in refused.text


def test_items_take_the_next_number_and_list_in_number_order_with_cloudstack_keys(p: Place) -> None:
    acl = new_list(p)
    assert p.vpc is not None and acl["vpcid"] == p.vpc["id"] and acl["vpcname"] == p.vpc["name"]
    assert acl["description"] == "web tier"
    ssh = item(p, acl, protocol="TCP", startport=22, cidrlist="192.0.2.0/24,198.51.100.0/24", action="allow")
    assert ssh["number"] == 1 and ssh["startport"] == "22" and ssh["endport"] == "22"
    assert ssh["traffictype"] == "Ingress" and ssh["action"] == "Allow" and ssh["protocol"] == "tcp"
    assert ssh["cidrlist"] == "192.0.2.0/24,198.51.100.0/24" and ssh["aclid"] == acl["id"]
    assert ssh["aclname"] == acl["name"] and ssh["state"] == "Active"
    ping = item(p, acl, protocol="icmp", icmptype=8, icmpcode=0, traffictype="egress", action="deny", number=10)
    assert (ping["icmptype"], ping["icmpcode"], ping["traffictype"], ping["action"]) == (8, 0, "Egress", "Deny")
    third = item(p, acl, protocol="all")
    assert third["number"] == 11 and third["cidrlist"] == "0.0.0.0/0" and "startport" not in third
    listed = p.user.items("listNetworkACLs", "networkacl", aclid=acl["id"])
    assert [i["number"] for i in listed] == [1, 10, 11]
    assert [i["id"] for i in p.user.items("listNetworkACLs", "networkacl", aclid=acl["id"],
                                          traffictype="Egress")] == [ping["id"]]
    changed = p.user.run("updateNetworkACLItem", id=ssh["id"], startport=2200, endport=2299, number=5)["networkacl"]
    assert (changed["startport"], changed["endport"], changed["number"]) == ("2200", "2299", 5)
    assert changed["cidrlist"] == ssh["cidrlist"] and changed["action"] == "Allow"  # the rest stays
    p.user.run("deleteNetworkACL", id=third["id"])
    assert [i["number"] for i in p.user.items("listNetworkACLs", "networkacl", aclid=acl["id"])] == [5, 10]


def test_bad_items_are_refused_naming_the_value_and_change_nothing(p: Place) -> None:
    acl = new_list(p)
    item(p, acl, protocol="tcp", startport=80, number=1)
    for params, words in (
        ({"protocol": "tcpx"}, "'tcpx' for protocol"),
        ({"protocol": "icmp", "startport": 22}, "Ports need protocol tcp or udp"),
        ({"protocol": "tcp", "icmptype": 8}, "needs protocol icmp"),
        ({"protocol": "tcp", "action": "maybe"}, "'maybe' for action"),
        ({"protocol": "tcp", "traffictype": "sideways"}, "'sideways' for traffictype"),
        ({"protocol": "tcp", "cidrlist": "10.0.0.0/33"}, "'10.0.0.0/33' for cidrlist"),
        ({"protocol": "tcp", "number": 1}, "number 1 already exists"),
        ({"protocol": "tcp", "startport": 90, "endport": 80}, "end port is below"),
    ):
        refused = p.user.error("createNetworkACL", aclid=acl["id"], **params)
        assert refused.code == 431 and words in refused.text, (params, refused.text)
    assert len(p.user.items("listNetworkACLs", "networkacl", aclid=acl["id"])) == 1
    refused = p.user.error("createNetworkACL", protocol="tcp")
    assert refused.code == 431 and "aclid or networkid" in refused.text


def test_a_tier_gets_its_list_at_creation_or_by_replacement_and_its_router_applies_it(p: Place) -> None:
    assert p.vpc is not None
    acl = new_list(p)
    web = item(p, acl, protocol="tcp", startport=80, endport=80)
    _, tier_offering = vpc_offerings(p.admin)
    tier = make_network(p.user, p.zone, tier_offering, vpcid=p.vpc["id"], gateway="10.20.7.1",
                        netmask="255.255.255.0", aclid=acl["id"])
    assert (tier["aclid"], tier["aclname"]) == (acl["id"], acl["name"])
    assert p.user.items("listNetworks", "network", id=tier["id"])[0]["aclid"] == acl["id"]
    assert [a["id"] for a in p.user.items("listNetworkACLLists", "networkacllist", networkid=tier["id"])] == [
        acl["id"]]
    line = f'-p tcp -m tcp --dport 80 -m comment --comment "{web["id"]}" -j ACCEPT'
    iptables = eventually(lambda: p.router()["iptables"], lambda text: line in text)
    assert "-A ns-FORWARD -o eth3" in iptables and "-j ns-acl-in-eth3" in iptables
    assert "aclid" not in p.network  # a tier made without one has none
    refused = p.user.error("deleteNetworkACLList", id=acl["id"])
    assert refused.code == 536 and "in use" in refused.text and tier["name"] in refused.text
    deny = built_in(p.user)["default_deny"]
    p.user.run("replaceNetworkACLList", aclid=deny["id"], networkid=tier["id"])
    assert p.user.items("listNetworks", "network", id=tier["id"])[0]["aclname"] == "default_deny"
    eventually(lambda: p.router()["iptables"], lambda text: web["id"] not in text)
    p.user.run("deleteNetworkACLList", id=acl["id"])
    assert p.user.items("listNetworkACLLists", "networkacllist", id=deny["id"])[0]["name"] == "default_deny"
    refused = p.user.error("listNetworkACLs", aclid=acl["id"])
    assert refused.code == 431 and UNKNOWN in refused.text


def test_lists_are_the_vpcs_own_and_answer_other_accounts_as_unknown(p: Place, cloud: Cloud, public_zone: Zone
                                                                      ) -> None:
    assert p.vpc is not None
    acl = new_list(p)
    ssh = item(p, acl, protocol="tcp", startport=22)
    other = make_place(cloud, public_zone, "vpc")
    for command, params in (("listNetworkACLs", {"aclid": acl["id"]}),
                            ("createNetworkACL", {"aclid": acl["id"], "protocol": "tcp"}),
                            ("updateNetworkACLItem", {"id": ssh["id"], "number": 7}),
                            ("deleteNetworkACL", {"id": ssh["id"]}),
                            ("deleteNetworkACLList", {"id": acl["id"]}),
                            ("listNetworkACLLists", {"id": acl["id"]}),
                            ("replaceNetworkACLList", {"aclid": acl["id"], "networkid": other.network["id"]})):
        refused = other.user.error(command, **params)
        assert refused.code == 431 and UNKNOWN in refused.text, (command, refused.text)
    assert acl["id"] not in {a["id"] for a in other.user.items("listNetworkACLLists", "networkacllist")}
    assert other.vpc is not None
    own_list = other.user.run("createNetworkACLList", name=unique("acl"), vpcid=other.vpc["id"])["networkacllist"]
    other.user.run("replaceNetworkACLList", aclid=own_list["id"], networkid=other.network["id"])
    assert other.user.items("listNetworks", "network", id=other.network["id"])[0]["aclid"] == own_list["id"]
    mine = make_tenant(cloud.admin)
    assert acl["id"] not in {a["id"] for a in mine.client.items("listNetworkACLLists", "networkacllist")}
    assert cloud.admin.items("listNetworkACLLists", "networkacllist", id=acl["id"])[0]["vpcid"] == p.vpc["id"]


def test_a_list_of_one_vpc_is_refused_for_a_tier_of_another(p: Place) -> None:
    assert p.vpc is not None
    acl = new_list(p)
    vpc_offering, tier_offering = vpc_offerings(p.admin)
    second = p.user.run("createVPC", name=unique("vpc"), displaytext="second", cidr="10.40.0.0/16",
                        vpcofferingid=vpc_offering, zoneid=p.zone.id)["vpc"]
    refused = p.user.error("createNetwork", name=unique("tier"), displaytext="t", zoneid=p.zone.id,
                           networkofferingid=tier_offering, vpcid=second["id"], gateway="10.40.1.1",
                           netmask="255.255.255.0", aclid=acl["id"])
    assert refused.code == 431 and f"belongs to VPC {p.vpc['name']}" in refused.text
    assert p.user.items("listNetworks", "network", vpcid=second["id"]) == []
