"""The desired state of one virtual router (an isolated network or a VPC): the router renderers' only input.

Interface names are part of the state (`RouterState.public_interface`, `GuestTier.interface`) because
the service layer knows the router's device order; the defaults follow CloudStack's isolated router:
guest `eth0`, public `eth2`. A VPC router names one `ethN` per tier. Addresses are IPv4: the router's
NAT, port forwarding and load balancing are IPv4 features in CloudStack.

Every class validates itself on construction and raises `ValueError` naming the bad value, so a
renderer never meets an inconsistent state and can stay total.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network
from itertools import pairwise
from uuid import UUID

from nicstack.domain.vocabulary import MAX_PORT, Algorithm, Direction, PortRange, Protocol
from nicstack.render.metadata import Metadata

NO_METADATA = Metadata(())

PUBLIC_INTERFACE = "eth2"
ISOLATED_GUEST_INTERFACE = "eth0"

# IFNAMSIZ - 1, and only characters that are safe to splice into an iptables-restore line.
_INTERFACE = re.compile(r"[A-Za-z0-9_.-]{1,15}")


class RouterKind(StrEnum):
    ISOLATED = "isolated"
    VPC = "vpc"
    # A shared network's router (a Basic zone's or an Advanced shared one): its guests keep their addresses.
    # ELASTIC: an EIP/ELB offering's, the guests' gateway, with static NAT and load balancing for elastic IPs.
    # SHARED: metadata only, beside the network's own gateway.
    ELASTIC = "elastic"
    SHARED = "shared"


class AddressRole(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


def _check_port(port: int, what: str) -> None:
    if not 1 <= port <= MAX_PORT:
        raise ValueError(f"{what} {port} is not a port (1-{MAX_PORT})")


def _check_interface(name: str) -> None:
    if not _INTERFACE.fullmatch(name):
        raise ValueError(f"interface name {name!r} is not 1-15 characters of [A-Za-z0-9_.-]")


@dataclass(frozen=True, slots=True)
class GuestTarget:
    """One guest address of one VM's NIC, primary or secondary: what NAT, PF and LB rules point at."""

    vm_uuid: UUID
    vm_name: str
    nic_uuid: UUID
    address: IPv4Address
    role: AddressRole = AddressRole.PRIMARY

    def __post_init__(self) -> None:
        if not self.vm_name:
            raise ValueError(f"VM {self.vm_uuid} has an empty name")


@dataclass(frozen=True, slots=True)
class GuestTier:
    """A guest network behind the router: the isolated network itself, or one VPC tier."""

    uuid: UUID
    name: str
    cidr: IPv4Network
    gateway: IPv4Address
    interface: str = ISOLATED_GUEST_INTERFACE
    # False: the gateway is another router's (a shared network's); this one holds only the metadata address.
    holds_gateway: bool = True

    def __post_init__(self) -> None:
        _check_interface(self.interface)
        if self.gateway not in self.cidr:
            raise ValueError(f"gateway {self.gateway} is outside tier {self.name} ({self.cidr})")


@dataclass(frozen=True, slots=True)
class PublicIp:
    """A public address acquired into the network or VPC; `static_nat` maps all of it to one guest address.

    `subnet` is its public range's network (the router holds the address with that prefix).
    """

    uuid: UUID
    address: IPv4Address
    source_nat: bool = False
    static_nat: GuestTarget | None = None
    subnet: IPv4Network | None = None

    def __post_init__(self) -> None:
        if self.source_nat and self.static_nat is not None:
            raise ValueError(f"public IP {self.address} is the source NAT address and cannot have static NAT")
        if self.subnet is not None and self.address not in self.subnet:
            raise ValueError(f"public IP {self.address} is outside its range's subnet {self.subnet}")


@dataclass(frozen=True, slots=True)
class PortForward:
    """Port forwarding: public ip + protocol + public port range -> guest address + private range of equal size."""

    uuid: UUID
    public_ip: IPv4Address
    protocol: Protocol
    public_ports: PortRange
    private_ports: PortRange
    target: GuestTarget
    source_cidrs: tuple[IPv4Network, ...] = ()

    def __post_init__(self) -> None:
        if self.protocol not in (Protocol.TCP, Protocol.UDP):
            raise ValueError(f"port forwarding rule {self.uuid}: protocol {self.protocol} is not tcp or udp")
        if self.public_ports.size != self.private_ports.size:
            raise ValueError(
                f"port forwarding rule {self.uuid}: public ports {self.public_ports.start}-{self.public_ports.end}"
                f" and private ports {self.private_ports.start}-{self.private_ports.end} differ in size"
            )


@dataclass(frozen=True, slots=True)
class LoadBalancer:
    """A TCP load balancer rule: public ip:port -> every member's address at the private port.

    No source CIDRs means from anywhere; otherwise only those sources reach public ip:port, guests included.
    """

    uuid: UUID
    name: str
    public_ip: IPv4Address
    public_port: int
    private_port: int
    algorithm: Algorithm
    members: tuple[GuestTarget, ...] = ()
    source_cidrs: tuple[IPv4Network, ...] = ()

    def __post_init__(self) -> None:
        _check_port(self.public_port, f"load balancer rule {self.uuid}: public port")
        _check_port(self.private_port, f"load balancer rule {self.uuid}: private port")
        _unique((m.address for m in self.members), f"load balancer rule {self.uuid}: member address")


@dataclass(frozen=True, slots=True)
class FirewallRule:
    """Ingress to a public IP of an isolated network: protocol, public ports or ICMP type/code, source CIDRs.

    No ports (tcp/udp) or no ICMP type means all of them; no source CIDRs means from anywhere.
    """

    uuid: UUID
    public_ip: IPv4Address
    protocol: Protocol
    ports: PortRange | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    source_cidrs: tuple[IPv4Network, ...] = ()

    def __post_init__(self) -> None:
        if self.ports is not None and self.protocol not in (Protocol.TCP, Protocol.UDP):
            raise ValueError(f"firewall rule {self.uuid}: ports need tcp or udp, not {self.protocol}")
        icmp = (self.icmp_type, self.icmp_code)
        if icmp != (None, None) and self.protocol is not Protocol.ICMP:
            raise ValueError(f"firewall rule {self.uuid}: an ICMP type or code needs protocol icmp")
        if self.icmp_type is None and self.icmp_code is not None:
            raise ValueError(f"firewall rule {self.uuid}: an ICMP code needs an ICMP type")
        if any(v is not None and not 0 <= v <= 255 for v in icmp):
            raise ValueError(f"firewall rule {self.uuid}: ICMP type/code {icmp} outside 0-255")


@dataclass(frozen=True, slots=True)
class AclRule:
    """One item of a VPC tier's ACL list. Ingress CIDRs are sources, egress CIDRs destinations; `protocol` is
    tcp, udp, icmp, all or an IP protocol number; no ports / no ICMP type means all of them."""

    uuid: UUID
    number: int
    direction: Direction
    allow: bool
    protocol: str
    ports: PortRange | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    cidrs: tuple[IPv4Network, ...] = ()

    def __post_init__(self) -> None:
        if not (self.protocol in ("tcp", "udp", "icmp", "all") or (self.protocol.isdigit() and
                                                                    int(self.protocol) <= 255)):
            raise ValueError(f"ACL item {self.uuid}: protocol {self.protocol!r} is not tcp, udp, icmp, all or 0-255")
        if self.ports is not None and self.protocol not in ("tcp", "udp"):
            raise ValueError(f"ACL item {self.uuid}: ports need tcp or udp, not {self.protocol}")
        icmp = (self.icmp_type, self.icmp_code)
        if icmp != (None, None) and self.protocol != "icmp":
            raise ValueError(f"ACL item {self.uuid}: an ICMP type or code needs protocol icmp")
        if self.icmp_type is None and self.icmp_code is not None:
            raise ValueError(f"ACL item {self.uuid}: an ICMP code needs an ICMP type")
        if any(v is not None and not 0 <= v <= 255 for v in icmp):
            raise ValueError(f"ACL item {self.uuid}: ICMP type/code {icmp} outside 0-255")


@dataclass(frozen=True, slots=True)
class TierAcl:
    """The ACL list a VPC tier uses, its items in any order (the renderer orders them by number)."""

    tier: UUID
    acl: UUID
    rules: tuple[AclRule, ...] = ()

    def __post_init__(self) -> None:
        _unique((r.number for r in self.rules), f"ACL list {self.acl}: item number")


@dataclass(frozen=True, slots=True)
class IpForward:
    """CloudStack's IP forwarding ("static NAT") rule: a protocol's port range of a public IP with static NAT,
    forwarded to that static NAT's guest address."""

    uuid: UUID
    public_ip: IPv4Address
    protocol: Protocol
    ports: PortRange

    def __post_init__(self) -> None:
        if self.protocol not in (Protocol.TCP, Protocol.UDP):
            raise ValueError(f"IP forwarding rule {self.uuid}: protocol {self.protocol} is not tcp or udp")


@dataclass(frozen=True, slots=True)
class EgressRule:
    """Guest traffic out of an isolated network: source CIDRs (of the guests), destinations, protocol and ports or
    ICMP type/code. Under the default egress policy allow it is denied; under deny it is let out."""

    uuid: UUID
    protocol: Protocol
    ports: PortRange | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    source_cidrs: tuple[IPv4Network, ...] = ()
    dest_cidrs: tuple[IPv4Network, ...] = ()

    def __post_init__(self) -> None:
        if self.ports is not None and self.protocol not in (Protocol.TCP, Protocol.UDP):
            raise ValueError(f"egress rule {self.uuid}: ports need tcp or udp, not {self.protocol}")
        if (self.icmp_type, self.icmp_code) != (None, None) and self.protocol is not Protocol.ICMP:
            raise ValueError(f"egress rule {self.uuid}: an ICMP type or code needs protocol icmp")


@dataclass(frozen=True, slots=True)
class RouterState:
    """Everything one router serves. An isolated router has exactly one tier; a VPC router has no firewall rules
    (its tiers use a default allow ACL for the ports the rules open)."""

    kind: RouterKind
    uuid: UUID
    tiers: tuple[GuestTier, ...]
    public_ips: tuple[PublicIp, ...] = ()
    port_forwards: tuple[PortForward, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    firewall_rules: tuple[FirewallRule, ...] = ()
    public_interface: str = PUBLIC_INTERFACE
    # The public range's gateway: the router's default route.
    public_gateway: IPv4Address | None = None
    # What the router's metadata service tells the VMs of its tiers (render.metadata).
    metadata: Metadata = NO_METADATA
    # VPC tiers with an ACL list; a tier without one lets in only what NAT and port forwarding open.
    tier_acls: tuple[TierAcl, ...] = ()
    ip_forwards: tuple[IpForward, ...] = ()
    # The isolated network's egress rules and its offering's default egress policy (CloudStack's
    # egressdefaultpolicy: True lets guests out unless a rule denies it).
    egress_rules: tuple[EgressRule, ...] = ()
    egress_default_allow: bool = True

    def __post_init__(self) -> None:
        _check_interface(self.public_interface)
        if self.public_gateway is not None and not any(
                ip.subnet is not None and self.public_gateway in ip.subnet for ip in self.public_ips):
            raise ValueError(f"router {self.uuid}: gateway {self.public_gateway} is on none of its public subnets")
        if self.kind is RouterKind.ISOLATED and len(self.tiers) != 1:
            raise ValueError(f"isolated router {self.uuid} needs exactly one guest network, got {len(self.tiers)}")
        if self.kind is RouterKind.VPC and self.firewall_rules:
            raise ValueError(f"VPC router {self.uuid} takes no firewall rules (VPC tiers use ACLs)")
        self._check_shared()
        if self.kind is not RouterKind.ISOLATED and (self.egress_rules or not self.egress_default_allow):
            raise ValueError(f"{self.kind} router {self.uuid} takes no egress rules (isolated networks only)")
        _unique((r.uuid for r in self.egress_rules), "egress rule")
        self._check_tiers()
        self._check_acls()
        self._check_public_ips()
        self._check_rules()

    def _check_shared(self) -> None:
        if self.kind is not RouterKind.SHARED:
            if not all(t.holds_gateway for t in self.tiers):
                raise ValueError(f"{self.kind} router {self.uuid} is the gateway of each of its tiers")
            if self.kind is not RouterKind.ELASTIC:
                return
        if self.firewall_rules or self.source_nat is not None:
            raise ValueError(f"{self.kind} router {self.uuid} takes no firewall rules and no source NAT")
        if self.kind is RouterKind.SHARED and (self.public_ips or self.port_forwards or self.load_balancers):
            raise ValueError(f"shared router {self.uuid} serves metadata only: no public IPs, no rules")

    @property
    def source_nat(self) -> PublicIp | None:
        return next((ip for ip in self.public_ips if ip.source_nat), None)

    def _check_tiers(self) -> None:
        _unique((t.uuid for t in self.tiers), "tier")
        _unique((t.interface for t in self.tiers), "tier interface")
        if any(t.interface == self.public_interface for t in self.tiers):
            raise ValueError(f"a tier uses the public interface {self.public_interface}")
        ordered = sorted(self.tiers, key=lambda t: t.cidr)
        for low, high in pairwise(ordered):
            if low.cidr.overlaps(high.cidr):
                raise ValueError(f"tiers {low.name} ({low.cidr}) and {high.name} ({high.cidr}) overlap")

    def _check_acls(self) -> None:
        if self.tier_acls and self.kind is not RouterKind.VPC:
            raise ValueError(f"router {self.uuid}: only VPC tiers have ACL lists")
        _unique((a.tier for a in self.tier_acls), "ACL list of tier")
        known = {t.uuid for t in self.tiers}
        for acl in self.tier_acls:
            if acl.tier not in known:
                raise ValueError(f"ACL list {acl.acl} is given to tier {acl.tier}, not one of this router's")

    def _check_public_ips(self) -> None:
        _unique((ip.address for ip in self.public_ips), "public IP")
        if sum(ip.source_nat for ip in self.public_ips) > 1:
            raise ValueError(f"router {self.uuid} has more than one source NAT address")
        _unique((ip.static_nat.address for ip in self.public_ips if ip.static_nat), "static NAT guest address")
        for ip in self.public_ips:
            if ip.static_nat is not None:
                self._check_guest(ip.static_nat, f"static NAT of {ip.address}")

    def _check_rules(self) -> None:
        known = {ip.address: ip for ip in self.public_ips}
        rules: list[PortForward | LoadBalancer | FirewallRule] = [
            *self.port_forwards, *self.load_balancers, *self.firewall_rules
        ]
        _unique((r.uuid for r in rules), "rule")
        for rule in rules:
            public = known.get(rule.public_ip)
            if public is None:
                raise ValueError(f"rule {rule.uuid} names public IP {rule.public_ip}, not one of this router's")
            if public.static_nat is not None and not isinstance(rule, FirewallRule):
                raise ValueError(f"rule {rule.uuid}: public IP {rule.public_ip} has static NAT")
        _unique((r.uuid for r in [*rules, *self.ip_forwards]), "rule")
        for ipf in self.ip_forwards:
            public = known.get(ipf.public_ip)
            if public is None or public.static_nat is None:
                raise ValueError(f"IP forwarding rule {ipf.uuid} names public IP {ipf.public_ip}, which is not one of "
                                 "this router's with static NAT")
        by_ip = sorted(self.ip_forwards, key=lambda r: (r.public_ip, r.protocol, r.ports, r.uuid))
        for low, high in pairwise(by_ip):
            if (low.public_ip, low.protocol) == (high.public_ip, high.protocol) and low.ports.overlaps(high.ports):
                raise ValueError(f"IP forwarding rules {low.uuid} and {high.uuid} both use {low.protocol} ports of "
                                 f"{low.public_ip}")
        for pf in self.port_forwards:
            self._check_guest(pf.target, f"port forwarding rule {pf.uuid}")
        for lb in self.load_balancers:
            for member in lb.members:
                self._check_guest(member, f"load balancer rule {lb.uuid}")
        # Ports taken on one public IP: PF ranges per protocol, LB ports on tcp.
        taken = [(p.public_ip, p.protocol, p.public_ports, p.uuid) for p in self.port_forwards] + [
            (lb.public_ip, Protocol.TCP, PortRange.single(lb.public_port), lb.uuid) for lb in self.load_balancers
        ]
        taken.sort(key=lambda t: (t[0], t[1], t[2], t[3]))
        for (ip, proto, ports, uuid), (ip2, proto2, ports2, uuid2) in pairwise(taken):
            if (ip, proto) == (ip2, proto2) and ports.overlaps(ports2):
                raise ValueError(f"rules {uuid} and {uuid2} both use {proto} ports of {ip}")

    def _check_guest(self, target: GuestTarget, what: str) -> None:
        if not any(target.address in tier.cidr for tier in self.tiers):
            raise ValueError(f"{what}: guest address {target.address} is in none of the router's tiers")


def _unique(values: Iterable[object], what: str) -> None:
    seen: set[object] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value} appears twice")
        seen.add(value)
