"""Security groups and their rules as values, and the checks a new rule must pass."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv4Network, IPv6Network, ip_network

from nicstack.domain.codec import tagged
from nicstack.domain.errors import ParameterError
from nicstack.domain.rules import Owner
from nicstack.domain.vocabulary import SECURITY_GROUP_PROTOCOLS, Direction, IcmpMatch, PortRange, Protocol, protocol_of

DEFAULT_GROUP = "default"


@dataclass(frozen=True, slots=True)
class RuleShape:
    """What a rule allows, before it names its peers (CIDRs or groups)."""

    protocol: Protocol
    start_port: int | None = None
    end_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None


@dataclass(frozen=True, slots=True)
class SgRule:
    """One stored rule: a shape and exactly one peer, a CIDR or another group."""

    id: int
    uuid: str
    group_id: int
    direction: Direction
    shape: RuleShape
    cidr: str | None
    peer_group_id: int | None
    peer_group_uuid: str | None
    peer_group_name: str | None
    peer_account_name: str | None


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    id: int
    uuid: str
    name: str
    description: str | None
    owner: Owner
    created: datetime
    rules: tuple[SgRule, ...] = ()
    vm_uuids: tuple[str, ...] = ()


@tagged("authorized_rules")
@dataclass(frozen=True, slots=True)
class Authorized:
    """authorizeSecurityGroupIngress/Egress: the group, and the ids of the rules the call added."""

    group: SecurityGroup
    added: tuple[int, ...]


def rule_shape(
    protocol: str | None, start_port: int | None, end_port: int | None, icmp_type: int | None, icmp_code: int | None
) -> RuleShape:
    """Validate a rule's protocol and ports or ICMP type/code (CloudStack: protocol defaults to all)."""
    name = protocol_of(protocol or "all", SECURITY_GROUP_PROTOCOLS)
    if name.has_ports:
        if icmp_type is not None or icmp_code is not None:
            raise ParameterError(f"icmptype and icmpcode apply to icmp rules, not {name}")
        if start_port is None:
            raise ParameterError(f"A {name} rule needs startport (and endport for a range)")
        ports = PortRange.of(start_port, end_port)
        return RuleShape(name, ports.start, ports.end)
    if start_port is not None or end_port is not None:
        raise ParameterError(f"startport and endport apply to tcp and udp rules, not {name}")
    if name is Protocol.ALL:
        if icmp_type is not None or icmp_code is not None:
            raise ParameterError("icmptype and icmpcode apply to icmp rules, not all")
        return RuleShape(name)
    icmp = IcmpMatch(-1 if icmp_type is None else icmp_type, -1 if icmp_code is None else icmp_code)
    return RuleShape(name, icmp_type=icmp.type, icmp_code=icmp.code)


def cidrs_of(items: Iterable[str]) -> list[str]:
    """IPv4 and IPv6 CIDRs, normalised (host bits dropped), sorted, without repeats."""
    found: set[IPv4Network | IPv6Network] = set()
    for item in items:
        try:
            found.add(ip_network(item.strip(), strict=False))
        except ValueError:
            raise ParameterError(f"Invalid value {item!r} for cidrlist: not a CIDR") from None
    return [str(c) for c in sorted(found, key=lambda c: (c.version, c))]


def group_name(text: str) -> str:
    name = text.strip()
    if not name or len(name) > 255:
        raise ParameterError(f"Invalid security group name {text!r}: 1 to 255 characters")
    return name
