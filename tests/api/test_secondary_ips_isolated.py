"""Test plan scenarios 1-13 on an isolated network, over the signed HTTP API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cloud
from tests.support import scenarios as sc
from tests.support.world import Tenant, Zone, deploy, make_network, make_tenant

pytestmark = pytest.mark.api

# The network's range is its whole CIDR: no address is inside it but off the range.
LAYOUT = sc.Layout(
    cidr="10.1.1.0/24", ranges=(("10.1.1.0", "10.1.1.255"),), free="10.1.1.200", outside="10.2.0.5",
    gateway="10.1.1.1", broadcast="10.1.1.255", network="10.1.1.0", off_range=None,
    ip6_cidr="fd00:1:1:1::/64", ip6_inside="fd00:1:1:1::abcd", ip6_outside="fd00:9::5",
)


@pytest.fixture
def w(cloud: Cloud, zone: Zone, d: dict[str, str]) -> sc.World:
    """A tenant with an isolated 10.1.1.0/24 network (IPv6 too) and two running VMs in it.

    More VMs of an account go in an isolated network of that account's own.
    """
    tenant = make_tenant(cloud.admin)
    network = make_network(tenant.client, zone, d["isolated"], gateway="10.1.1.1", netmask="255.255.255.0",
                           ip6cidr="fd00:1:1:1::/64", ip6gateway="fd00:1:1:1::1")

    def in_own_network(owner: Tenant) -> dict[str, Any]:
        return deploy(owner.client, zone, d, make_network(owner.client, zone, d["isolated"])["id"])

    vm = deploy(tenant.client, zone, d, network["id"])
    other = deploy(tenant.client, zone, d, network["id"])
    return sc.World(cloud, zone, d, tenant, network, vm, other, LAYOUT, in_own_network, nic_type="Isolated")


class TestSameInEveryWorld(sc.SameInEveryWorld):
    """The scenarios a shared network and a Basic zone run alike, here on the isolated network."""


def test_an_auto_picked_secondary_ip_lies_inside_the_cidr_and_is_no_special_address(w: sc.World) -> None:
    sc.auto_picked_ip_lies_in_the_ranges(w)


def test_an_explicit_free_ip_is_given_exactly_and_special_addresses_are_refused(w: sc.World) -> None:
    sc.explicit_ip_is_given_and_special_ones_refused(w)


def test_the_routers_address_is_refused(w: sc.World) -> None:
    # The isolated network's virtual router answers on the gateway address.
    refused = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=w.network["gateway"])
    assert refused.code in (431, 536) and w.network["gateway"] in refused.text


def test_a_removed_ip_is_free_again_and_can_be_taken_and_removed_again(w: sc.World) -> None:
    sc.removed_ip_is_free_again(w)


def test_a_child_domain_user_manages_own_ips_and_others_get_the_unknown_uuid_answer(w: sc.World) -> None:
    sc.child_domain_user_manages_own_ips_and_strangers_see_nothing(w)


def test_the_default_limit_of_256_lets_256_adds_succeed_on_one_nic(w: sc.World) -> None:
    # 10.1.1.0/24 has fewer than 256 free addresses: this NIC is in a /22 of its own.
    net = make_network(w.user, w.zone, w.d["isolated"], gateway="10.9.0.1", netmask="255.255.252.0")
    sc.fill_to_the_default_limit(w.user, deploy(w.user, w.zone, w.d, net["id"]))


def test_secondary_ips_on_the_second_and_third_nics_work_the_same(w: sc.World) -> None:
    net2 = make_network(w.user, w.zone, w.d["isolated"], gateway="10.2.2.1", netmask="255.255.255.0")
    net3 = make_network(w.user, w.zone, w.d["isolated"], gateway="10.3.3.1", netmask="255.255.255.0")
    vm = deploy(w.user, w.zone, w.d, w.network["id"], net2["id"], net3["id"])
    assert [n["isdefault"] for n in vm["nic"]] == [True, False, False]
    for nic, prefix in zip(vm["nic"][1:], ("10.2.2.", "10.3.3."), strict=True):
        sec = sc.add(w.user, nic["id"])
        assert sec["ipaddress"].startswith(prefix)
        listed = sc.nic_of(w.user, vm["id"], nic["id"])
        assert [s["ipaddress"] for s in listed["secondaryip"]] == [sec["ipaddress"]]
        sc.remove(w.user, sec["id"])


def test_ipv6_secondary_ips_are_stored_and_bad_ones_refused(w: sc.World) -> None:
    sc.ipv6_secondaries_are_stored_and_bad_ones_refused(w)
