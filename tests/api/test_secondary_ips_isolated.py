"""Test plan scenarios 1-13 on an isolated network, over the signed HTTP API."""

from __future__ import annotations

import ipaddress
import uuid

import pytest

from tests.api.conftest import Isolated
from tests.support.scenarios import UNKNOWN, add, nic_of, remove
from tests.support.world import deploy, make_network, make_tenant

pytestmark = pytest.mark.api


def test_an_auto_picked_secondary_ip_lies_inside_the_cidr_and_is_no_special_address(w: Isolated) -> None:
    sec = add(w.user, w.nic["id"])
    address = ipaddress.ip_address(sec["ipaddress"])
    cidr = ipaddress.ip_network("10.1.1.0/24")
    assert address in cidr
    assert address not in (cidr.network_address, cidr.broadcast_address, ipaddress.ip_address("10.1.1.1"))
    assert sec["nicid"] == w.nic["id"] and sec["networkid"] == w.network["id"]
    assert sec["virtualmachineid"] == w.vm["id"]
    primaries = {w.vm["nic"][0]["ipaddress"], w.other_vm["nic"][0]["ipaddress"]}
    assert sec["ipaddress"] not in primaries


def test_the_same_ip_cannot_be_added_twice_on_one_nic_or_on_another_vm(w: Isolated) -> None:
    sec = add(w.user, w.nic["id"])
    again = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=sec["ipaddress"])
    assert again.code == 536 and sec["ipaddress"] in again.text and "in use" in again.text
    other = w.user.error("addIpToNic", nicid=w.other_vm["nic"][0]["id"], ipaddress=sec["ipaddress"])
    assert other.code == 536 and "in use" in other.text
    taken = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=w.other_vm["nic"][0]["ipaddress"])
    assert taken.code == 536


def test_adding_to_a_wrong_nic_id_is_a_parameter_error(w: Isolated) -> None:
    garbage = w.user.error("addIpToNic", nicid=w.nic["id"] + "abc")
    assert garbage.code == 431
    random_id = str(uuid.uuid4())
    unknown = w.user.error("addIpToNic", nicid=random_id)
    assert unknown.code == 431 and f"value={random_id} {UNKNOWN}" in unknown.text


def test_an_invalid_address_is_refused(w: Isolated) -> None:
    bad = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress="255.255.255.300")
    assert bad.code == 431 and "255.255.255.300" in bad.text


def test_an_explicit_free_ip_is_given_exactly_and_special_addresses_are_refused(w: Isolated) -> None:
    assert add(w.user, w.nic["id"], "10.1.1.200")["ipaddress"] == "10.1.1.200"
    for address, reason in (("10.2.0.5", "outside"), ("10.1.1.1", "gateway"), ("10.1.1.0", "network address"),
                            ("10.1.1.255", "broadcast")):
        refused = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=address)
        assert refused.code == 431 and address in refused.text and reason in refused.text, refused.text


def test_the_routers_address_is_refused(w: Isolated) -> None:
    # The isolated network's virtual router answers on the gateway address.
    refused = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=w.network["gateway"])
    assert refused.code in (431, 536) and w.network["gateway"] in refused.text


def test_a_removed_ip_is_free_again_and_can_be_taken_and_removed_again(w: Isolated) -> None:
    sec = add(w.user, w.nic["id"], "10.1.1.150")
    remove(w.user, sec["id"])
    assert nic_of(w.user, w.vm["id"], w.nic["id"]).get("secondaryip", []) == []
    again = add(w.user, w.other_vm["nic"][0]["id"], "10.1.1.150")
    assert again["ipaddress"] == "10.1.1.150"
    remove(w.user, again["id"])
    gone = w.user.error("removeIpFromNic", id=again["id"])
    assert gone.code == 431 and UNKNOWN in gone.text


def test_removing_with_a_wrong_or_empty_id_is_a_parameter_error(w: Isolated) -> None:
    assert w.user.error("removeIpFromNic", id=str(uuid.uuid4())).code == 431
    empty = w.user.error("removeIpFromNic", id="")
    assert empty.code == 431 and "missing parameter id" in empty.text


def test_list_nics_needs_a_vm_and_filters_by_nic(w: Isolated) -> None:
    missing = w.user.error("listNics")
    assert missing.code == 431 and "virtualmachineid" in missing.text
    sec = add(w.user, w.nic["id"])
    nics = w.user.call("listNics", virtualmachineid=w.vm["id"])
    assert nics["count"] == 1
    assert nics["nic"][0]["secondaryip"] == [{"id": sec["id"], "ipaddress": sec["ipaddress"]}]
    assert nic_of(w.user, w.vm["id"], w.nic["id"])["id"] == w.nic["id"]
    other_nic = w.other_vm["nic"][0]["id"]
    assert w.user.error("listNics", virtualmachineid=w.vm["id"], nicid=other_nic).code == 431
    assert w.user.error("listNics", virtualmachineid=str(uuid.uuid4()), nicid=w.nic["id"]).code == 431
    assert w.user.error("listNics", virtualmachineid=str(uuid.uuid4()), nicid=str(uuid.uuid4())).code == 431


def test_a_child_domain_user_manages_own_ips_and_others_get_the_unknown_uuid_answer(w: Isolated) -> None:
    admin = w.cloud.admin
    child = admin.call("createDomain", name=f"child-{uuid.uuid4().hex[:6]}")["domain"]
    tenant = make_tenant(admin, child["id"])
    net = make_network(tenant.client, w.zone, w.d["isolated"])
    vm = deploy(tenant.client, w.zone, w.d, net["id"])
    nic_id = vm["nic"][0]["id"]
    sec = add(tenant.client, nic_id)
    assert nic_of(tenant.client, vm["id"], nic_id)["secondaryip"][0]["id"] == sec["id"]
    stranger = w.user
    for command, params in (("addIpToNic", {"nicid": nic_id}), ("removeIpFromNic", {"id": sec["id"]}),
                            ("listNics", {"virtualmachineid": vm["id"]})):
        refused = stranger.error(command, **params)
        assert refused.code == 431 and UNKNOWN in refused.text, (command, refused.text)
    remove(tenant.client, sec["id"])


def test_the_limit_refuses_the_next_add_and_stores_nothing(w: Isolated) -> None:
    admin = w.cloud.admin
    key = "vm.network.nic.max.secondary.ipaddresses"
    [setting] = admin.items("listConfigurations", "configuration", name=key)
    assert setting["value"] == "256"
    admin.call("updateConfiguration", name=key, value="2")
    try:
        add(w.user, w.nic["id"])
        add(w.user, w.nic["id"])
        refused = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress="10.1.1.240")
        assert refused.code == 431 and "(2)" in refused.text
        assert len(nic_of(w.user, w.vm["id"], w.nic["id"])["secondaryip"]) == 2
        # Nothing was stored: the refused address is still free for another NIC.
        assert add(w.user, w.other_vm["nic"][0]["id"], "10.1.1.240")["ipaddress"] == "10.1.1.240"
    finally:
        admin.call("updateConfiguration", name=key, value="256")


def test_the_default_limit_of_256_lets_256_adds_succeed_on_one_nic(w: Isolated) -> None:
    net = make_network(w.user, w.zone, w.d["isolated"], gateway="10.9.0.1", netmask="255.255.252.0")
    vm = deploy(w.user, w.zone, w.d, net["id"])
    nic_id = vm["nic"][0]["id"]
    jobs = [w.user.call("addIpToNic", nicid=nic_id)["jobid"] for _ in range(256)]
    assert all(w.user.wait(j)["jobstatus"] == 1 for j in jobs[-3:])
    refused = w.user.error("addIpToNic", nicid=nic_id)
    assert refused.code == 431 and "256" in refused.text
    listed = nic_of(w.user, vm["id"], nic_id)["secondaryip"]
    assert len({s["ipaddress"] for s in listed}) == 256


def test_the_secondary_ip_flag_and_list_follow_the_last_add_and_remove(w: Isolated) -> None:
    assert nic_of(w.user, w.vm["id"], w.nic["id"]).get("secondaryip", []) == []
    sec = add(w.user, w.nic["id"])
    assert [s["id"] for s in nic_of(w.user, w.vm["id"], w.nic["id"])["secondaryip"]] == [sec["id"]]
    with w.cloud.db.read() as conn:
        flag = conn.exec_driver_sql("select secondary_ip from nics where uuid = ?" if w.cloud.backend == "sqlite"
                                    else "select secondary_ip from nics where uuid = %s", (w.nic["id"],)).scalar()
    assert flag == 1
    remove(w.user, sec["id"])
    assert nic_of(w.user, w.vm["id"], w.nic["id"]).get("secondaryip", []) == []
    with w.cloud.db.read() as conn:
        flag = conn.exec_driver_sql("select secondary_ip from nics where uuid = ?" if w.cloud.backend == "sqlite"
                                    else "select secondary_ip from nics where uuid = %s", (w.nic["id"],)).scalar()
    assert flag == 0


def test_secondary_ips_on_the_second_and_third_nics_work_the_same(w: Isolated) -> None:
    net2 = make_network(w.user, w.zone, w.d["isolated"], gateway="10.2.2.1", netmask="255.255.255.0")
    net3 = make_network(w.user, w.zone, w.d["isolated"], gateway="10.3.3.1", netmask="255.255.255.0")
    vm = deploy(w.user, w.zone, w.d, w.network["id"], net2["id"], net3["id"])
    assert [n["isdefault"] for n in vm["nic"]] == [True, False, False]
    for nic, prefix in zip(vm["nic"][1:], ("10.2.2.", "10.3.3."), strict=True):
        sec = add(w.user, nic["id"])
        assert sec["ipaddress"].startswith(prefix)
        listed = nic_of(w.user, vm["id"], nic["id"])
        assert [s["ipaddress"] for s in listed["secondaryip"]] == [sec["ipaddress"]]
        remove(w.user, sec["id"])


def test_ipv6_secondary_ips_are_stored_and_bad_ones_refused(w: Isolated) -> None:
    sec = add(w.user, w.nic["id"], "fd00:1:1:1::abcd")
    assert sec["ipaddress"] == "fd00:1:1:1::abcd"
    listed = nic_of(w.user, w.vm["id"], w.nic["id"])["secondaryip"]
    assert {"id": sec["id"], "ipaddress": "fd00:1:1:1::abcd"} in listed
    outside = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress="fd00:9::5")
    assert outside.code == 431 and "outside" in outside.text
    mac = w.nic["macaddress"].split(":")
    eui = f"fd00:1:1:1:{int(mac[0], 16) ^ 2:02x}{mac[1]}:{mac[2]}ff:fe{mac[3]}:{mac[4]}{mac[5]}"
    refused = w.user.error("addIpToNic", nicid=w.nic["id"], ipaddress=eui)
    assert refused.code == 431 and "EUI-64" in refused.text


@pytest.fixture
def w(isolated: Isolated) -> Isolated:
    return isolated
