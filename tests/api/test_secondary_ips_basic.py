"""Test plan scenarios 1-13 in a Basic zone: addresses come from the ranges of the VM's pod, over the signed API.

Scenario 12 (second and third NICs) has no Basic-zone form: a Basic zone has one guest network,
so its VMs have one NIC.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Cloud
from tests.support import scenarios as sc
from tests.support.world import Tenant, make_tenant

pytestmark = pytest.mark.api


def layout(pod: sc.BasicPod) -> sc.Layout:
    prefix = pod.gateway.rsplit(".", 2)[0]  # "10.<n>"
    return sc.Layout(
        cidr=f"{prefix}.0.0/22", ranges=((pod.start, pod.end),), free=f"{prefix}.1.77", outside="10.99.0.5",
        gateway=pod.gateway, broadcast=f"{prefix}.3.255", network=f"{prefix}.0.0", off_range=f"{prefix}.3.5",
        ip6_cidr="fd00:30:0:1::/64", ip6_inside="fd00:30:0:1::abcd", ip6_outside="fd00:9::5",
    )


def deploy_in(cloud: Cloud, d: dict[str, str], basic: sc.BasicZone, pod: int, owner: Tenant) -> dict[str, Any]:
    """Deploy for `owner` on the host of one pod (the root admin places it; the VM is the owner's)."""
    vm: dict[str, Any] = cloud.admin.run(
        "deployVirtualMachine", zoneid=basic.id, serviceofferingid=d["serviceofferingid"], templateid=d["templateid"],
        hostid=basic.pods[pod].host_ids[0], account=owner.account, domainid=owner.domain_id)["virtualmachine"]
    return vm


@pytest.fixture
def w(cloud: Cloud, d: dict[str, str]) -> sc.World:
    basic = sc.make_basic_zone(cloud.admin)
    cloud.admin.call("createVlanIpRange", podid=basic.pods[0].id, forvirtualnetwork=False,
                     ip6cidr="fd00:30:0:1::/64", startipv6="fd00:30:0:1::100", endipv6="fd00:30:0:1::ffff")
    tenant = make_tenant(cloud.admin)

    def make_vm(owner: Tenant) -> dict[str, Any]:
        return deploy_in(cloud, d, basic, 0, owner)

    return sc.World(cloud, basic.zone, d, tenant, basic.network, make_vm(tenant), make_vm(tenant),
                    layout(basic.pods[0]), make_vm, {"basic": basic})


class TestSameInEveryWorld(sc.SameInEveryWorld):
    """The scenarios an isolated network and a shared network run alike, here in a Basic zone."""


def test_a_basic_zone_vm_deployed_without_networks_gets_its_address_from_its_pods_range(w: sc.World) -> None:
    basic: sc.BasicZone = w.extra["basic"]
    vm = w.user.run("deployVirtualMachine", zoneid=basic.id, serviceofferingid=w.d["serviceofferingid"],
                    templateid=w.d["templateid"])["virtualmachine"]
    [nic] = vm["nic"]
    assert nic["networkid"] == basic.network["id"] and nic["type"] == "Shared"
    homes = {p.gateway: p for p in basic.pods}
    pod = homes[nic["gateway"]]
    assert layout(pod).in_ranges(nic["ipaddress"]) and nic["netmask"] == "255.255.252.0"
    assert [g["name"] for g in vm["securitygroup"]] == ["default"]


def test_an_auto_picked_secondary_ip_comes_from_the_vms_pod(w: sc.World) -> None:
    sc.auto_picked_ip_lies_in_the_ranges(w)


def test_an_explicit_free_ip_is_given_and_addresses_off_the_pods_ranges_are_refused(w: sc.World) -> None:
    sc.explicit_ip_is_given_and_special_ones_refused(w)


def test_an_address_of_another_pod_is_refused_on_a_vm_of_this_pod(w: sc.World) -> None:
    other = w.extra["basic"].pods[1]
    refused = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=other.start)
    assert refused.code == 431 and other.start in refused.text and "outside" in refused.text
    elsewhere = deploy_in(w.cloud, w.d, w.extra["basic"], 1, w.tenant)
    sec = sc.add(w.user, elsewhere["nic"][0]["id"])
    assert layout(other).in_ranges(sec["ipaddress"])


def test_a_removed_ip_is_free_again_and_can_be_taken_and_removed_again(w: sc.World) -> None:
    sc.removed_ip_is_free_again(w)


def test_a_child_domain_user_manages_own_ips_and_others_get_the_unknown_uuid_answer(w: sc.World) -> None:
    sc.child_domain_user_manages_own_ips_and_strangers_see_nothing(w)


def test_the_default_limit_of_256_lets_256_adds_succeed_from_the_pods_range(w: sc.World) -> None:
    sc.default_limit_lets_256_adds_succeed(w)


def test_ipv6_secondary_ips_come_from_the_pods_ipv6_range_and_bad_ones_are_refused(w: sc.World) -> None:
    sc.ipv6_secondaries_are_stored_and_bad_ones_refused(w)


def test_a_pod_range_added_later_serves_that_pod_and_the_free_view_can_show_one_pod(w: sc.World) -> None:
    basic: sc.BasicZone = w.extra["basic"]
    pod = basic.pods[0]
    prefix = pod.gateway.rsplit(".", 2)[0]
    extra = w.cloud.admin.call("createVlanIpRange", podid=pod.id, forvirtualnetwork=False, gateway=pod.gateway,
                               netmask="255.255.252.0", startip=f"{prefix}.3.10", endip=f"{prefix}.3.19")["vlan"]
    assert extra["podid"] == pod.id and extra["networkid"] == basic.network["id"]
    assert sc.add(w.user, w.nic["id"], f"{prefix}.3.15")["ipaddress"] == f"{prefix}.3.15"
    ranges = w.cloud.admin.items("listVlanIpRanges", "vlaniprange", podid=pod.id)
    assert {r.get("startip") for r in ranges} == {pod.start, f"{prefix}.3.10", None}
    one_pod = w.user.call("listFreeIpAddresses", networkid=basic.network["id"], podid=pod.id)["freeipaddress"]
    assert one_pod["ipv4"]["total"] == 753 + 10
    both = w.user.call("listFreeIpAddresses", networkid=basic.network["id"])["freeipaddress"]
    assert both["ipv4"]["total"] == 2 * 753 + 10


def test_a_stopped_basic_zone_vm_starts_again_in_its_own_pod(w: sc.World) -> None:
    sec = sc.add(w.user, w.nic["id"])
    w.user.run("stopVirtualMachine", id=w.vm["id"])
    started = w.user.run("startVirtualMachine", id=w.vm["id"])["virtualmachine"]
    assert started["hostid"] == w.extra["basic"].pods[0].host_ids[0]
    assert [s["ipaddress"] for s in started["nic"][0]["secondaryip"]] == [sec["ipaddress"]]
