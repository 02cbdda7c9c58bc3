"""A secondary IP added or removed changes a constant number of lines on each host, whatever the group size."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network, IPv6Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nicstack.domain.kinds import Hypervisor
from nicstack.domain.vocabulary import Direction, PortRange, Protocol
from nicstack.render.host_changes import Change, ChangeSet, Tool, changes
from nicstack.render.host_state import GroupMembers, HostState, NicOnHost, Rule, SecurityGroup, VmOnHost
from nicstack.render.security_groups import render_host
from nicstack.render.sg_ebtables import arp_chain
from nicstack.render.sg_ipset import group_set_v4, nic_set_v4, nic_set_v6
from tests.unit.test_host_render import (
    admins,
    group_reference,
    nic,
    one_vm,
    secondary_ipv4,
    set_members,
    two_nics,
    uuid,
    v4,
    v6,
)

pytestmark = pytest.mark.unit

KVM = Hypervisor.KVM
MAC = "1e:00:00:0a:00:00"  # the MAC `nic(..., 10, 0, ...)` gives the one VM of `one_vm`


def with_nic_addresses(state: HostState, nic_uuid: str, ipv4: frozenset[IPv4Address],
                       ipv6: frozenset[IPv6Address] | None = None) -> HostState:
    """The same host after the NIC's allowed addresses changed (a secondary IP taken or released)."""
    def update(n: NicOnHost) -> NicOnHost:
        return replace(n, ipv4=ipv4, ipv6=n.ipv6 if ipv6 is None else ipv6) if n.uuid == nic_uuid else n
    vms = tuple(replace(vm, nics=tuple(update(n) for n in vm.nics)) for vm in state.vms)
    return HostState(vms, state.groups, state.references)


def crowd(size: int, *, secondary: bool) -> HostState:
    """`size` VMs on one host in one group that lets its own members in; VM 0 may hold a secondary IP."""
    group = SecurityGroup(uuid("sg", 9), "default", (Rule(Direction.INGRESS, Protocol.ALL, group=uuid("sg", 9)),))
    vms, members = [], []
    for n in range(size):
        addresses = [IPv4Address(0x0A000000 + 10 + n)] + ([IPv4Address("10.255.0.1")] if secondary and n == 0 else [])
        members += addresses
        vm_nic = nic(KVM, 100 + n, 0, frozenset(addresses), tap=n)
        vms.append(VmOnHost(uuid("vm", 100 + n), f"i-2-{100 + n}-VM", (group.uuid,), (vm_nic,)))
    return HostState(tuple(vms), (group,), (GroupMembers(group.uuid, "default", frozenset(members)),))


def referencing(members: GroupMembers) -> HostState:
    """A host whose only VM is in group B, which lets group A's members in (A has `members`)."""
    return group_reference(KVM, members)


def crowd_members(size: int, *, secondary: bool) -> GroupMembers:
    addresses = [IPv4Address(0x0A000000 + 10 + n) for n in range(size)]
    extra = [IPv4Address("10.255.0.1")] if secondary else []
    return GroupMembers(uuid("sg", 2), "admins", frozenset(addresses + extra))


# -- O(1) -------------------------------------------------------------------------------------------


def test_adding_a_secondary_ipv4_is_one_set_member_and_one_arp_rule_on_the_vms_host() -> None:
    nic_uuid = uuid("nic", 10)
    change = changes(one_vm(KVM, v4("10.1.1.10"), v6()), secondary_ipv4(KVM))
    assert not change.full
    assert change.changes == (
        Change(Tool.IPSET, f"add {nic_set_v4(nic_uuid)} 10.1.1.20 -exist"),
        Change(Tool.EBTABLES, f"-I {arp_chain(nic_uuid)} 1 -p ARP -s {MAC} --arp-mac-src {MAC} "
                              "--arp-ip-src 10.1.1.20 -j RETURN"),
    )


def test_removing_a_secondary_ipv4_deletes_its_member_and_its_arp_rule() -> None:
    nic_uuid = uuid("nic", 10)
    change = changes(secondary_ipv4(KVM), one_vm(KVM, v4("10.1.1.10"), v6()))
    assert [(c.tool, c.line.split()[0]) for c in change.changes] == [(Tool.IPSET, "del"), (Tool.EBTABLES, "-D")]
    assert change.lines(Tool.IPSET) == [f"del {nic_set_v4(nic_uuid)} 10.1.1.20 -exist"]


def test_an_ipv6_secondary_changes_only_the_v6_set() -> None:
    change = changes(secondary_ipv4(KVM), one_vm(KVM, v4("10.1.1.10", "10.1.1.20"), v6("2001:db8:1::20")))
    assert change.changes == (Change(Tool.IPSET, f"add {nic_set_v6(uuid('nic', 10))} 2001:db8:1::20 -exist"),)


def test_a_member_gaining_a_secondary_ip_is_one_line_on_a_host_whose_rules_name_its_group() -> None:
    change = changes(referencing(admins()), referencing(admins("10.1.1.32")))
    assert change.changes == (Change(Tool.IPSET, f"add {group_set_v4(uuid('sg', 2))} 10.1.1.32 -exist"),)


def test_the_change_does_not_grow_with_the_group_on_the_vms_own_host() -> None:
    sizes = {size: changes(crowd(size, secondary=False), crowd(size, secondary=True)) for size in (1, 1000)}
    assert [len(sizes[1].changes), len(sizes[1000].changes)] == [3, 3]
    assert {c.tool for c in sizes[1000].changes} == {Tool.IPSET, Tool.EBTABLES}
    assert len(changes(crowd(1000, secondary=True), crowd(1000, secondary=False)).changes) == 3


def test_the_change_does_not_grow_with_the_group_on_a_referencing_host() -> None:
    for size in (1, 1000):
        before, after = crowd_members(size, secondary=False), crowd_members(size, secondary=True)
        added = changes(referencing(before), referencing(after))
        assert len(added.changes) == 1, size


def test_the_whole_documents_are_many_times_the_change() -> None:
    # What sending everything again would cost, for the record: ~1000 set members and rules per host.
    whole = render_host(KVM, crowd(1000, secondary=True))
    assert sum(doc.count("\n") for doc in (whole.ipset, whole.iptables, whole.ebtables)) > 10_000


# -- structure ----------------------------------------------------------------------------------------


def test_an_unchanged_host_has_an_empty_change_set() -> None:
    assert changes(two_nics(KVM), two_nics(KVM)) == ChangeSet(full=False)


def another_vm(state: HostState) -> HostState:
    extra = VmOnHost(uuid("vm", 99), "i-2-99-VM", state.vms[0].groups, (nic(KVM, 99, 0, v4("10.1.1.99"), tap=9),))
    return HostState((*state.vms, extra), state.groups, state.references)


def another_rule(state: HostState) -> HostState:
    group = state.groups[0]
    rule = Rule(Direction.INGRESS, Protocol.UDP, PortRange(53, 53), cidrs=(IPv4Network("10.0.0.0/8"),))
    return HostState(state.vms, (replace(group, rules=(*group.rules, rule)),), state.references)


def another_mac(state: HostState) -> HostState:
    vm = state.vms[0]
    return HostState((replace(vm, nics=(replace(vm.nics[0], mac="1e:00:00:00:99:99"),)),), state.groups)


def another_device(state: HostState) -> HostState:
    vm = state.vms[0]
    return HostState((replace(vm, nics=(replace(vm.nics[0], vif="vnet42"),)),), state.groups)


def vm_gone(state: HostState) -> HostState:
    return HostState((), state.groups, state.references)


@pytest.mark.parametrize("edit", [another_vm, another_rule, another_mac, another_device, vm_gone])
def test_a_structural_change_asks_for_the_whole_documents(edit: Callable[[HostState], HostState]) -> None:
    change = changes(secondary_ipv4(KVM), edit(secondary_ipv4(KVM)))
    assert change.full and change.changes == () and "whole documents" in change.reason


# -- the change set brings the loaded documents to the new ones -------------------------------------------


def arp_rules(ebtables: str) -> dict[str, list[str]]:
    rules: dict[str, list[str]] = {}
    for line in ebtables.splitlines():
        if line.startswith("-A ns-arp-"):
            chain, rule = line.split(" ", 2)[1:]
            rules.setdefault(chain, []).append(rule)
    return rules


def apply(change: ChangeSet, ipset: str, ebtables: str) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    """What the kernel would hold after the change set, simulated on the loaded documents."""
    members, rules = set_members(ipset), arp_rules(ebtables)
    for line in change.lines(Tool.IPSET):
        verb, name, address, _ = line.split()
        (members[name].add if verb == "add" else members[name].discard)(address)
    for line in change.lines(Tool.EBTABLES):
        if line.startswith("-I "):
            _, chain, position, rule = line.split(" ", 3)
            rules[chain].insert(int(position) - 1, rule)
        else:
            _, chain, rule = line.split(" ", 2)
            rules[chain].remove(rule)
    return members, rules


POOL4 = [f"10.1.1.{n}" for n in range(20, 26)]
POOL6 = [f"2001:db8:1::{n}" for n in range(20, 24)]


@given(st.sets(st.sampled_from(POOL4)), st.sets(st.sampled_from(POOL4)),
       st.sets(st.sampled_from(POOL6)), st.sets(st.sampled_from(POOL6)), st.sets(st.sampled_from(POOL4)))
def test_applying_the_change_set_yields_what_the_new_documents_hold(
    old4: set[str], new4: set[str], old6: set[str], new6: set[str], group4: set[str],
) -> None:
    base = referencing(admins())
    nic_uuid = base.vms[0].nics[0].uuid
    old = with_nic_addresses(base, nic_uuid, v4("10.1.1.12", *old4), v6(*old6))
    new = with_nic_addresses(HostState(base.vms, base.groups, (admins(*group4),)), nic_uuid,
                             v4("10.1.1.12", *new4), v6(*new6))
    change = changes(old, new)
    before, after = render_host(KVM, old), render_host(KVM, new)
    members, rules = apply(change, before.ipset, before.ebtables)
    assert members == set_members(after.ipset)
    # ARP allow rules carry their own MAC checks: their order in the chain does not matter.
    assert {c: sorted(r) for c, r in rules.items()} == {c: sorted(r) for c, r in arp_rules(after.ebtables).items()}
    assert len(change.changes) == 2 * len(old4 ^ new4) + len(old6 ^ new6) + len(group4)


def test_the_batches_are_documents_for_ipset_restore_and_ebtables_restore() -> None:
    change = changes(one_vm(KVM, v4("10.1.1.10"), v6()), secondary_ipv4(KVM))
    assert change.ipset_batch() == f"add {nic_set_v4(uuid('nic', 10))} 10.1.1.20 -exist\n"
    assert change.ebtables_batch().splitlines()[0] == "*nat"
    assert change.ebtables_batch().splitlines()[-1] == "COMMIT"
    assert ChangeSet(full=False).ebtables_batch() == ""
