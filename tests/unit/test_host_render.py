"""Golden tests of the security-group host renderers: KVM and XenServer side by side for the same user actions."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from pathlib import Path

import pytest

from nicstack.domain.errors import Unsupported
from nicstack.domain.kinds import Hypervisor
from nicstack.domain.vocabulary import Direction, IcmpMatch, PortRange, Protocol
from nicstack.render.host_state import (
    GroupMembers,
    HostState,
    NicOnHost,
    Rule,
    SecurityGroup,
    VmOnHost,
    kvm_vif,
    xen_vif,
)
from nicstack.render.security_groups import HostDocuments, render_host
from nicstack.render.sg_ebtables import arp_chain
from nicstack.render.sg_ipset import group_set_v4, group_set_v6, nic_set_v4, nic_set_v6

pytestmark = pytest.mark.unit

GOLDEN = Path(__file__).parent.parent / "golden" / "host"
BRIDGE_HOSTS = (Hypervisor.KVM, Hypervisor.XENSERVER)
DOCUMENTS = ("ipset", "iptables", "ip6tables", "ebtables", "vifs")
ANYWHERE = (IPv4Network("0.0.0.0/0"), IPv6Network("::/0"))


# -- builders ---------------------------------------------------------------------------------------


def uuid(kind: str, n: int) -> str:
    """A readable, stable uuid: the kind's letter pattern and a number."""
    prefix = {"vm": "a0", "nic": "b0", "sg": "c0"}[kind]
    return f"{prefix}{n:06d}-0000-4000-8000-{n:012d}"


def v4(*addresses: str) -> frozenset[IPv4Address]:
    return frozenset(IPv4Address(a) for a in addresses)


def v6(*addresses: str) -> frozenset[IPv6Address]:
    return frozenset(IPv6Address(a) for a in addresses)


def device(hypervisor: Hypervisor, domid: int, device_id: int, tap: int) -> str:
    """Where the hypervisor plugs a NIC: libvirt's vnet<N>, XenServer's vif<domid>.<devid>."""
    return kvm_vif(tap) if hypervisor is Hypervisor.KVM else xen_vif(domid, device_id)


def nic(hypervisor: Hypervisor, n: int, device_id: int, ipv4: frozenset[IPv4Address],
        ipv6: frozenset[IPv6Address] = frozenset(), domid: int = 7, tap: int = 0) -> NicOnHost:
    mac = f"1e:00:{n // 256:02x}:{n % 256:02x}:00:{device_id:02x}"
    return NicOnHost(uuid("nic", n), device_id, mac, device(hypervisor, domid, device_id, tap), ipv4, ipv6)


def default_group() -> SecurityGroup:
    """CloudStack's `default` group as a user would set it up: ssh from anywhere, ping from the LAN."""
    return SecurityGroup(uuid("sg", 1), "default", (
        Rule(Direction.INGRESS, Protocol.TCP, PortRange(22, 22), cidrs=ANYWHERE),
        Rule(Direction.INGRESS, Protocol.ICMP, icmp=IcmpMatch(8, 0), cidrs=(IPv4Network("10.0.0.0/8"),)),
    ))


def one_vm(hypervisor: Hypervisor, ipv4: frozenset[IPv4Address], ipv6: frozenset[IPv6Address]) -> HostState:
    vm = VmOnHost(uuid("vm", 10), "i-2-10-VM", (uuid("sg", 1),), (nic(hypervisor, 10, 0, ipv4, ipv6),))
    return HostState((vm,), (default_group(),))


def primary_only(hypervisor: Hypervisor) -> HostState:
    return one_vm(hypervisor, v4("10.1.1.10"), v6())


def secondary_ipv4(hypervisor: Hypervisor) -> HostState:
    return one_vm(hypervisor, v4("10.1.1.10", "10.1.1.20"), v6())


def secondary_ipv4_and_ipv6(hypervisor: Hypervisor) -> HostState:
    return one_vm(hypervisor, v4("10.1.1.10", "10.1.1.20"), v6("2001:db8:1::20"))


def two_nics(hypervisor: Hypervisor) -> HostState:
    nics = (
        nic(hypervisor, 11, 0, v4("10.1.1.11", "10.1.1.21"), domid=8, tap=1),
        nic(hypervisor, 12, 1, v4("10.2.2.11", "10.2.2.21", "10.2.2.22"), v6("2001:db8:2::21"), domid=8, tap=2),
    )
    return HostState((VmOnHost(uuid("vm", 11), "i-2-11-VM", (uuid("sg", 1),), nics),), (default_group(),))


def admins(*extra: str) -> GroupMembers:
    """Group A: its one member runs elsewhere with primary 10.1.1.30 and secondaries 10.1.1.31 and 2001:db8:1::31."""
    return GroupMembers(uuid("sg", 2), "admins", v4("10.1.1.30", "10.1.1.31", *extra), v6("2001:db8:1::31"))


def web_group() -> SecurityGroup:
    """Group B: ssh only from group A; web and ping from anywhere; DNS out to the LAN; anything out to A."""
    return SecurityGroup(uuid("sg", 3), "web", (
        Rule(Direction.INGRESS, Protocol.TCP, PortRange(22, 22), group=uuid("sg", 2)),
        Rule(Direction.INGRESS, Protocol.TCP, PortRange(80, 443), cidrs=ANYWHERE),
        Rule(Direction.INGRESS, Protocol.ICMP, icmp=IcmpMatch(-1, -1), cidrs=ANYWHERE),
        Rule(Direction.EGRESS, Protocol.UDP, PortRange(53, 53), cidrs=(IPv4Network("10.0.0.0/8"),)),
        Rule(Direction.EGRESS, Protocol.ALL, group=uuid("sg", 2)),
    ))


def group_reference(hypervisor: Hypervisor, members: GroupMembers | None = None) -> HostState:
    vm = VmOnHost(uuid("vm", 12), "i-3-12-VM", (uuid("sg", 3),),
                  (nic(hypervisor, 13, 0, v4("10.1.1.12"), v6("2001:db8:1::12"), domid=9, tap=3),))
    return HostState((vm,), (web_group(),), (members or admins(),))


SCENARIOS: dict[str, Callable[[Hypervisor], HostState]] = {
    "primary_only": primary_only,
    "secondary_ipv4": secondary_ipv4,
    "secondary_ipv4_and_ipv6": secondary_ipv4_and_ipv6,
    "two_nics": two_nics,
    "group_reference": group_reference,
}


# -- reading documents back -------------------------------------------------------------------------


def set_members(ipset: str) -> dict[str, set[str]]:
    """What each live set holds once the document has run (members added to its swap twin)."""
    members: dict[str, set[str]] = {}
    for line in ipset.splitlines():
        if line.startswith("create ") and not line.split()[1].endswith("-t"):
            members[line.split()[1]] = set()
        elif line.startswith("add "):
            members[line.split()[1].removesuffix("-t")].add(line.split()[2])
    return members


def chain_names(document: str) -> list[str]:
    return re.findall(r"^:(\S+)", document, re.MULTILINE)


# -- golden -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("hypervisor", BRIDGE_HOSTS, ids=str.lower)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_documents_match_the_golden_files(scenario: str, hypervisor: Hypervisor) -> None:
    documents = render_host(hypervisor, SCENARIOS[scenario](hypervisor))
    for kind in DOCUMENTS:
        path = GOLDEN / scenario / f"{hypervisor.lower()}.{kind}"
        text = getattr(documents, kind)
        if os.environ.get("NICSTACK_UPDATE_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        assert text == path.read_text(), f"{path} differs (NICSTACK_UPDATE_GOLDEN=1 regenerates it)"


def test_vmware_has_no_security_group_renderer_and_says_so() -> None:
    with pytest.raises(Unsupported) as refused:
        render_host(Hypervisor.VMWARE, primary_only(Hypervisor.KVM))
    assert refused.value.code == 432
    assert refused.value.text == (
        "VMware hosts have no security group data plane: security groups are not supported on VMware"
    )


# -- what the goldens must show ---------------------------------------------------------------------


@pytest.mark.parametrize("hypervisor", BRIDGE_HOSTS, ids=str.lower)
def test_an_ipv6_secondary_lands_in_the_v6_set_and_never_the_v4_set(hypervisor: Hypervisor) -> None:
    members = set_members(render_host(hypervisor, secondary_ipv4_and_ipv6(hypervisor)).ipset)
    nic_uuid = uuid("nic", 10)
    assert members[nic_set_v4(nic_uuid)] == {"10.1.1.10", "10.1.1.20"}
    assert "2001:db8:1::20" in members[nic_set_v6(nic_uuid)]
    assert all(ip_address(a).version == 4 for name, m in members.items() if "-n4-" in name or "-g4-" in name for a in m)
    assert all(ip_address(a).version == 6 for name, m in members.items() if "-n6-" in name or "-g6-" in name for a in m)


@pytest.mark.parametrize("hypervisor", BRIDGE_HOSTS, ids=str.lower)
def test_each_nic_has_its_own_sets_and_one_arp_rule_per_allowed_ipv4(hypervisor: Hypervisor) -> None:
    documents = render_host(hypervisor, two_nics(hypervisor))
    members = set_members(documents.ipset)
    assert members[nic_set_v4(uuid("nic", 11))] == {"10.1.1.11", "10.1.1.21"}
    assert members[nic_set_v4(uuid("nic", 12))] == {"10.2.2.11", "10.2.2.21", "10.2.2.22"}
    assert "2001:db8:2::21" not in members[nic_set_v6(uuid("nic", 11))]
    for n, count in ((11, 2), (12, 3)):
        arp = [line for line in documents.ebtables.splitlines() if line.startswith(f"-A {arp_chain(uuid('nic', n))} ")]
        assert len([line for line in arp if "--arp-ip-src" in line]) == count
        assert arp[-1].endswith("-p ARP -j DROP")


@pytest.mark.parametrize("hypervisor", BRIDGE_HOSTS, ids=str.lower)
def test_a_rule_naming_a_group_uses_a_set_holding_its_members_secondary_ips(hypervisor: Hypervisor) -> None:
    documents = render_host(hypervisor, group_reference(hypervisor))
    members = set_members(documents.ipset)
    assert members[group_set_v4(uuid("sg", 2))] == {"10.1.1.30", "10.1.1.31"}
    assert members[group_set_v6(uuid("sg", 2))] == {"2001:db8:1::31"}
    ssh = "src -p tcp -m tcp --dport 22 -j ACCEPT"
    assert f"-m set --match-set {group_set_v4(uuid('sg', 2))} {ssh}" in documents.iptables
    assert f"-m set --match-set {group_set_v6(uuid('sg', 2))} {ssh}" in documents.ip6tables


def test_xenserver_guards_the_emulated_tap_twin_and_otherwise_names_what_kvm_names() -> None:
    kvm, xen = (render_host(h, two_nics(h)) for h in BRIDGE_HOSTS)
    assert "--physdev-in tap8.1 " in xen.iptables and "-i tap8.1 -j" in xen.ebtables
    assert "tap8" not in kvm.iptables
    for kind in DOCUMENTS:
        assert chain_names(getattr(kvm, kind)) == chain_names(getattr(xen, kind))
    assert set_members(kvm.ipset) == set_members(xen.ipset)


def test_egress_is_open_until_a_group_has_an_egress_rule() -> None:
    closed = render_host(Hypervisor.KVM, group_reference(Hypervisor.KVM)).iptables.splitlines()
    opened = render_host(Hypervisor.KVM, primary_only(Hypervisor.KVM)).iptables.splitlines()
    assert [line for line in closed if line.startswith("-A ns-eg-")][-1].endswith(" -j DROP")
    assert [line for line in opened if line.startswith("-A ns-eg-")][-1].endswith(" -j RETURN")


def test_an_icmp_type_is_ipv4_only_while_any_icmp_means_icmpv6_too() -> None:
    documents = render_host(Hypervisor.KVM, group_reference(Hypervisor.KVM))
    assert "-s ::/0 -p ipv6-icmp -j ACCEPT" in documents.ip6tables
    assert "--icmp-type" not in documents.ip6tables
    assert "-s 10.0.0.0/8 -p icmp -m icmp --icmp-type 8/0 -j ACCEPT" in render_host(
        Hypervisor.KVM, primary_only(Hypervisor.KVM)).iptables


def test_output_does_not_depend_on_the_order_of_the_input() -> None:
    state = two_nics(Hypervisor.KVM)
    vm = state.vms[0]
    shuffled = HostState((VmOnHost(vm.uuid, vm.name, vm.groups, vm.nics[::-1]),), state.groups, state.references)
    assert render_host(Hypervisor.KVM, shuffled) == render_host(Hypervisor.KVM, state)


@pytest.mark.parametrize("hypervisor", BRIDGE_HOSTS, ids=str.lower)
def test_names_stay_within_kernel_limits_however_long_the_uuids_and_names(hypervisor: Hypervisor) -> None:
    long = "x" * 300
    group = SecurityGroup(long + "-g", long, (Rule(Direction.INGRESS, Protocol.ALL, group=long + "-r"),))
    widest = device(hypervisor, 32767, 0, 65535)
    widest_nic = NicOnHost(long + "-nic", 0, "1e:00:00:00:00:01", widest, v4("10.0.0.1"))
    vm = VmOnHost(long + "-vm", "i-" + "9" * 250 + "-VM", (group.uuid,), (widest_nic,))
    documents: HostDocuments = render_host(hypervisor, HostState((vm,), (group,), (GroupMembers(long + "-r", long),)))
    for kind in ("iptables", "ip6tables"):
        assert max(map(len, chain_names(getattr(documents, kind)))) <= 28
    assert max(map(len, chain_names(documents.ebtables))) <= 31
    assert max(len(line.split()[1]) for line in documents.ipset.splitlines() if line.startswith("create ")) <= 31
    assert max(map(len, re.findall(r"--comment (\S+)", documents.iptables))) <= 64


# -- the model refuses what the documents could not carry -------------------------------------------


def test_an_ipv6_address_in_the_ipv4_field_is_refused() -> None:
    wrong: frozenset[IPv4Address] = frozenset({IPv6Address("2001:db8::1")})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"2001:db8::1 is in the wrong family"):
        NicOnHost("n", 0, "1e:00:00:00:00:01", "vnet0", wrong)


@pytest.mark.parametrize("vif", ["vnet0 -j ACCEPT", "vnet0\n", "", "a" * 16])
def test_a_device_name_that_could_break_a_document_is_refused(vif: str) -> None:
    with pytest.raises(ValueError, match="bad device name"):
        NicOnHost("n", 0, "1e:00:00:00:00:01", vif)


@pytest.mark.parametrize("mac", ["1e:00:00:00:00", "01:00:5e:00:00:01", "1e-00-00-00-00-01"])
def test_a_malformed_or_multicast_mac_is_refused(mac: str) -> None:
    with pytest.raises(ValueError, match="bad MAC"):
        NicOnHost("n", 0, mac, "vnet0")


def test_a_host_state_must_carry_every_group_its_vms_and_rules_name() -> None:
    vm = VmOnHost("vm", "i-1-1-VM", (uuid("sg", 3),), (NicOnHost("n", 0, "1e:00:00:00:00:01", "vnet0"),))
    with pytest.raises(ValueError, match="whose rules the host state lacks"):
        HostState((vm,))
    with pytest.raises(ValueError, match="whose members the host state lacks"):
        HostState((vm,), (web_group(),))


def test_a_rule_names_cidrs_or_a_group_exactly() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Rule(Direction.INGRESS, Protocol.TCP, PortRange(22, 22))
    with pytest.raises(ValueError, match="ports apply to tcp and udp"):
        Rule(Direction.INGRESS, Protocol.ICMP, PortRange(22, 22), cidrs=ANYWHERE)
    with pytest.raises(ValueError, match="Invalid port range 443-80"):
        PortRange(443, 80)


def test_a_vm_name_cannot_inject_anything_into_a_document() -> None:
    state = primary_only(Hypervisor.KVM)
    vm = replace(state.vms[0], name='evil" -j ACCEPT\n-A FORWARD -j ACCEPT')
    document = render_host(Hypervisor.KVM, HostState((vm,), state.groups)).iptables
    assert "--comment evil__-j_ACCEPT_-A_FORWARD_-j_ACCEPT/0 -j " in document
    assert document.count("-A FORWARD ") == 1
