"""VPC network ACL lists and their items: CloudStack's vocabulary (number, action, traffic type, protocol).

A tier's ACL list filters what enters the tier (ingress: the CIDRs are sources) and what leaves it
(egress: the CIDRs are destinations), item by item in number order. CloudStack ships two lists that
every VPC may use and nobody may change: `default_allow` and `default_deny`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from ipaddress import IPv4Network

from nicstack.domain.codec import tagged
from nicstack.domain.errors import ParameterError
from nicstack.domain.rules import Owner
from nicstack.domain.vocabulary import PortRange

DEFAULT_ALLOW = "default_allow"
DEFAULT_DENY = "default_deny"
ANYWHERE = "0.0.0.0/0"
# tcp, udp, icmp, all by name; any other IP protocol by its number, as CloudStack allows.
NAMED_PROTOCOLS = ("tcp", "udp", "icmp", "all")
MAX_NUMBER = 2**31 - 1


class AclAction(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class TrafficType(StrEnum):
    INGRESS = "Ingress"
    EGRESS = "Egress"


def action_of(text: str) -> AclAction:
    for action in AclAction:
        if action.lower() == text.strip().lower():
            return action
    raise ParameterError(f"Invalid value {text!r} for action: use allow or deny")


def traffic_type_of(text: str) -> TrafficType:
    for kind in TrafficType:
        if kind.lower() == text.strip().lower():
            return kind
    raise ParameterError(f"Invalid value {text!r} for traffictype: use ingress or egress")


def acl_protocol_of(text: str) -> str:
    """tcp, udp, icmp or all (any case), or an IP protocol number 0-255 (1 is icmp, as in CloudStack)."""
    lowered = text.strip().lower()
    if lowered in NAMED_PROTOCOLS:
        return lowered
    if lowered.isdigit() and int(lowered) <= 255:
        return "icmp" if int(lowered) == 1 else str(int(lowered))
    raise ParameterError(f"Invalid value {text!r} for protocol: use tcp, udp, icmp, all or a protocol number 0-255")


@tagged("network_acl")
@dataclass(frozen=True, slots=True)
class NetworkAcl:
    """An ACL list; `vpc_uuid` None and `owner` None for CloudStack's two built-in lists."""

    id: int
    uuid: str
    name: str
    description: str | None
    vpc_id: int | None
    vpc_uuid: str | None
    vpc_name: str | None
    owner: Owner | None
    created: datetime

    @property
    def built_in(self) -> bool:
        return self.vpc_id is None


@dataclass(frozen=True, slots=True)
class AclMatch:
    """What an item matches: protocol, ports (tcp/udp) or ICMP type/code (-1 any), IPv4 CIDRs."""

    protocol: str
    ports: PortRange | None
    icmp_type: int | None
    icmp_code: int | None
    cidrs: tuple[IPv4Network, ...]


def acl_match(
    protocol: str, start_port: int | None, end_port: int | None, icmp_type: int | None, icmp_code: int | None,
    cidrs: tuple[str, ...],
) -> AclMatch:
    """The match of an item as CloudStack accepts it; raises ParameterError naming what is wrong."""
    proto = acl_protocol_of(protocol)
    ports = None
    if start_port is not None or end_port is not None:
        if proto not in ("tcp", "udp"):
            raise ParameterError(f"Ports need protocol tcp or udp, not {proto}")
        first = start_port if start_port is not None else end_port
        assert first is not None
        ports = PortRange(first, end_port if end_port is not None else first)
    if proto == "icmp":
        icmp_type = -1 if icmp_type is None else icmp_type
        icmp_code = -1 if icmp_code is None else icmp_code
        if icmp_type == -1 and icmp_code != -1:
            raise ParameterError(f"Invalid ICMP code {icmp_code}: an ICMP code needs an ICMP type")
    elif icmp_type is not None or icmp_code is not None:
        raise ParameterError(f"An ICMP type or code needs protocol icmp, not {proto}")
    return AclMatch(proto, ports, icmp_type, icmp_code, _cidrs(cidrs))


def _cidrs(texts: tuple[str, ...]) -> tuple[IPv4Network, ...]:
    found = []
    for text in texts or (ANYWHERE,):
        try:
            found.append(IPv4Network(text.strip()))
        except ValueError:
            raise ParameterError(f"Invalid value {text!r} for cidrlist: not an IPv4 CIDR") from None
    # In the user's order, as CloudStack keeps it: Ansible compares the joined list with what it asked for.
    return tuple(dict.fromkeys(found))


@tagged("network_acl_item")
@dataclass(frozen=True, slots=True)
class NetworkAclItem:
    id: int
    uuid: str
    acl: NetworkAcl
    number: int
    action: AclAction
    traffic_type: TrafficType
    protocol: str
    start_port: int | None
    end_port: int | None
    icmp_type: int | None
    icmp_code: int | None
    cidr_list: tuple[str, ...]
    reason: str | None
    created: datetime

    @property
    def match(self) -> AclMatch:
        return acl_match(self.protocol, self.start_port, self.end_port, self.icmp_type, self.icmp_code,
                         self.cidr_list)


def check_number(number: int) -> int:
    if not 1 <= number <= MAX_NUMBER:
        raise ParameterError(f"Invalid value {number} for number: an ACL item number is 1-{MAX_NUMBER}")
    return number

