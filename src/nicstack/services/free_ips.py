"""Which addresses of a network are free, shown without who holds the others (spec 02 section 10).

Two views: nicstack's compact one (free ranges with counts and totals per family, cheap on a /8
or an IPv6 /64: the used index is swept, never the pool), and CloudStack's own for shared
networks (listPublicIpAddresses forvirtualnetwork=false: the range's addresses with state
Free/Allocated, one page at a time, computed from the page's positions in the pool).
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from ipaddress import IPv4Address

from sqlalchemy import and_, func, or_, select

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import UnknownEntity
from nicstack.domain.ip_ranges import GuestRange
from nicstack.domain.kinds import GuestType
from nicstack.domain.model import Network
from nicstack.domain.policy import ensure_secondary_ips_supported
from nicstack.ipam.addresses import int_to_key, key_to_int, make_address, parse_ipv4
from nicstack.ipam.allocator import Pool
from nicstack.ipam.free_ranges import count_free, free_ranges
from nicstack.services import guest_ips, lookup

DEFAULT_PAGE = 500


@dataclass(frozen=True, slots=True)
class FreeRange:
    start: str
    end: str
    count: int


@dataclass(frozen=True, slots=True)
class FamilyFree:
    family: int
    total: int
    used: int
    free: int
    ranges: list[FreeRange]
    truncated: bool


@dataclass(frozen=True, slots=True)
class RangeAddress:
    """One address of a shared network's ranges and whether it is taken (never by whom)."""

    address: str
    allocated: bool
    range: GuestRange


def used_in_pool(uow: SqlUnitOfWork, network_id: int, pool: Pool) -> int:
    """How many members of the pool are held: one COUNT per range, less held excluded addresses."""
    inside = sum(uow.guest_ranges.used_between(network_id, pool.family, low, high) for low, high in pool.ranges)
    excluded = [x for x in pool.excluded if any(lo <= x <= hi for lo, hi in pool.ranges)]
    return inside - len(uow.guest_ranges.held(network_id, pool.family, excluded))


def _ranges(uow: SqlUnitOfWork, net: Network, pod_uuid: str | None) -> list[GuestRange] | None:
    found = guest_ips.ranges_for(uow, net)
    if pod_uuid is None:
        return found
    pod = uow.infra.pod_by(uuid=pod_uuid)
    if pod is None or pod.zone_id != net.zone_id:
        raise UnknownEntity("podid", pod_uuid)
    return [r for r in found or () if r.pod_id == pod.id]


def free_addresses(uow: SqlUnitOfWork, caller: Caller, network_uuid: str, limit: int,
                   pod_uuid: str | None = None) -> tuple[Network, list[FamilyFree]]:
    """Per family the network (or a Basic zone's pod) has: totals, and up to `limit` free ranges."""
    with uow.reading():
        net = lookup.network(uow, caller, network_uuid)
        ensure_secondary_ips_supported(net.guest_type, net.name)
        ranges = _ranges(uow, net, pod_uuid)
        found = []
        for family in guest_ips.families(uow, net) if ranges is None else sorted(
                {f for r in ranges for f in (4, 6) if r.span(f)}):
            pool = guest_ips.pool_of(net, family, ranges)
            used = used_in_pool(uow, net.id, pool)
            spans, truncated = free_ranges(pool, uow.allocations.used_in(net.id, family), limit)
            shown = [FreeRange(str(make_address(family, lo)), str(make_address(family, hi)), hi - lo + 1)
                     for lo, hi in spans]
            found.append(FamilyFree(family, pool.size(), used, count_free(pool, used), shown, truncated))
        return net, found


def _held_page(uow: SqlUnitOfWork, net: Network, spans: list[tuple[int, int]], page: tuple[int, int]) -> tuple[
        list[int], int]:
    a = t.ip_allocations
    inside = or_(*(and_(a.c.addr >= int_to_key(lo), a.c.addr <= int_to_key(hi)) for lo, hi in spans))
    base = select(a.c.addr).where(a.c.network_id == net.id, a.c.family == 4, inside)
    total = int(uow.conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()) if spans else 0
    rows = uow.conn.execute(base.order_by(a.c.addr).offset(page[0]).limit(page[1])).all() if spans else []
    return [key_to_int(r[0]) for r in rows], total


def _pool_page(spans: list[tuple[int, int]], page: tuple[int, int]) -> list[int]:
    """The addresses at positions offset..offset+limit of the pool, without walking the addresses before."""
    offset, limit = page
    picked: list[int] = []
    for low, high in spans:
        size = high - low + 1
        if offset >= size:
            offset -= size
            continue
        take = min(size - offset, limit - len(picked))
        picked += range(low + offset, low + offset + take)
        offset = 0
        if len(picked) >= limit:
            break
    return picked


def range_addresses(
    uow: SqlUnitOfWork, caller: Caller, *, network_uuid: str | None, address: str | None = None,
    allocated_only: bool = True, page: tuple[int, int] | None = None,
) -> tuple[list[RangeAddress], int]:
    """listPublicIpAddresses forvirtualnetwork=false: a shared network's IPv4 range addresses, Free or Allocated.

    `address` is text: it is parsed (ParameterError naming ipaddress) once the network is known, so an
    unknown network is reported first, as before.
    """
    if network_uuid is None:
        return [], 0
    window = page or (0, DEFAULT_PAGE)
    with uow.reading():
        net = lookup.network(uow, caller, network_uuid)
        if net.guest_type is not GuestType.SHARED:
            return [], 0
        ranges = [r for r in uow.guest_ranges.of_network(net.id) if r.span(4)]
        spans = guest_ips.pool_of(net, 4, ranges).ranges if ranges else ()
        if address is not None:
            wanted = int(parse_ipv4(address, "ipaddress"))
            values = [wanted] if any(lo <= wanted <= hi for lo, hi in spans) else []
            total = len(values)
        elif allocated_only:
            values, total = _held_page(uow, net, list(spans), window)
        else:
            values, total = _pool_page(list(spans), window), sum(hi - lo + 1 for lo, hi in spans)
        held = uow.guest_ranges.held(net.id, 4, values)
    if address is not None and allocated_only:
        values = [x for x in values if x in held]
        total = len(values)
    found = [RangeAddress(str(IPv4Address(x)), x in held, next(r for r in ranges if r.contains(IPv4Address(x))))
             for x in values]
    return found, total


def address_id(network_uuid: str, address: str) -> str:
    """A stable id for a range address (range addresses have no row of their own)."""
    return str(uuidlib.uuid5(uuidlib.UUID(network_uuid), address))
