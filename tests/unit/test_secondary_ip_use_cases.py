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
    assert started.value.address == "10.9.0.3"  # .1 the router's, .2 the NIC's primary
    assert uow.commits == 1 and len(uow.jobs) == 1
    [job] = uow.jobs
    assert job.cmd == "addIpToNic" and job.result == started.value and isinstance(job.result, NicSecondaryIp)
    assert job.configured == Configured(103, "10.9.0.3", added=True)
    assert job.outbox == frozenset({103}), "the VM's hosts publish in the job"
    assert uow.state.allocations[(7, 4, int(IPv4Address("10.9.0.3")))][1] is AllocationKind.SECONDARY
    assert uow.state.nic_flags[3] == 1
    assert [kind for kind, _ in uow.state.events] == ["NIC.SECONDARY.IP.ASSIGN"]


def test_a_given_address_is_taken_exactly_and_a_second_request_for_it_is_refused_naming_the_holder() -> None:
    uow, nic_uuid = world()
    wanted = IPv4Address("10.9.0.50")
    assert add_ip_to_nic(uow, OWNER, AddIp(nic_uuid, wanted)).value.address == "10.9.0.50"
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
    secondary = add_ip_to_nic(uow, OWNER, AddIp(nic_uuid)).value
    uow.state.rules[(7, secondary.address)] = [("port forwarding rule", "pf-1"), ("static NAT from public IP",
                                                                                 "203.0.113.5")]
    with pytest.raises(ResourceInUse) as refused:
        remove_ip_from_nic(uow, OWNER, secondary.uuid)
    assert refused.value.text == (f"Cannot release secondary IP {secondary.address}: it is the target of port "
                                  "forwarding rule pf-1, static NAT from public IP 203.0.113.5")
    assert len(uow.state.secondaries) == 1 and len(uow.jobs) == 1


def test_a_release_frees_the_address_clears_the_flag_and_commits_its_job_after() -> None:
    uow, nic_uuid = world()
    secondary = add_ip_to_nic(uow, OWNER, AddIp(nic_uuid)).value
    remove_ip_from_nic(uow, OWNER, secondary.uuid)
    assert (7, 4, int(IPv4Address(secondary.address))) not in uow.state.allocations
    assert uow.state.nic_flags[3] == 0 and uow.state.secondaries == {}
    job = uow.jobs[-1]
    assert job.cmd == "removeIpFromNic" and job.configured == Configured(103, secondary.address, added=False)
    assert job.outbox == frozenset({103})
    with pytest.raises(UnknownEntity):
        remove_ip_from_nic(uow, OWNER, secondary.uuid)


def test_a_foreign_secondary_ip_is_answered_as_an_unknown_one() -> None:
    uow, nic_uuid = world()
    secondary = add_ip_to_nic(uow, OWNER, AddIp(nic_uuid)).value
    with pytest.raises(UnknownEntity) as foreign:
        remove_ip_from_nic(uow, caller(2), secondary.uuid)
    with pytest.raises(UnknownEntity) as unknown:
        remove_ip_from_nic(uow, caller(2), "secondary-unknown")
    assert (foreign.value.param, foreign.value.value) == ("id", secondary.uuid)
    assert (unknown.value.param, unknown.value.value) == ("id", "secondary-unknown")
