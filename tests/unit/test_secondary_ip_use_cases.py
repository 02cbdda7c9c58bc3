"""The secondary-IP use cases on a fake unit of work: their decisions, refusals and effects, without a database."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from nicstack.domain.errors import ParameterError, ResourceInUse, UnknownEntity
from nicstack.domain.jobs import Configured
from nicstack.domain.kinds import AllocationKind, VmType
from nicstack.domain.model import NicSecondaryIp
from nicstack.services.secondary_ips import AddIp, add_ip_to_nic, remove_ip_from_nic
from tests.support.fake_uow import FakeUnitOfWork, State, caller, isolated_network, nic

pytestmark = pytest.mark.unit

OWNER = caller(1)


def world() -> tuple[FakeUnitOfWork, str]:
    state = State()
    network = isolated_network(state, 7, "10.9.0.0/24", "10.9.0.1")
    owned = nic(state, network, 3, "10.9.0.2", OWNER)
    return FakeUnitOfWork(state), owned.nic_uuid


def test_an_add_takes_the_first_free_address_and_commits_its_job_and_outbox_once() -> None:
    uow, nic_uuid = world()
    started = add_ip_to_nic(uow, OWNER, AddIp(nic_uuid))
    [reserved] = started.value.items
    assert reserved.address == "10.9.0.3"  # .1 the router's, .2 the NIC's primary
    assert uow.commits == 1 and len(uow.jobs) == 1
    [job] = uow.jobs
    assert job.cmd == "addIpToNic" and job.result == started.value and isinstance(reserved, NicSecondaryIp)
    assert job.configured == Configured(103, ("10.9.0.3",), added=True)
    assert job.outbox == frozenset({103}), "the VM's hosts publish in the job"
    assert uow.state.allocations[(7, 4, int(IPv4Address("10.9.0.3")))][1] is AllocationKind.SECONDARY
    assert uow.state.nic_flags[3] == 1
    assert [kind for kind, _ in uow.state.events] == ["NIC.SECONDARY.IP.ASSIGN"]


def test_a_given_address_is_taken_exactly_and_a_second_request_for_it_is_refused_naming_the_holder() -> None:
    uow, nic_uuid = world()
    wanted = IPv4Address("10.9.0.50")
    assert add_ip_to_nic(uow, OWNER, AddIp(nic_uuid, wanted)).value.items[0].address == "10.9.0.50"
    with pytest.raises(ResourceInUse, match=r"10\.9\.0\.50 is already in use .*\(a secondary IP\)"):
        add_ip_to_nic(uow, OWNER, AddIp(nic_uuid, wanted))
    with pytest.raises(ParameterError, match=r"10\.9\.0\.1 is the gateway"):
        add_ip_to_nic(uow, OWNER, AddIp(nic_uuid, IPv4Address("10.9.0.1")))
    assert uow.commits == 1


def test_a_refused_add_changes_nothing_and_starts_no_job() -> None:
    uow, nic_uuid = world()
    uow.state.settings["vm.network.nic.max.secondary.ipaddresses"] = 1
    add_ip_to_nic(uow, OWNER, AddIp(nic_uuid))
    before = (dict(uow.state.allocations), dict(uow.state.secondaries), list(uow.state.events))
    with pytest.raises(ParameterError, match=r"Maximum number of secondary IPs per NIC \(1\)"):
        add_ip_to_nic(uow, OWNER, AddIp(nic_uuid))
    assert (uow.state.allocations, uow.state.secondaries, uow.state.events) == before
    assert len(uow.jobs) == 1


def test_the_nic_is_looked_up_before_anything_else_and_a_foreign_one_is_unknown() -> None:
    uow, nic_uuid = world()
    stranger = caller(2)
    for who, uuid in ((OWNER, "nic-unknown"), (stranger, nic_uuid)):
        with pytest.raises(UnknownEntity) as refused:
            add_ip_to_nic(uow, who, AddIp(uuid, IPv4Address("10.9.0.1")))
        assert (refused.value.param, refused.value.value) == ("nicid", uuid)
    assert uow.networks.locked == [], "no lock is taken for a NIC the caller may not use"


def test_a_system_vms_nic_takes_no_secondary_ip() -> None:
    uow, _ = world()
    router_nic = nic(uow.state, uow.state.networks[7], 4, "10.9.0.4", OWNER, vm_type=VmType.ROUTER)
    with pytest.raises(ParameterError, match="system VM"):
        add_ip_to_nic(uow, OWNER, AddIp(router_nic.nic_uuid))


def test_a_release_is_refused_naming_every_rule_on_the_address_and_changes_nothing() -> None:
    uow, nic_uuid = world()
    secondary = add_ip_to_nic(uow, OWNER, AddIp(nic_uuid)).value.items[0]
    uow.state.rules[(7, secondary.address)] = [("port forwarding rule", "pf-1"), ("static NAT from public IP",
                                                                                 "203.0.113.5")]
    with pytest.raises(ResourceInUse) as refused:
        remove_ip_from_nic(uow, OWNER, secondary.uuid)
    assert refused.value.text == (f"Cannot release secondary IP {secondary.address}: it is the target of port "
                                  "forwarding rule pf-1, static NAT from public IP 203.0.113.5")
    assert len(uow.state.secondaries) == 1 and len(uow.jobs) == 1


def test_a_release_frees_the_address_clears_the_flag_and_commits_its_job_after() -> None:
    uow, nic_uuid = world()
    secondary = add_ip_to_nic(uow, OWNER, AddIp(nic_uuid)).value.items[0]
    remove_ip_from_nic(uow, OWNER, secondary.uuid)
    assert (7, 4, int(IPv4Address(secondary.address))) not in uow.state.allocations
    assert uow.state.nic_flags[3] == 0 and uow.state.secondaries == {}
    job = uow.jobs[-1]
    assert job.cmd == "removeIpFromNic" and job.configured == Configured(103, (secondary.address,), added=False)
    assert job.outbox == frozenset({103})
    with pytest.raises(UnknownEntity):
        remove_ip_from_nic(uow, OWNER, secondary.uuid)


def test_a_foreign_secondary_ip_is_answered_as_an_unknown_one() -> None:
    uow, nic_uuid = world()
    secondary = add_ip_to_nic(uow, OWNER, AddIp(nic_uuid)).value.items[0]
    with pytest.raises(UnknownEntity) as foreign:
        remove_ip_from_nic(uow, caller(2), secondary.uuid)
    with pytest.raises(UnknownEntity) as unknown:
        remove_ip_from_nic(uow, caller(2), "secondary-unknown")
    assert (foreign.value.param, foreign.value.value) == ("id", secondary.uuid)
    assert (unknown.value.param, unknown.value.value) == ("id", "secondary-unknown")


def test_several_addresses_are_reserved_all_in_one_transaction_with_one_job() -> None:
    uow, nic_uuid = world()
    started = add_ip_to_nic(uow, OWNER, AddIp(nic_uuid, count=5))
    assert [r.address for r in started.value.items] == [f"10.9.0.{i}" for i in range(3, 8)]
    assert started.value.several and uow.commits == 1 and len(uow.jobs) == 1
    assert uow.jobs[0].configured == Configured(103, tuple(f"10.9.0.{i}" for i in range(3, 8)), added=True)


def test_several_addresses_past_the_limit_or_one_in_use_are_refused_whole() -> None:
    uow, nic_uuid = world()
    uow.state.settings["vm.network.nic.max.secondary.ipaddresses"] = 4
    with pytest.raises(ParameterError, match="it holds 0, 5 asked for; ask for at most 4"):
        add_ip_to_nic(uow, OWNER, AddIp(nic_uuid, count=5))
    add_ip_to_nic(uow, OWNER, AddIp(nic_uuid, IPv4Address("10.9.0.9")))
    given = tuple(IPv4Address(f"10.9.0.{i}") for i in (8, 9, 10))
    with pytest.raises(ResourceInUse, match=r"10\.9\.0\.9"):
        add_ip_to_nic(uow, OWNER, AddIp(nic_uuid, addresses=given))
    assert len(uow.state.secondaries) == 1, "no address of a refused request stays reserved"


def test_a_retry_with_the_same_client_token_answers_the_first_addresses_and_reserves_no_more() -> None:
    uow, nic_uuid = world()
    first = add_ip_to_nic(uow, OWNER, AddIp(nic_uuid, count=2, token="retry-1"))
    again = add_ip_to_nic(uow, OWNER, AddIp(nic_uuid, count=2, token="retry-1"))
    assert again == first and len(uow.state.secondaries) == 2 and len(uow.jobs) == 1
    with pytest.raises(ParameterError, match="'retry-1' was used for a different addIpToNic request"):
        add_ip_to_nic(uow, OWNER, AddIp(nic_uuid, count=3, token="retry-1"))


def test_a_secondary_address_moves_to_another_nic_of_its_network_keeping_its_uuid() -> None:
    uow, nic_uuid = world()
    moving = add_ip_to_nic(uow, OWNER, AddIp(nic_uuid)).value.items[0]
    target = nic(uow.state, uow.state.networks[7], 5, "10.9.0.20", OWNER)
    moved = add_ip_to_nic(uow, OWNER, AddIp(target.nic_uuid, IPv4Address(moving.address), reassign=True))
    [item] = moved.value.items
    assert (item.uuid, item.address, item.nic_uuid, item.vm_uuid) == (moving.uuid, moving.address, target.nic_uuid,
                                                                      target.vm_uuid)
    allocation = uow.state.allocations[(7, 4, int(IPv4Address(moving.address)))]
    assert allocation[2] == target.nic_id and uow.state.retargeted == [(allocation[0], target.vm_id)]
    assert uow.state.nic_flags[3] == 0 and uow.state.nic_flags[5] == 1
    assert uow.jobs[-1].outbox == frozenset({103, target.vm_id}), "both VMs' hosts publish"


def test_an_address_moves_only_when_asked_from_a_secondary_the_caller_may_manage() -> None:
    uow, nic_uuid = world()
    theirs = nic(uow.state, uow.state.networks[7], 6, "10.9.0.30", caller(2))
    stranger = caller(2)
    held = add_ip_to_nic(uow, stranger, AddIp(theirs.nic_uuid)).value.items[0]
    for request in (AddIp(nic_uuid, IPv4Address(held.address)),
                    AddIp(nic_uuid, IPv4Address(held.address), reassign=True)):
        with pytest.raises(ResourceInUse, match=r"already in use .*\(a secondary IP\)"):
            add_ip_to_nic(uow, OWNER, request)
    with pytest.raises(ParameterError, match="primary address of a NIC"):
        add_ip_to_nic(uow, OWNER, AddIp(nic_uuid, IPv4Address("10.9.0.30"), reassign=True))
