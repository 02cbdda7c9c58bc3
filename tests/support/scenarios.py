"""Test plan scenarios 1-13 written once, run on isolated and shared networks and in Basic zones; their worlds."""

from __future__ import annotations

import ipaddress
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import Cloud
from tests.support.client import UNKNOWN, Client
from tests.support.world import Tenant, Zone, make_tenant, unique

LIMIT_KEY = "vm.network.nic.max.secondary.ipaddresses"
SG_OFFERING = "DefaultSharedNetworkOfferingWithSGService"
SHARED_OFFERING = "DefaultSharedNetworkOffering"
_hosts = itertools.count(1)


# -- the wire helpers every scenario uses -------------------------------------------------------


def add(client: Client, nicid: str, ip: str | None = None) -> dict[str, Any]:
    params = {"nicid": nicid} | ({"ipaddress": ip} if ip else {})
    result: dict[str, Any] = client.run("addIpToNic", **params)["nicsecondaryip"]
    return result


def remove(client: Client, secondary_id: str) -> None:
    assert client.run("removeIpFromNic", id=secondary_id) == {"success": True}


def nic_of(client: Client, vm_id: str, nic_id: str) -> dict[str, Any]:
    nic: dict[str, Any] = client.call("listNics", virtualmachineid=vm_id, nicid=nic_id)["nic"][0]
    return nic


def addresses(secondaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """listNics' secondary IPs as id and address: whether agents applied them is the data-plane tests' matter."""
    assert all(isinstance(s.get("applied"), bool) for s in secondaries), secondaries
    return [{"id": s["id"], "ipaddress": s["ipaddress"]} for s in secondaries]


def offering(admin: Client, name: str) -> str:
    found: str = next(o["id"] for o in admin.items("listNetworkOfferings", "networkoffering") if o["name"] == name)
    return found


def add_host(admin: Client, zone_id: str, pod_id: str, hypervisor: str = "KVM") -> str:
    n = next(_hosts)
    host: dict[str, Any] = admin.call("addHost", zoneid=zone_id, podid=pod_id, hypervisor=hypervisor,
                                      url=f"http://172.31.{n // 250}.{n % 250 + 1}", username="root",
                                      password="password")["host"][0]
    return str(host["id"])


# -- worlds --------------------------------------------------------------------------------------


def make_advanced_zone(admin: Client, hypervisors: tuple[str, ...] = ("KVM",), *, sg: bool = False) -> Zone:
    """An Advanced zone (security groups enabled when `sg`), one pod, one host per hypervisor given."""
    zone = admin.call("createZone", name=unique("zone"), networktype="Advanced", dns1="8.8.8.8",
                      internaldns1="10.0.0.2", securitygroupenabled=sg)["zone"]
    pod = admin.call("createPod", zoneid=zone["id"], name=unique("pod"), gateway="192.168.0.1",
                     netmask="255.255.255.0")["pod"]
    return Zone(zone["id"], pod["id"], [add_host(admin, zone["id"], pod["id"], h) for h in hypervisors])


def make_shared_network(admin: Client, zone: Zone, name_of_offering: str, **params: Any) -> dict[str, Any]:
    """A domain-wide shared network at ROOT (usable by every account), created by the root admin."""
    name = unique("shared")
    network: dict[str, Any] = admin.call("createNetwork", name=name, displaytext=name, zoneid=zone.id,
                                         networkofferingid=offering(admin, name_of_offering), **params)["network"]
    return network


@dataclass
class BasicPod:
    id: str
    host_ids: list[str]
    gateway: str
    start: str
    end: str


@dataclass
class BasicZone:
    id: str
    network: dict[str, Any]
    pods: list[BasicPod]

    @property
    def zone(self) -> Zone:
        return Zone(self.id, self.pods[0].id, [h for p in self.pods for h in p.host_ids])


def make_basic_zone(admin: Client, pods: int = 2, hypervisor: str = "KVM", offering: str = SG_OFFERING) -> BasicZone:
    """A Basic zone: pods 10.<n>.0.0/22 each with range 10.<n>.0.10-10.<n>.2.250 and one host, then its network."""
    zone = admin.call("createZone", name=unique("basic"), networktype="Basic", dns1="8.8.8.8",
                      internaldns1="10.0.0.2")["zone"]
    made = []
    for i in range(pods):
        octet = 100 + next(_hosts) % 150
        gateway, start, end = f"10.{octet}.0.1", f"10.{octet}.0.10", f"10.{octet}.2.250"
        pod = admin.call("createPod", zoneid=zone["id"], name=unique(f"pod{i}"), gateway=gateway,
                         netmask="255.255.252.0", startip=start, endip=end)["pod"]
        made.append(BasicPod(pod["id"], [add_host(admin, zone["id"], pod["id"], hypervisor)], gateway, start, end))
    network = make_shared_network(admin, Zone(zone["id"], made[0].id, []), offering)
    return BasicZone(zone["id"], network, made)


# -- what a scenario needs to know about its world ----------------------------------------------


@dataclass(frozen=True)
class Layout:
    """The addresses a scenario probes: where auto-picked ones must fall, and the special ones."""

    cidr: str
    ranges: tuple[tuple[str, str], ...]
    free: str
    outside: str
    gateway: str
    broadcast: str
    network: str
    off_range: str | None  # inside the CIDR but off the IP ranges (None: the ranges are the whole CIDR)
    ip6_cidr: str
    ip6_inside: str
    ip6_outside: str

    def in_ranges(self, address: str) -> bool:
        value = ipaddress.ip_address(address)
        return any(int(ipaddress.ip_address(a)) <= int(value) <= int(ipaddress.ip_address(b))
                   and value.version == ipaddress.ip_address(a).version for a, b in self.ranges)


@dataclass
class World:
    """A tenant with two running VMs in a network (isolated, shared or a Basic zone's), and how to make more VMs."""

    cloud: Cloud
    zone: Zone
    d: dict[str, str]
    tenant: Tenant
    network: dict[str, Any]
    vm: dict[str, Any]
    other_vm: dict[str, Any]
    layout: Layout
    deploy: Callable[[Tenant], dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)
    nic_type: str = "Shared"  # what listNics says a NIC of the network is

    @property
    def user(self) -> Client:
        return self.tenant.client

    @property
    def nic(self) -> dict[str, Any]:
        nic: dict[str, Any] = self.vm["nic"][0]
        return nic


# -- scenarios 1-11 and 13 -----------------------------------------------------------------------


def auto_picked_ip_lies_in_the_ranges(w: World) -> None:
    sec = add(w.user, w.nic["id"])
    assert w.layout.in_ranges(sec["ipaddress"]), sec
    assert sec["ipaddress"] not in (w.layout.gateway, w.layout.network, w.layout.broadcast)
    assert sec["nicid"] == w.nic["id"] and sec["networkid"] == w.network["id"]
    assert sec["virtualmachineid"] == w.vm["id"]
    assert sec["ipaddress"] not in {w.vm["nic"][0]["ipaddress"], w.other_vm["nic"][0]["ipaddress"]}


def same_ip_is_refused_twice(w: World) -> None:
    sec = add(w.user, w.nic["id"])
    again = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=sec["ipaddress"])
    assert again.code == 536 and sec["ipaddress"] in again.text and "in use" in again.text
    other = w.user.error("addIpToNic", nicid=w.other_vm["nic"][0]["id"], ipaddress=sec["ipaddress"])
    assert other.code == 536 and "in use" in other.text
    taken = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=w.other_vm["nic"][0]["ipaddress"])
    assert taken.code == 536


def wrong_nic_ids_are_parameter_errors(w: World) -> None:
    assert w.user.error("addIpToNic", nicid=w.nic["id"] + "abc").code == 431
    random_id = str(uuid.uuid4())
    unknown = w.user.error("addIpToNic", nicid=random_id)
    assert unknown.code == 431 and f"value={random_id} {UNKNOWN}" in unknown.text


def invalid_address_is_refused(w: World) -> None:
    bad = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress="255.255.255.300")
    assert bad.code == 431 and "255.255.255.300" in bad.text


def explicit_ip_is_given_and_special_ones_refused(w: World) -> None:
    assert add(w.user, w.nic["id"], w.layout.free)["ipaddress"] == w.layout.free
    lay = w.layout
    special = [(lay.outside, "outside"), (lay.gateway, "gateway"), (lay.network, "network address"),
               (lay.broadcast, "broadcast")]
    if lay.off_range is not None:
        special.append((lay.off_range, "outside the IP ranges"))
    for address, reason in special:
        refused = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=address)
        assert refused.code == 431 and address in refused.text and reason in refused.text, refused.text


def removed_ip_is_free_again(w: World) -> None:
    sec = add(w.user, w.nic["id"], w.layout.free)
    remove(w.user, sec["id"])
    assert nic_of(w.user, w.vm["id"], w.nic["id"]).get("secondaryip", []) == []
    again = add(w.user, w.other_vm["nic"][0]["id"], w.layout.free)
    assert again["ipaddress"] == w.layout.free
    remove(w.user, again["id"])
    gone = w.user.error("removeIpFromNic", id=again["id"])
    assert gone.code == 431 and UNKNOWN in gone.text


def wrong_or_empty_remove_ids_are_parameter_errors(w: World) -> None:
    assert w.user.error("removeIpFromNic", id=str(uuid.uuid4())).code == 431
    empty = w.user.error("removeIpFromNic", id="")
    assert empty.code == 431 and "missing parameter id" in empty.text


def list_nics_needs_a_vm_and_filters(w: World) -> None:
    missing = w.user.error("listNics")
    assert missing.code == 431 and "virtualmachineid" in missing.text
    sec = add(w.user, w.nic["id"])
    nics = w.user.call("listNics", virtualmachineid=w.vm["id"])
    assert nics["count"] == 1
    assert addresses(nics["nic"][0]["secondaryip"]) == [{"id": sec["id"], "ipaddress": sec["ipaddress"]}]
    assert nics["nic"][0]["type"] == w.nic_type
    assert nic_of(w.user, w.vm["id"], w.nic["id"])["id"] == w.nic["id"]
    other_nic = w.other_vm["nic"][0]["id"]
    assert w.user.error("listNics", virtualmachineid=w.vm["id"], nicid=other_nic).code == 431
    assert w.user.error("listNics", virtualmachineid=str(uuid.uuid4()), nicid=w.nic["id"]).code == 431
    assert w.user.error("listNics", virtualmachineid=str(uuid.uuid4()), nicid=str(uuid.uuid4())).code == 431


def child_domain_user_manages_own_ips_and_strangers_see_nothing(w: World) -> None:
    admin = w.cloud.admin
    child = admin.call("createDomain", name=f"child-{uuid.uuid4().hex[:6]}")["domain"]
    tenant = make_tenant(admin, child["id"])
    vm = w.deploy(tenant)
    nic_id = vm["nic"][0]["id"]
    sec = add(tenant.client, nic_id)
    assert nic_of(tenant.client, vm["id"], nic_id)["secondaryip"][0]["id"] == sec["id"]
    for command, params in (("addIpToNic", {"nicid": nic_id}), ("removeIpFromNic", {"id": sec["id"]}),
                            ("listNics", {"virtualmachineid": vm["id"]})):
        refused = w.user.error(command, **params)
        assert refused.code == 431 and UNKNOWN in refused.text, (command, refused.text)
    remove(tenant.client, sec["id"])


def limit_refuses_the_next_add_and_stores_nothing(w: World) -> None:
    admin = w.cloud.admin
    [setting] = admin.items("listConfigurations", "configuration", name=LIMIT_KEY)
    assert setting["value"] == "256"
    admin.call("updateConfiguration", name=LIMIT_KEY, value="2")
    try:
        add(w.user, w.nic["id"])
        add(w.user, w.nic["id"])
        refused = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=w.layout.free)
        assert refused.code == 431 and "(2)" in refused.text
        assert len(nic_of(w.user, w.vm["id"], w.nic["id"])["secondaryip"]) == 2
        assert add(w.user, w.other_vm["nic"][0]["id"], w.layout.free)["ipaddress"] == w.layout.free
    finally:
        admin.call("updateConfiguration", name=LIMIT_KEY, value="256")


def default_limit_lets_256_adds_succeed(w: World) -> None:
    listed = fill_to_the_default_limit(w.user, w.deploy(w.tenant))
    assert all(w.layout.in_ranges(s["ipaddress"]) for s in listed if ":" not in s["ipaddress"])


def fill_to_the_default_limit(client: Client, vm: dict[str, Any]) -> list[dict[str, Any]]:
    """256 auto-picked adds on the VM's first NIC succeed and the next is refused; returns the NIC's secondaries."""
    nic_id = vm["nic"][0]["id"]
    jobs = [client.call("addIpToNic", nicid=nic_id)["jobid"] for _ in range(256)]
    assert all(client.wait(j)["jobstatus"] == 1 for j in jobs[-3:])
    refused = client.error("addIpToNic", nicid=nic_id)
    assert refused.code == 431 and "256" in refused.text
    listed: list[dict[str, Any]] = nic_of(client, vm["id"], nic_id)["secondaryip"]
    assert len({s["ipaddress"] for s in listed}) == 256
    return listed


def flag_and_list_follow_the_last_add_and_remove(w: World) -> None:
    assert nic_of(w.user, w.vm["id"], w.nic["id"]).get("secondaryip", []) == []
    sec = add(w.user, w.nic["id"])
    assert [s["id"] for s in nic_of(w.user, w.vm["id"], w.nic["id"])["secondaryip"]] == [sec["id"]]
    assert secondary_flag(w, w.nic["id"]) == 1
    remove(w.user, sec["id"])
    assert nic_of(w.user, w.vm["id"], w.nic["id"]).get("secondaryip", []) == []
    assert secondary_flag(w, w.nic["id"]) == 0


def secondary_flag(w: World, nic_id: str) -> int:
    query = "select secondary_ip from nics where uuid = " + ("?" if w.cloud.backend == "sqlite" else "%s")
    with w.cloud.db.read() as conn:
        flag: int = conn.exec_driver_sql(query, (nic_id,)).scalar_one()
    return flag


def ipv6_secondaries_are_stored_and_bad_ones_refused(w: World) -> None:
    sec = add(w.user, w.nic["id"], w.layout.ip6_inside)
    assert sec["ipaddress"] == w.layout.ip6_inside
    listed = addresses(nic_of(w.user, w.vm["id"], w.nic["id"])["secondaryip"])
    assert {"id": sec["id"], "ipaddress": w.layout.ip6_inside} in listed
    outside = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=w.layout.ip6_outside)
    assert outside.code == 431 and "outside" in outside.text
    mac = w.nic["macaddress"].split(":")
    prefix = w.layout.ip6_cidr.split("::")[0]
    eui = f"{prefix}:{int(mac[0], 16) ^ 2:02x}{mac[1]}:{mac[2]}ff:fe{mac[3]}:{mac[4]}{mac[5]}"
    refused = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=eui)
    assert refused.code == 431 and "EUI-64" in refused.text
    remove(w.user, sec["id"])


# -- the scenarios every world runs under the same test names ------------------------------------


class SameInEveryWorld:
    """Scenarios an isolated network, a shared network and a Basic zone run alike, under the same test names.

    A test module runs them in its world by subclassing this as a `Test...` class; its fixture `w` is the World.
    """

    def test_the_same_ip_cannot_be_added_twice_on_one_nic_or_on_another_vm(self, w: World) -> None:
        same_ip_is_refused_twice(w)

    def test_adding_to_a_wrong_nic_id_is_a_parameter_error(self, w: World) -> None:
        wrong_nic_ids_are_parameter_errors(w)

    def test_an_invalid_address_is_refused(self, w: World) -> None:
        invalid_address_is_refused(w)

    def test_removing_with_a_wrong_or_empty_id_is_a_parameter_error(self, w: World) -> None:
        wrong_or_empty_remove_ids_are_parameter_errors(w)

    def test_list_nics_needs_a_vm_and_filters_by_nic(self, w: World) -> None:
        list_nics_needs_a_vm_and_filters(w)

    def test_the_limit_refuses_the_next_add_and_stores_nothing(self, w: World) -> None:
        limit_refuses_the_next_add_and_stores_nothing(w)

    def test_the_secondary_ip_flag_and_list_follow_the_last_add_and_remove(self, w: World) -> None:
        flag_and_list_follow_the_last_add_and_remove(w)
