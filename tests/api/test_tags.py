"""Resource tags: createTags, deleteTags, listTags, `tags` in responses and the tags[n] filter, over the signed API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cloud
from tests.support.client import UNKNOWN
from tests.support.rules import Place, make_place
from tests.support.world import Zone, make_tenant

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def place(cloud: Cloud, public_zone: Zone) -> Place:
    return make_place(cloud, public_zone, "isolated")


def tag_map(*pairs: tuple[str, str]) -> dict[str, str]:
    params = {}
    for i, (key, value) in enumerate(pairs):
        params[f"tags[{i}].key"] = key
        params[f"tags[{i}].value"] = value
    return params


def keys(item: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t["value"] for t in item["tags"]}


def test_a_public_ip_is_tagged_listed_by_tag_and_untagged(place: Place) -> None:
    user = place.user
    ip, other = place.acquire(), place.acquire()
    job = user.call("createTags", resourceids=ip["id"], resourcetype="publicipaddress",
                    **tag_map(("role", "web"), ("env", "prod")))
    assert user.wait(job["jobid"])["jobresult"] == {"success": True}
    tags = user.items("listTags", "tag", resourceid=ip["id"])
    assert sorted((t["key"], t["value"], t["resourcetype"], t["resourceid"], t["account"]) for t in tags) == [
        ("env", "prod", "PublicIpAddress", ip["id"], place.tenant.account),
        ("role", "web", "PublicIpAddress", ip["id"], place.tenant.account)]
    (listed,) = user.items("listPublicIpAddresses", "publicipaddress", id=ip["id"])
    assert keys(listed) == {"role": "web", "env": "prod"}
    found = user.items("listPublicIpAddresses", "publicipaddress", **tag_map(("role", "web")))
    assert [i["id"] for i in found] == [ip["id"]]
    assert user.items("listPublicIpAddresses", "publicipaddress", **tag_map(("role", "db"))) == []
    assert keys(user.items("listPublicIpAddresses", "publicipaddress", id=other["id"])[0]) == {}
    user.run("deleteTags", resourceids=ip["id"], resourcetype="PublicIpAddress", **{"tags[0].key": "role"})
    assert keys(user.items("listPublicIpAddresses", "publicipaddress", id=ip["id"])[0]) == {"env": "prod"}
    user.run("deleteTags", resourceids=ip["id"], resourcetype="PublicIpAddress")
    assert user.items("listTags", "tag", resourceid=ip["id"]) == []


@pytest.mark.parametrize(("resourcetype", "command", "key"), [
    ("UserVm", "listVirtualMachines", "virtualmachine"), ("Network", "listNetworks", "network"),
])
def test_vms_and_networks_carry_their_tags(place: Place, resourcetype: str, command: str, key: str) -> None:
    target = place.other_vm if resourcetype == "UserVm" else place.network
    place.user.run("createTags", resourceids=target["id"], resourcetype=resourcetype, **tag_map(("t", resourcetype)))
    found = place.user.items(command, key, **tag_map(("t", resourcetype)))
    assert [(x["id"], keys(x)) for x in found] == [(target["id"], {"t": resourcetype})]


def test_rules_vpcs_and_groups_take_tags(place: Place) -> None:
    user = place.user
    ip = place.acquire()
    pf = place.pf(ip, 2201)
    fw = user.items("listFirewallRules", "firewallrule", ipaddressid=ip["id"])[0]
    group = user.call("createSecurityGroup", name="tagged")["securitygroup"]
    for kind, uuid, command, key in (("PortForwardingRule", pf["id"], "listPortForwardingRules", "portforwardingrule"),
                                     ("FirewallRule", fw["id"], "listFirewallRules", "firewallrule"),
                                     ("SecurityGroup", group["id"], "listSecurityGroups", "securitygroup")):
        user.run("createTags", resourceids=uuid, resourcetype=kind, **tag_map(("k", kind)))
        assert [x["id"] for x in user.items(command, key, **tag_map(("k", kind)))] == [uuid], kind


def test_bad_tags_are_refused_naming_the_reason_and_change_nothing(cloud: Cloud, place: Place) -> None:
    user = place.user
    ip = place.acquire()
    user.run("createTags", resourceids=ip["id"], resourcetype="PublicIpAddress", **tag_map(("a", "1")))
    for params, text in (
        (dict(resourcetype="Zone", resourceids=place.zone.id, **tag_map(("b", "2"))),
         "Zone doesn't support resource tags"),
        (dict(resourcetype="Bogus", resourceids=ip["id"], **tag_map(("b", "2"))), "Invalid resource type"),
        (dict(resourcetype="PublicIpAddress", resourceids=ip["id"], **{"tags[0].key": "b"}), "null or empty"),
        (dict(resourcetype="PublicIpAddress", resourceids=ip["id"], **tag_map(("b", "2"), ("a", "3"))),
         "already has a tag with key a"),
        (dict(resourcetype="PublicIpAddress", resourceids=ip["id"]), "tags"),
    ):
        refused = user.error("createTags", **params)
        assert refused.code == 431 and text in refused.text, (params, refused.text)
    assert keys(user.items("listPublicIpAddresses", "publicipaddress", id=ip["id"])[0]) == {"a": "1"}
    other = make_tenant(cloud.admin).client
    theirs = other.error("createTags", resourceids=ip["id"], resourcetype="PublicIpAddress", **tag_map(("x", "y")))
    assert theirs.code == 431 and UNKNOWN in theirs.text
    assert other.items("listTags", "tag") == []
    other.error("deleteTags", resourceids=ip["id"], resourcetype="PublicIpAddress")
    assert keys(user.items("listPublicIpAddresses", "publicipaddress", id=ip["id"])[0]) == {"a": "1"}


def test_a_released_public_ip_loses_its_tags(place: Place) -> None:
    ip = place.acquire()
    place.user.run("createTags", resourceids=ip["id"], resourcetype="PublicIpAddress", **tag_map(("gone", "soon")))
    place.user.run("disassociateIpAddress", id=ip["id"])
    assert place.user.call("listTags", **{"key": "gone"}).get("tag", []) == []


def test_a_nic_is_tagged_shown_with_its_tags_and_listed_by_them(cloud: Cloud, place: Place) -> None:
    nic = place.vm["nic"][0]["id"]
    place.user.run("createTags", resourceids=nic, resourcetype="Nic", **tag_map(("purpose", "vip")))
    (listed,) = place.user.items("listNics", "nic", virtualmachineid=place.vm["id"])
    assert keys(listed) == {"purpose": "vip"}
    found = place.user.items("listNics", "nic", virtualmachineid=place.vm["id"], **tag_map(("purpose", "vip")))
    assert [n["id"] for n in found] == [nic]
    assert place.user.items("listNics", "nic", virtualmachineid=place.vm["id"], **tag_map(("purpose", "db"))) == []
    theirs = make_tenant(cloud.admin).client.error("createTags", resourceids=nic, resourcetype="Nic",
                                                   **tag_map(("x", "y")))
    assert theirs.code == 431 and UNKNOWN in theirs.text
