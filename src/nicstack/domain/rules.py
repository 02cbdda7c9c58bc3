"""Public addresses, VPCs and the rules on them (static NAT, port forwarding, load balancing, firewall), as values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from ipaddress import IPv4Network, ip_network

from nicstack.domain.codec import tagged
from nicstack.domain.errors import ParameterError
from nicstack.domain.vocabulary import Algorithm, Protocol

ANYWHERE = "0.0.0.0/0"


class PublicIpState(StrEnum):
    FREE = "Free"
    ALLOCATED = "Allocated"


@dataclass(frozen=True, slots=True)
class Owner:
    """Who owns a resource: what access checks and views need."""

    account_id: int
    account_name: str
    domain_id: int
    domain_uuid: str
    domain_name: str
    domain_path: str


@dataclass(frozen=True, slots=True)
class VlanRange:
    id: int
    uuid: str
    zone_id: int
    zone_uuid: str
    zone_name: str
    vlan: str | None
    gateway: str
    netmask: str
    start_ip: str
    end_ip: str
    for_virtual_network: bool
    created: datetime


@tagged("public_ip")
@dataclass(frozen=True, slots=True)
class PublicIp:
    id: int
    uuid: str
    address: str
    zone_id: int
    zone_uuid: str
    zone_name: str
    range_id: int
    range_uuid: str
    range_vlan: str | None
    state: PublicIpState
    owner: Owner | None
    network_id: int | None
    network_uuid: str | None
    network_name: str | None
    vpc_id: int | None
    vpc_uuid: str | None
    vpc_name: str | None
    is_source_nat: bool
    is_static_nat: bool
    vm_id: int | None
    vm_uuid: str | None
    vm_name: str | None
    vm_display_name: str | None
    vm_ip: str | None
    allocated: datetime | None


@dataclass(frozen=True, slots=True)
class VpcOffering:
    id: int
    uuid: str
    name: str
    display_text: str
    services: tuple[str, ...]
    is_default: bool
    state: str
    created: datetime


@tagged("vpc")
@dataclass(frozen=True, slots=True)
class Vpc:
    id: int
    uuid: str
    name: str
    display_text: str
    zone_id: int
    zone_uuid: str
    zone_name: str
    offering: VpcOffering
    cidr: str
    network_domain: str | None
    state: str
    owner: Owner
    created: datetime


@dataclass(frozen=True, slots=True)
class RuleBase:
    """What every rule on a public IP shares."""

    id: int
    uuid: str
    ip_id: int
    ip_uuid: str
    ip_address: str
    network_id: int
    network_uuid: str
    state: str
    owner: Owner
    created: datetime


@tagged("port_forwarding_rule")
@dataclass(frozen=True, slots=True)
class PortForwardingRule:
    base: RuleBase
    protocol: Protocol
    public_start: int
    public_end: int
    private_start: int
    private_end: int
    vm_id: int
    vm_uuid: str
    vm_name: str
    vm_display_name: str
    dest_ip: str
    cidr_list: tuple[str, ...]


@tagged("firewall_rule")
@dataclass(frozen=True, slots=True)
class FirewallRule:
    base: RuleBase
    protocol: Protocol
    start_port: int | None
    end_port: int | None
    icmp_type: int | None
    icmp_code: int | None
    cidr_list: tuple[str, ...]
    related_pf_id: int | None
    related_ipf_id: int | None = None


@tagged("egress_rule")
@dataclass(frozen=True, slots=True)
class EgressRule:
    """An egress firewall rule of an isolated network: guest sources, destinations, protocol and ports or ICMP."""

    id: int
    uuid: str
    network_id: int
    network_uuid: str
    protocol: Protocol
    start_port: int | None
    end_port: int | None
    icmp_type: int | None
    icmp_code: int | None
    cidr_list: tuple[str, ...]
    dest_cidr_list: tuple[str, ...]
    state: str
    owner: Owner
    created: datetime


@tagged("ip_forwarding_rule")
@dataclass(frozen=True, slots=True)
class IpForwardingRule:
    """CloudStack's IP forwarding ("static NAT") rule: a port range of a static-NAT public IP, forwarded to the
    static NAT's guest address (vm_* and dest_ip are the IP's static NAT target, None once it is gone)."""

    base: RuleBase
    protocol: Protocol
    start_port: int
    end_port: int
    vm_uuid: str | None
    vm_name: str | None
    vm_display_name: str | None
    dest_ip: str | None


@tagged("load_balancer_rule")
@dataclass(frozen=True, slots=True)
class LoadBalancerRule:
    base: RuleBase
    name: str
    algorithm: Algorithm
    protocol: Protocol
    public_port: int
    private_port: int
    zone_uuid: str
    zone_name: str
    description: str | None = None
    # Source CIDRs allowed to reach the rule; empty: from anywhere.
    cidr_list: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LbMember:
    rule_id: int
    vm_id: int
    vm_uuid: str
    address: str


@dataclass(frozen=True, slots=True)
class PortUse:
    """Public ports a rule takes on its public IP, for conflict checks."""

    what: str
    transport: Protocol
    start: int
    end: int

    def clashes(self, other: PortUse) -> bool:
        return self.transport == other.transport and self.start <= other.end and other.start <= self.end


def pf_use(rule: PortForwardingRule) -> PortUse:
    return PortUse(f"port forwarding rule {rule.base.uuid}", rule.protocol, rule.public_start, rule.public_end)


def lb_use(rule: LoadBalancerRule) -> PortUse:
    # haproxy serves tcp (and tcp-proxy) over TCP; only a udp rule takes a UDP port.
    transport = Protocol.UDP if rule.protocol is Protocol.UDP else Protocol.TCP
    return PortUse(f"load balancer rule {rule.base.uuid}", transport, rule.public_port, rule.public_port)


def cidr_list(items: Iterable[str], param: str = "cidrlist") -> tuple[str, ...]:
    """IPv4 CIDRs as given (host bits must be zero), sorted and without repeats."""
    found: set[IPv4Network] = set()
    for item in items:
        found.add(_ipv4_cidr(item, param))
    return tuple(str(c) for c in sorted(found))


def cidr_list_as_given(items: Iterable[str], param: str = "cidrlist") -> tuple[str, ...]:
    """IPv4 CIDRs in the order given, without repeats (validated as cidr_list does).

    For lists the caller reads back and compares as text: Ansible's cs_firewall matches an existing rule by
    `",".join(cidrs) == rule["cidrlist"]`, as CloudStack keeps the order given; a sorted list makes it miss
    its own rule and create it again (refused as a duplicate) on every run.
    """
    found: dict[IPv4Network, None] = {}
    for item in items:
        found.setdefault(_ipv4_cidr(item, param))
    return tuple(str(c) for c in found)


def _ipv4_cidr(item: str, param: str) -> IPv4Network:
    def refused(why: str) -> ParameterError:
        return ParameterError(f"Invalid value {item!r} for {param}: not an IPv4 CIDR ({why})")

    try:
        loose = ip_network(item.strip(), strict=False)
    except ValueError:
        raise refused("expected an address or address/prefix such as 192.0.2.0/24") from None
    if not isinstance(loose, IPv4Network):
        raise refused("an IPv6 network; these rules filter IPv4 only")
    try:
        return IPv4Network(item.strip(), strict=True)
    except ValueError:
        # Silently taking the enclosing network would let in addresses the caller did not name.
        raise refused(f"host bits are set; the network is {loose}") from None


def join_cidrs(cidrs: tuple[str, ...]) -> str | None:
    return ",".join(cidrs) if cidrs else None


def split_cidrs(text: str | None) -> tuple[str, ...]:
    return tuple(c for c in (text or "").split(",") if c)
