"""What one security-group host must enforce: its VMs' NICs, their groups' rules, referenced groups' members.

Values only, validated at construction so the renderers are total: a HostState that exists can be
rendered by every bridge backend. Addresses are `ipaddress` values and IPv4 and IPv6 are kept in
separate fields all the way down, so an IPv6 secondary can never land in an IPv4 set (a bug
CloudStack's KVM script once had).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from nicstack.domain.vocabulary import Direction, IcmpMatch, PortRange, Protocol

# Device names are written into restore documents unquoted: allow only what the kernel's
# interface names and the tools' tokenisers accept, and IFNAMSIZ-1 characters at most.
_DEVICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,14}")
_MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")


@dataclass(frozen=True, slots=True)
class Rule:
    """One allow rule: by protocol (and ports or ICMP type), from/to CIDRs or from/to another group's members.

    Raises ValueError when it names both CIDRs and a group or neither, or ports on a non-TCP/UDP rule.
    """

    direction: Direction
    protocol: Protocol
    ports: PortRange | None = None
    icmp: IcmpMatch | None = None
    cidrs: tuple[IPv4Network | IPv6Network, ...] = ()
    group: str | None = None

    def __post_init__(self) -> None:
        if bool(self.cidrs) == (self.group is not None):
            raise ValueError(f"a {self.direction} rule names CIDRs or a group, exactly one of them")
        if self.ports is not None and self.protocol not in (Protocol.TCP, Protocol.UDP):
            raise ValueError(f"ports apply to tcp and udp, not {self.protocol}")
        if self.icmp is not None and self.protocol is not Protocol.ICMP:
            raise ValueError(f"icmp type/code apply to icmp, not {self.protocol}")

    def sort_key(self) -> tuple[str, ...]:
        ports = "" if self.ports is None else f"{self.ports.start:05}-{self.ports.end:05}"
        icmp = "" if self.icmp is None else f"{self.icmp.type}/{self.icmp.code}"
        return (self.direction, self.protocol, ports, icmp, self.group or "", *sorted(map(str, self.cidrs)))


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    """A group some VM on the host belongs to, with its rules."""

    uuid: str
    name: str
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupMembers:
    """A group that a rule names: every address (primary and secondary) of every VM in it, wherever it runs."""

    uuid: str
    name: str
    ipv4: frozenset[IPv4Address] = frozenset()
    ipv6: frozenset[IPv6Address] = frozenset()

    def __post_init__(self) -> None:
        _check_families(f"group {self.uuid}", self.ipv4, self.ipv6)


@dataclass(frozen=True, slots=True)
class NicOnHost:
    """A VM NIC plugged into this host's bridge through `vif`; `ipv4`/`ipv6` are primary plus secondaries.

    Raises ValueError for a malformed MAC or device name, or an address of the wrong family.
    """

    uuid: str
    device_id: int
    mac: str
    vif: str
    ipv4: frozenset[IPv4Address] = frozenset()
    ipv6: frozenset[IPv6Address] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "mac", self.mac.lower())
        if not _MAC.fullmatch(self.mac) or int(self.mac[:2], 16) & 1:
            raise ValueError(f"bad MAC {self.mac!r} on nic {self.uuid}: need a unicast aa:bb:cc:dd:ee:ff")
        if not _DEVICE.fullmatch(self.vif):
            raise ValueError(f"bad device name {self.vif!r} on nic {self.uuid}")
        _check_families(f"nic {self.uuid}", self.ipv4, self.ipv6)

    @property
    def link_local(self) -> IPv6Address:
        """The EUI-64 link-local address the guest derives from its MAC: its own, so never spoofing."""
        octets = bytes.fromhex(self.mac.replace(":", ""))
        eui = bytes([octets[0] ^ 0x02]) + octets[1:3] + b"\xff\xfe" + octets[3:]
        return IPv6Address(b"\xfe\x80" + bytes(6) + eui)

    def structure(self) -> tuple[str, int, str, str]:
        return (self.uuid, self.device_id, self.mac, self.vif)


@dataclass(frozen=True, slots=True)
class VmOnHost:
    """A VM running on the host: its instance name (for comments), its groups and its NICs."""

    uuid: str
    name: str
    groups: tuple[str, ...]
    nics: tuple[NicOnHost, ...]

    def structure(self) -> tuple[object, ...]:
        nics = tuple(sorted(nic.structure() for nic in self.nics))
        return (self.uuid, self.name, tuple(sorted(self.groups)), nics)


@dataclass(frozen=True, slots=True)
class HostState:
    """Everything one KVM or XenServer host must enforce; raises ValueError when it is not self-contained.

    `groups` holds the rules of every group a VM here belongs to; `references` holds the members of
    every group those rules name (a group may appear in both).
    """

    vms: tuple[VmOnHost, ...] = ()
    groups: tuple[SecurityGroup, ...] = ()
    references: tuple[GroupMembers, ...] = ()
    _groups: dict[str, SecurityGroup] = field(init=False, repr=False, compare=False)
    _references: dict[str, GroupMembers] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_groups", {g.uuid: g for g in self.groups})
        object.__setattr__(self, "_references", {g.uuid: g for g in self.references})
        _unique("vm", [vm.uuid for vm in self.vms])
        _unique("nic", [nic.uuid for nic in self.nics()])
        _unique("device", [nic.vif for nic in self.nics()])
        _unique("group", [g.uuid for g in self.groups])
        _unique("referenced group", [g.uuid for g in self.references])
        for vm in self.vms:
            for uuid in vm.groups:
                if uuid not in self._groups:
                    raise ValueError(f"vm {vm.uuid} is in group {uuid}, whose rules the host state lacks")
        for uuid in self.referenced():
            if uuid not in self._references:
                raise ValueError(f"a rule names group {uuid}, whose members the host state lacks")

    def nics(self) -> list[NicOnHost]:
        """Every NIC on the host, sorted by uuid."""
        return sorted((nic for vm in self.vms for nic in vm.nics), key=lambda nic: nic.uuid)

    def sorted_vms(self) -> list[VmOnHost]:
        return sorted(self.vms, key=lambda vm: vm.uuid)

    def rules_of(self, vm: VmOnHost, direction: Direction) -> list[Rule]:
        """The VM's rules in one direction over all its groups, sorted."""
        rules = {r for uuid in vm.groups for r in self._groups[uuid].rules if r.direction is direction}
        return sorted(rules, key=Rule.sort_key)

    def referenced(self) -> list[str]:
        """Uuids of the groups named by rules of groups that VMs on this host are in, sorted."""
        used = {uuid for vm in self.vms for uuid in vm.groups}
        return sorted({r.group for g in self.groups if g.uuid in used for r in g.rules if r.group is not None})

    def members(self, uuid: str) -> GroupMembers:
        return self._references[uuid]

    def structure(self) -> tuple[object, ...]:
        """Everything but addresses: equal structures mean only set members (and ARP rules) differ."""
        vms = tuple(sorted(vm.structure() for vm in self.vms))
        used = {uuid for vm in self.vms for uuid in vm.groups}
        rules = tuple(
            (g.uuid, tuple(sorted({r.sort_key() for r in g.rules})))
            for g in sorted(self.groups, key=lambda g: g.uuid)
            if g.uuid in used
        )
        return (vms, rules)


def kvm_vif(index: int) -> str:
    """libvirt's name for the index-th tap device on a KVM host."""
    return f"vnet{index}"


def xen_vif(domid: int, device_id: int) -> str:
    """XenServer's name for a domain's paravirtual interface (`vif<domid>.<devid>`)."""
    return f"vif{domid}.{device_id}"


def _check_families(owner: str, v4: frozenset[IPv4Address], v6: frozenset[IPv6Address]) -> None:
    # The type checker cannot see inside frozensets built from untyped rows: check at the edge.
    bad = [a for a in v4 if not isinstance(a, IPv4Address)] + [a for a in v6 if not isinstance(a, IPv6Address)]
    if bad:
        raise ValueError(f"{owner}: address {bad[0]} is in the wrong family's field")


def _unique(kind: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{kind} {value} appears twice on the host")
        seen.add(value)
