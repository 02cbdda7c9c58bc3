"""Test plan scenarios 1-13 on an Advanced shared network (addresses from its IP ranges), over the signed API."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from nicstack.db.uow import SqlUnitOfWork
from nicstack.render.metadata import vm_entry
from nicstack.services import routers
from nicstack.services.metadata_state import entries_of_vms, metadata_for
from nicstack.services.publication import drift
from tests.conftest import Cloud
from tests.support import scenarios as sc
from tests.support.client import UNKNOWN
from tests.support.world import Tenant, Zone, deploy, make_tenant

pytestmark = pytest.mark.api

LAYOUT = sc.Layout(
    cidr="10.20.0.0/22", ranges=(("10.20.0.10", "10.20.2.250"),), free="10.20.1.77", outside="10.99.0.5",
    gateway="10.20.0.1", broadcast="10.20.3.255", network="10.20.0.0", off_range="10.20.3.5",
    ip6_cidr="fd00:20:0:1::/64", ip6_inside="fd00:20:0:1::abcd", ip6_outside="fd00:9::5",
)
NETWORK = {"gateway": "10.20.0.1", "netmask": "255.255.252.0", "startip": "10.20.0.10", "endip": "10.20.2.250",
           "vlan": "120", "ip6cidr": "fd00:20:0:1::/64", "startipv6": "fd00:20:0:1::100",
           "endipv6": "fd00:20:0:1::ffff"}


@pytest.fixture(scope="module")
def zone(cloud: Cloud) -> Zone:
    return sc.make_advanced_zone(cloud.admin)


@pytest.fixture
def w(cloud: Cloud, zone: Zone, d: dict[str, str]) -> sc.World:
    network = sc.make_shared_network(cloud.admin, zone, sc.SHARED_OFFERING, **NETWORK)
    tenant = make_tenant(cloud.admin)

    def make_vm(owner: Tenant) -> dict[str, Any]:
        return deploy(owner.client, zone, d, network["id"])

    return sc.World(cloud, zone, d, tenant, network, make_vm(tenant), make_vm(tenant), LAYOUT, make_vm)


class TestSameInEveryWorld(sc.SameInEveryWorld):
    """The scenarios an isolated network and a Basic zone run alike, here on the shared network."""


def test_a_shared_network_shows_its_layout_and_its_range(w: sc.World) -> None:
    net = w.network
    assert (net["type"], net["cidr"], net["gateway"], net["vlan"], net["acltype"]) == (
        "Shared", "10.20.0.0/22", "10.20.0.1", "120", "Domain")
    [listed] = w.cloud.admin.items("listVlanIpRanges", "vlaniprange", networkid=net["id"])
    assert (listed["startip"], listed["endip"], listed["forvirtualnetwork"]) == ("10.20.0.10", "10.20.2.250", False)
    assert listed["startipv6"] == "fd00:20:0:1::100"
    nic = w.nic
    assert LAYOUT.in_ranges(nic["ipaddress"]) and nic["gateway"] == "10.20.0.1" and nic["netmask"] == "255.255.252.0"
    assert nic["ip6address"].startswith("fd00:20:0:1::")


def test_an_auto_picked_secondary_ip_comes_from_the_ranges(w: sc.World) -> None:
    sc.auto_picked_ip_lies_in_the_ranges(w)


def test_an_explicit_free_ip_is_given_and_addresses_off_the_ranges_are_refused(w: sc.World) -> None:
    sc.explicit_ip_is_given_and_special_ones_refused(w)


def test_a_removed_ip_goes_back_to_the_ranges_free_pool(w: sc.World) -> None:
    before = w.user.call("listFreeIpAddresses", networkid=w.network["id"])["freeipaddress"]["ipv4"]["free"]
    sec = sc.add(w.user, w.nic["id"], LAYOUT.free)
    taken = w.user.call("listFreeIpAddresses", networkid=w.network["id"])["freeipaddress"]["ipv4"]["free"]
    assert taken == before - 1
    sc.remove(w.user, sec["id"])
    after = w.user.call("listFreeIpAddresses", networkid=w.network["id"])["freeipaddress"]["ipv4"]["free"]
    assert after == before
    sc.removed_ip_is_free_again(w)


def test_a_child_domain_user_manages_own_ips_in_the_shared_network_and_others_get_the_unknown_answer(
    w: sc.World,
) -> None:
    sc.child_domain_user_manages_own_ips_and_strangers_see_nothing(w)


def test_the_default_limit_of_256_lets_256_adds_succeed_from_the_ranges(w: sc.World) -> None:
    sc.default_limit_lets_256_adds_succeed(w)


def test_secondary_ips_on_the_second_and_third_nics_come_from_their_networks_ranges(w: sc.World) -> None:
    admin = w.cloud.admin
    second = sc.make_shared_network(admin, w.zone, sc.SHARED_OFFERING, gateway="10.21.0.1", netmask="255.255.255.0",
                                    startip="10.21.0.100", endip="10.21.0.120")
    third = sc.make_shared_network(admin, w.zone, sc.SHARED_OFFERING, gateway="10.22.0.1", netmask="255.255.255.0",
                                   startip="10.22.0.50", endip="10.22.0.60")
    vm = deploy(w.user, w.zone, w.d, w.network["id"], second["id"], third["id"])
    assert [n["isdefault"] for n in vm["nic"]] == [True, False, False]
    for nic, (low, high) in zip(vm["nic"][1:], ((100, 120), (50, 60)), strict=True):
        sec = sc.add(w.user, nic["id"])
        assert low <= int(sec["ipaddress"].rsplit(".", 1)[1]) <= high, sec
        listed = sc.nic_of(w.user, vm["id"], nic["id"])
        assert [s["ipaddress"] for s in listed["secondaryip"]] == [sec["ipaddress"]]
        sc.remove(w.user, sec["id"])


def test_ipv6_secondary_ips_come_from_the_ipv6_range_and_bad_ones_are_refused(w: sc.World) -> None:
    sc.ipv6_secondaries_are_stored_and_bad_ones_refused(w)


def test_another_accounts_user_cannot_take_release_or_list_on_a_nic_in_the_same_shared_network(
    w: sc.World,
) -> None:
    other = make_tenant(w.cloud.admin)
    stranger, own = other.client, w.deploy(other)
    assert own["nic"][0]["networkid"] == w.network["id"]
    sec = sc.add(w.user, w.nic["id"])
    for command, params in (("addIpToNic", {"nicid": w.nic["id"]}), ("removeIpFromNic", {"id": sec["id"]}),
                            ("listNics", {"virtualmachineid": w.vm["id"]}),
                            ("listNics", {"virtualmachineid": own["id"], "nicid": w.nic["id"]})):
        refused = stranger.error(command, **params)
        assert refused.code == 431 and UNKNOWN in refused.text, (command, refused.text)
    assert [s["id"] for s in sc.nic_of(w.user, w.vm["id"], w.nic["id"])["secondaryip"]] == [sec["id"]]


def test_the_free_address_views_show_what_is_free_and_never_who_holds_the_rest(w: sc.World) -> None:
    sec = sc.add(w.user, w.nic["id"], "10.20.0.200")
    stranger = make_tenant(w.cloud.admin).client
    free = stranger.call("listFreeIpAddresses", networkid=w.network["id"])["freeipaddress"]
    v4 = free["ipv4"]
    assert v4["total"] == 753 and v4["used"] == 3 and v4["free"] == 750 and v4["truncated"] is False
    assert {"start": "10.20.0.201", "end": "10.20.2.250", "count": 562} in v4["ranges"]
    assert free["ipv6"]["total"] == 0xFFFF - 0x100 + 1 and free["ipv6"]["used"] == 2
    listed = stranger.call("listPublicIpAddresses", forvirtualnetwork=False, allocatedonly=False,
                           networkid=w.network["id"], page=1, pagesize=500)
    assert listed["count"] == 753
    by_address = {a["ipaddress"]: a for a in listed["publicipaddress"]}
    assert by_address["10.20.0.200"]["state"] == "Allocated" and by_address["10.20.0.201"]["state"] == "Free"
    text = json.dumps([free, listed])
    for secret in (w.tenant.account, w.vm["id"], w.nic["id"], sec["id"], w.vm["name"]):
        assert secret not in text
    assert not {"account", "virtualmachineid", "domainid"} & set(by_address["10.20.0.200"])
    allocated = stranger.items("listPublicIpAddresses", "publicipaddress", forvirtualnetwork=False,
                               networkid=w.network["id"])
    assert sorted(a["ipaddress"] for a in allocated) == sorted(
        [w.vm["nic"][0]["ipaddress"], w.other_vm["nic"][0]["ipaddress"], "10.20.0.200"])


def test_a_second_range_widens_the_pool_and_a_range_in_use_cannot_be_deleted(w: sc.World) -> None:
    admin = w.cloud.admin
    extra = admin.call("createVlanIpRange", networkid=w.network["id"], forvirtualnetwork=False,
                       startip="10.20.3.10", endip="10.20.3.12")["vlan"]
    assert extra["networkid"] == w.network["id"] and extra["gateway"] == "10.20.0.1"
    sec = sc.add(w.user, w.nic["id"], "10.20.3.11")
    refused = admin.error("deleteVlanIpRange", id=extra["id"])
    assert refused.code == 536 and "10.20.3.10-10.20.3.12" in refused.text
    overlap = admin.error("createVlanIpRange", networkid=w.network["id"], forvirtualnetwork=False,
                          startip="10.20.3.12", endip="10.20.3.20")
    assert overlap.code == 431 and "overlaps" in overlap.text
    sc.remove(w.user, sec["id"])
    assert admin.call("deleteVlanIpRange", id=extra["id"]) == {"success": True}
    gone = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress="10.20.3.11")
    assert gone.code == 431 and "outside the IP ranges" in gone.text


def test_only_administrators_create_shared_networks_and_an_account_network_is_the_accounts_alone(
    w: sc.World,
) -> None:
    refused = w.user.error("createNetwork", name="mine", displaytext="mine", zoneid=w.zone.id,
                           networkofferingid=sc.offering(w.cloud.admin, sc.SHARED_OFFERING), gateway="10.30.0.1",
                           netmask="255.255.255.0", startip="10.30.0.10", endip="10.30.0.20")
    assert refused.code == 531
    owned = sc.make_shared_network(w.cloud.admin, w.zone, sc.SHARED_OFFERING, gateway="10.31.0.1",
                                   netmask="255.255.255.0", startip="10.31.0.10", endip="10.31.0.20",
                                   acltype="Account", account=w.tenant.account, domainid=w.tenant.domain_id)
    assert owned["acltype"] == "Account" and owned["account"] == w.tenant.account
    stranger = make_tenant(w.cloud.admin).client
    denied = stranger.error("listNetworks", id=owned["id"])
    assert denied.code == 431 and UNKNOWN in denied.text
    assert deploy(w.user, w.zone, w.d, owned["id"])["nic"][0]["ipaddress"].startswith("10.31.0.")
    empty = sc.make_shared_network(w.cloud.admin, w.zone, sc.SHARED_OFFERING, gateway="10.32.0.1",
                                   netmask="255.255.255.0", startip="10.32.0.10", endip="10.32.0.20")
    assert w.user.error("deleteNetwork", id=empty["id"]).code == 531
    assert w.cloud.admin.run("deleteNetwork", id=empty["id"]) == {"success": True}


def test_the_metadata_pass_writes_each_vms_entry_as_the_whole_routers_rendering_does(w: sc.World) -> None:
    """The pass renders a changed VM from its rows' texts, and writes an address added alone as one row; the whole
    router's publication (and `drift`) renders from typed values. All must give the same bytes, IPv6 and user data
    included, or every VM change would look drifted."""
    uow = SqlUnitOfWork(w.cloud.db)

    def published_as_rendered() -> tuple[str, list[str], str, set[int], int]:
        deadline = time.monotonic() + 10
        while True:  # the answers come at once; the worker's next pass publishes what changed
            with uow.reading():
                vm = uow.vms.vm_by(with_secondary=False, uuid=w.vm["id"])
                net = uow.networks.network_by(uuid=w.network["id"])
                assert vm is not None and net is not None
                [entry] = [vm_entry(meta) for meta in metadata_for(uow, [net.id]).vms if str(meta.uuid) == vm.uuid]
                published = routers.published_entries(uow, f"router:{net.uuid}")
                rendered, networks = entries_of_vms(uow, [vm.id])[vm.id]
            if entry in published or time.monotonic() > deadline:
                return entry, published, rendered, networks, net.id
            time.sleep(0.05)

    for address in ("10.20.1.90", "fd00:20:0:1::19a"):  # each written alone: one row per router
        sc.add(w.user, w.nic["id"], address)
        entry, published, _, _, _ = published_as_rendered()
        assert address in entry and entry in published, "the router publishes the address added alone"
    w.user.call("updateVirtualMachine", id=w.vm["id"], userdata="aGVsbG8=")  # the VM rendered whole
    entry, published, rendered, networks, net_id = published_as_rendered()
    assert rendered == entry and networks == {net_id}
    assert entry in published, "the router publishes the entry the pass rendered"
    removed = w.user.items("listNics", "nic", virtualmachineid=w.vm["id"])
    [secondary] = [s for nic in removed for s in nic.get("secondaryip", []) if s["ipaddress"] == "10.20.1.90"]
    w.user.run("removeIpFromNic", id=secondary["id"])
    entry, published, _, _, _ = published_as_rendered()
    assert "10.20.1.90" not in entry and entry in published, "the router drops the address taken alone"
    data = json.loads(entry)
    assert data["user_data"] == "aGVsbG8="
    assert "fd00:20:0:1::19a" in {a for nic in data["nics"] for a in nic["ipv4"] + nic["ipv6"]}
    assert "router:" + w.network["id"] not in drift(SqlUnitOfWork(w.cloud.db))
