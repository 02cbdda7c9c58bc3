"""updateVPC and updateNetwork over the signed API: texts and the DNS domain change, asynchronously as in CloudStack;
blank or bad values are refused and change nothing; other accounts' ids answer as unknown ones."""

from __future__ import annotations

import pytest

from tests.conftest import Cloud
from tests.support.client import UNKNOWN
from tests.support.rules import Place, make_place
from tests.support.world import Zone, make_tenant

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def p(cloud: Cloud, public_zone: Zone) -> Place:
    return make_place(cloud, public_zone, "vpc")


def test_update_vpc_changes_its_name_and_display_text_and_answers_the_vpc_with_its_tiers(p: Place) -> None:
    assert p.vpc is not None
    reply = p.user.call("updateVPC", id=p.vpc["id"], displaytext="the shop")
    assert "jobid" in reply  # asynchronous, as in CloudStack
    vpc = p.user.wait(reply["jobid"])["jobresult"]["vpc"]
    assert vpc["displaytext"] == "the shop" and vpc["name"] == p.vpc["name"]
    assert [n["id"] for n in vpc["network"]] == [p.network["id"]]
    renamed = p.user.run("updateVPC", id=p.vpc["id"], name="shop")["vpc"]
    assert (renamed["name"], renamed["displaytext"]) == ("shop", "the shop")
    listed = p.user.items("listVPCs", "vpc", id=p.vpc["id"])[0]
    assert (listed["name"], listed["displaytext"]) == ("shop", "the shop")


def test_update_network_changes_texts_and_network_domain_and_keeps_the_rest(p: Place) -> None:
    before = p.user.items("listNetworks", "network", id=p.network["id"])[0]
    net = p.user.run("updateNetwork", id=p.network["id"], name="web", displaytext="web tier",
                     networkdomain="web.example.com")["network"]
    assert (net["name"], net["displaytext"], net["networkdomain"]) == ("web", "web tier", "web.example.com")
    listed = p.user.items("listNetworks", "network", id=p.network["id"])[0]
    assert {k: v for k, v in listed.items() if k not in ("name", "displaytext", "networkdomain")} == {
        k: v for k, v in before.items() if k not in ("name", "displaytext", "networkdomain")}
    cleared = p.user.run("updateNetwork", id=p.network["id"], networkdomain="")["network"]
    assert "networkdomain" not in cleared and cleared["name"] == "web"


def test_bad_updates_are_refused_and_change_nothing(p: Place) -> None:
    assert p.vpc is not None
    net_before = p.user.items("listNetworks", "network", id=p.network["id"])
    vpc_before = p.user.items("listVPCs", "vpc", id=p.vpc["id"])
    for command, params, words in (
        ("updateNetwork", {"id": p.network["id"], "networkdomain": "bad_domain!"}, "for networkdomain"),
        ("updateNetwork", {"id": p.network["id"], "name": "  "}, "for name"),
        ("updateVPC", {"id": p.vpc["id"], "displaytext": " "}, "for displaytext"),
    ):
        refused = p.user.error(command, **params)
        assert refused.code == 431 and words in refused.text, refused.text
    assert p.user.items("listNetworks", "network", id=p.network["id"]) == net_before
    assert p.user.items("listVPCs", "vpc", id=p.vpc["id"]) == vpc_before


def test_other_accounts_networks_and_vpcs_answer_as_unknown(p: Place, cloud: Cloud) -> None:
    assert p.vpc is not None
    other = make_tenant(cloud.admin)
    for command, uuid in (("updateNetwork", p.network["id"]), ("updateVPC", p.vpc["id"])):
        refused = other.client.error(command, id=uuid, name="mine")
        assert refused.code == 431 and UNKNOWN in refused.text


def test_update_network_accepts_its_own_offering_and_refuses_another(p: Place, cloud: Cloud) -> None:
    own = p.network["networkofferingid"]
    kept = p.user.run("updateNetwork", id=p.network["id"], networkofferingid=own, displaytext="same offering")
    assert kept["network"]["networkofferingid"] == own and kept["network"]["displaytext"] == "same offering"
    other = next(o["id"] for o in cloud.admin.items("listNetworkOfferings", "networkoffering") if o["id"] != own)
    refused = p.user.error("updateNetwork", id=p.network["id"], networkofferingid=other, displaytext="changed")
    assert refused.code == 432 and "keeps its offering" in refused.text
    assert p.user.items("listNetworks", "network", id=p.network["id"])[0]["displaytext"] == "same offering"
