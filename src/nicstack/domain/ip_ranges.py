"""Guest IP ranges of shared networks and Basic-zone pods, as values, and the pools they make."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv4Network, ip_address, ip_network

from nicstack.domain.errors import ParameterError
from nicstack.ipam.addresses import IPAddress, IPNetwork, usable_bounds
from nicstack.ipam.allocator import Pool


@dataclass(frozen=True, slots=True)
class GuestRange:
    """One `vlan_ip_ranges` row for guests (forvirtualnetwork=false): an IPv4 and/or an IPv6 span.

    A Basic zone's ranges carry the pod they serve; an Advanced shared network's carry none.
    """

    id: int
    uuid: str
    zone_id: int
    zone_uuid: str
    zone_name: str
    network_id: int | None
    network_uuid: str | None
    network_name: str | None
    pod_id: int | None
    pod_uuid: str | None
    pod_name: str | None
    vlan: str | None
    gateway: str | None
    netmask: str | None
    start_ip: str | None
    end_ip: str | None
    ip6_gateway: str | None
    ip6_cidr: str | None
    start_ipv6: str | None
    end_ipv6: str | None
    domain_uuid: str | None
    domain_name: str | None
    created: datetime

    def span(self, family: int) -> tuple[int, int] | None:
        start, end = (self.start_ip, self.end_ip) if family == 4 else (self.start_ipv6, self.end_ipv6)
        if start is None:
            return None
        return int(ip_address(start)), int(ip_address(end or start))

    def subnet(self, family: int) -> IPNetwork | None:
        if family == 4:
            if self.gateway is None or self.netmask is None:
                return None
            return IPv4Network(f"{self.gateway}/{self.netmask}", strict=False)
        return ip_network(self.ip6_cidr) if self.ip6_cidr else None

    def gateway_of(self, family: int) -> str | None:
        return self.gateway if family == 4 else self.ip6_gateway

    def contains(self, address: IPAddress) -> bool:
        span = self.span(address.version)
        return span is not None and span[0] <= int(address) <= span[1]

    def shown(self, family: int) -> str:
        return f"{self.start_ip}-{self.end_ip}" if family == 4 else f"{self.start_ipv6}-{self.end_ipv6}"


def families(ranges: Iterable[GuestRange]) -> list[int]:
    """The address families the ranges offer, IPv4 first."""
    found = {f for r in ranges for f in (4, 6) if r.span(f) is not None}
    return sorted(found)


def pool_from(ranges: Iterable[GuestRange], family: int) -> Pool:
    """The allocator's pool: the ranges' spans of one family, sorted and merged where they touch."""
    spans = sorted(s for r in ranges if (s := r.span(family)) is not None)
    merged: list[tuple[int, int]] = []
    for low, high in spans:
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return Pool(family, tuple(merged))


def shown_ranges(ranges: Sequence[GuestRange], family: int) -> str:
    return ", ".join(r.shown(family) for r in ranges if r.span(family) is not None) or "none"


def check_span(subnet: IPNetwork, gateway: IPAddress | None, start: IPAddress, end: IPAddress, what: str) -> None:
    """Refuse a range that leaves its subnet's usable addresses, runs backwards or holds the gateway."""
    if start.version != subnet.version or end.version != subnet.version:
        raise ParameterError(f"The {what} range {start}-{end} mixes address families with {subnet}")
    if int(end) < int(start):
        raise ParameterError(f"The {what} range {start}-{end} ends before it starts")
    low, high = usable_bounds(subnet)
    if not (low <= int(start) and int(end) <= high):
        raise ParameterError(f"The {what} range {start}-{end} is not inside the usable addresses of {subnet}")
    if gateway is not None and int(start) <= int(gateway) <= int(end):
        raise ParameterError(f"The {what} range {start}-{end} contains the gateway {gateway}")


def overlapping(ranges: Iterable[GuestRange], family: int, low: int, high: int) -> GuestRange | None:
    """The first range whose span of `family` overlaps [low, high]."""
    for other in ranges:
        span = other.span(family)
        if span is not None and span[0] <= high and low <= span[1]:
            return other
    return None
