"""The security-group host documents and change sets pass the real ipset, iptables and ebtables in a namespace."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from ipaddress import IPv4Address

import pytest

from nicstack.domain.kinds import Hypervisor
from nicstack.render.host_changes import changes
from nicstack.render.host_state import HostState
from nicstack.render.security_groups import render_host
from nicstack.render.sg_ebtables import arp_chain
from nicstack.render.sg_ipset import group_set_v4, nic_set_v4, nic_set_v6, nic_v6_members
from tests.dataplane.tools import check, in_netns, netns, require_tools, run, veth
from tests.unit.test_host_changes import with_nic_addresses
from tests.unit.test_host_render import SCENARIOS, admins, group_reference, secondary_ipv4, uuid, v4, v6

BRIDGE_HOSTS = (Hypervisor.KVM, Hypervisor.XENSERVER)
TOOLS = ("ipset", "iptables-restore", "ip6tables-restore", "ebtables-restore", "ebtables")


@pytest.fixture
def namespace() -> Iterator[str]:
    require_tools(*TOOLS)
    with netns() as name:
        yield name


def members(namespace: str, name: str) -> set[str]:
    """The live members of a set, as `ipset list` shows them."""
    listed = check(in_netns(namespace, ["ipset", "list", name]))
    return set(listed.split("Members:\n", 1)[1].split())


def arp_sources(namespace: str, chain: str) -> list[str]:
    """The addresses an ARP chain lets the NIC claim, as `ebtables -L` shows them."""
    listed = check(in_netns(namespace, ["ebtables", "-t", "nat", "-L", chain])).split()
    return [listed[i + 1] for i, word in enumerate(listed) if word == "--arp-ip-src"]


def load(namespace: str, state: HostState, hypervisor: Hypervisor) -> None:
    """Load every document for real, sets first since the rules name them."""
    documents = render_host(hypervisor, state)
    for argv, document in ((["ipset", "restore"], documents.ipset), (["iptables-restore"], documents.iptables),
                           (["ip6tables-restore"], documents.ip6tables), (["ebtables-restore"], documents.ebtables)):
        check(in_netns(namespace, argv, document))


@pytest.mark.parametrize("hypervisor", BRIDGE_HOSTS, ids=str.lower)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_real_tools_accept_every_document(scenario: str, hypervisor: Hypervisor, namespace: str) -> None:
    state = SCENARIOS[scenario](hypervisor)
    documents = render_host(hypervisor, state)
    check(in_netns(namespace, ["ipset", "restore"], documents.ipset))  # an empty host
    check(in_netns(namespace, ["ipset", "restore"], documents.ipset))  # the sets exist: swapped, not refused
    # --test resolves the set matches: a set that is missing or of the other family fails here.
    check(in_netns(namespace, ["iptables-restore", "--test"], documents.iptables))
    check(in_netns(namespace, ["ip6tables-restore", "--test"], documents.ip6tables))
    check(in_netns(namespace, ["ebtables-restore"], documents.ebtables))
    for nic in state.nics():
        assert arp_sources(namespace, arp_chain(nic.uuid)) == [str(a) for a in sorted(nic.ipv4)]
        assert members(namespace, nic_set_v4(nic.uuid)) == {str(a) for a in nic.ipv4}
        assert members(namespace, nic_set_v6(nic.uuid)) == {str(a) for a in nic_v6_members(nic)}
    for group in state.referenced():
        assert members(namespace, group_set_v4(group)) == {str(a) for a in state.members(group).ipv4}


@pytest.mark.parametrize("hypervisor", BRIDGE_HOSTS, ids=str.lower)
def test_the_sets_reload_while_loaded_rules_use_them(hypervisor: Hypervisor, namespace: str) -> None:
    state = group_reference(hypervisor)
    load(namespace, state, hypervisor)
    check(in_netns(namespace, ["ipset", "restore"], render_host(hypervisor, state).ipset))
    names = check(in_netns(namespace, ["ipset", "list", "-n"])).split()
    assert names and not [name for name in names if name.endswith("-t")], names
    assert "ns-sg" in check(in_netns(namespace, ["iptables", "-S", "FORWARD"]))


@pytest.mark.parametrize("hypervisor", BRIDGE_HOSTS, ids=str.lower)
def test_a_change_set_applies_with_the_real_tools(hypervisor: Hypervisor, namespace: str) -> None:
    old = secondary_ipv4(hypervisor)
    nic_uuid = uuid("nic", 10)
    new = with_nic_addresses(old, nic_uuid, v4("10.1.1.10", "10.1.1.21"), v6("2001:db8:1::21"))
    load(namespace, old, hypervisor)
    change = changes(old, new)
    assert not change.full and len(change.changes) == 5
    check(in_netns(namespace, ["ipset", "restore"], change.ipset_batch()))
    check(in_netns(namespace, ["ebtables-restore", "--noflush"], change.ebtables_batch()))
    assert members(namespace, nic_set_v4(nic_uuid)) == {"10.1.1.10", "10.1.1.21"}
    assert "2001:db8:1::21" in members(namespace, nic_set_v6(nic_uuid))
    assert sorted(arp_sources(namespace, arp_chain(nic_uuid))) == ["10.1.1.10", "10.1.1.21"]


def test_a_referencing_hosts_group_set_follows_a_members_secondary_ip(namespace: str) -> None:
    old, new = group_reference(Hypervisor.KVM), group_reference(Hypervisor.KVM, admins("10.1.1.32"))
    load(namespace, old, Hypervisor.KVM)
    check(in_netns(namespace, ["ipset", "restore"], changes(old, new).ipset_batch()))
    assert members(namespace, group_set_v4(uuid("sg", 2))) == {"10.1.1.30", "10.1.1.31", "10.1.1.32"}
    check(in_netns(namespace, ["ipset", "restore"], changes(new, old).ipset_batch()))
    assert members(namespace, group_set_v4(uuid("sg", 2))) == {"10.1.1.30", "10.1.1.31"}


# A TCP connect to a closed port: "refused" proves ARP went through both ways, a timeout that it did not.
PROBE = """
import socket, sys
try:
    socket.create_connection(("10.1.1.1", 9), timeout=1.5, source_address=(sys.argv[1], 0))
except ConnectionRefusedError:
    print("reachable")
except OSError:
    print("unreachable")
"""


def test_arp_for_an_address_the_nic_does_not_hold_is_dropped_until_the_change_set_allows_it() -> None:
    require_tools(*TOOLS)
    old = secondary_ipv4(Hypervisor.KVM)
    nic = old.nics()[0]
    new = with_nic_addresses(old, nic.uuid, nic.ipv4 | {IPv4Address("10.1.1.66")})
    with ExitStack() as stack:
        host, guest = stack.enter_context(netns()), stack.enter_context(netns())
        veth(host, nic.vif, guest, "eth0")
        for argv in (["link", "add", "br0", "type", "bridge"], ["link", "set", nic.vif, "master", "br0"],
                     ["link", "set", "br0", "up"], ["addr", "add", "10.1.1.1/24", "dev", "br0"]):
            check(run(["ip", "-n", host, *argv]))
        check(run(["ip", "-n", guest, "link", "set", "eth0", "address", nic.mac]))
        for address in ("10.1.1.10/24", "10.1.1.66/24"):
            check(run(["ip", "-n", guest, "addr", "add", address, "dev", "eth0"]))
        load(host, old, Hypervisor.KVM)

        def probe(source: str) -> str:
            for namespace in (host, guest):
                run(["ip", "-n", namespace, "neigh", "flush", "all"])
            return check(in_netns(guest, [sys.executable, "-c", PROBE, source])).strip()

        assert probe("10.1.1.10") == "reachable"
        assert probe("10.1.1.66") == "unreachable"
        check(in_netns(host, ["ebtables-restore", "--noflush"], changes(old, new).ebtables_batch()))
        assert probe("10.1.1.66") == "reachable"
        check(in_netns(host, ["ebtables-restore", "--noflush"], changes(new, old).ebtables_batch()))
        assert probe("10.1.1.66") == "unreachable"
