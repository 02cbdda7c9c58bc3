"""Taking and giving back guest addresses in a network: every consumer goes through here.

Callers hold the network lock (`networks.lock`) for the whole transaction, so the limit
check, the in-use check and the insert are one atomic step; the unique key on
ip_allocations is the last line of defence.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from nicstack.db.repos.allocations import AddressTaken
from nicstack.domain.errors import InsufficientCapacity, ParameterError, ResourceInUse
from nicstack.domain.ip_ranges import GuestRange, pool_from, shown_ranges
from nicstack.domain.kinds import AllocationKind, GuestType
from nicstack.domain.model import Network
from nicstack.ipam.addresses import IPAddress, IPNetwork, is_eui64_of, looks_like_eui64, usable_bounds
from nicstack.ipam.allocator import AnyAddress, Pool, first_free
from nicstack.services.ports import UnitOfWork

_HOLDERS = {
    AllocationKind.NIC: "a NIC's primary address",
    AllocationKind.SECONDARY: "a secondary IP",
    AllocationKind.ROUTER: "the network's virtual router",
    AllocationKind.RESERVED: "a reserved address",
}



def ranges_for(uow: UnitOfWork, network: Network, nic_id: int | None = None) -> list[GuestRange] | None:
    """Where a shared network's addresses come from: its IP ranges (Basic zone: those of the NIC's pod).

    None for the networks that draw from their CIDR (isolated, VPC tiers).
    """
    if network.guest_type is not GuestType.SHARED:
        return None
    found = uow.guest_ranges.of_network(network.id)
    if nic_id is not None and any(r.pod_id is not None for r in found):
        pod = uow.guest_ranges.pod_of_nic(nic_id)
        found = [r for r in found if r.pod_id == pod]
    return found


def _where(network: Network, ranges: list[GuestRange] | None) -> str:
    pods = sorted({r.pod_name for r in ranges or () if r.pod_name})
    return f"pod {pods[0]} of network {network.name}" if len(pods) == 1 else f"network {network.name}"


def pool_of(network: Network, family: int, ranges: list[GuestRange] | None = None) -> Pool:
    """Where a network's guest addresses come from: the ranges given, else the CIDR less the gateway."""
    if ranges is not None:
        pool = pool_from(ranges, family)
        if not pool.ranges:
            raise InsufficientCapacity(f"No IPv{family} range in {_where(network, ranges)}: add one with "
                                       "createVlanIpRange")
        return pool
    cidr, gateway = (network.cidr, network.gateway) if family == 4 else (network.ip6_cidr, network.ip6_gateway)
    if cidr is None:
        raise ParameterError(f"Network {network.name} has no IPv{family} CIDR")
    low, high = usable_bounds(ip_network(cidr))
    excluded = frozenset({int(ip_address(gateway))}) if gateway else frozenset()
    return Pool(family, ((low, high),), excluded)


def families(uow: UnitOfWork, network: Network, nic_id: int | None = None) -> list[int]:
    """The address families a NIC in the network gets a primary address of, IPv4 first."""
    ranges = ranges_for(uow, network, nic_id)
    if ranges is None:
        return [f for f, cidr in ((4, network.cidr), (6, network.ip6_cidr)) if cidr is not None]
    return sorted({f for r in ranges for f in (4, 6) if r.span(f) is not None})


def default_family(uow: UnitOfWork, network: Network, nic_id: int | None = None) -> int:
    """IPv4 where the network (or pod) has it; networks with only IPv6 pick IPv6."""
    return 6 if families(uow, network, nic_id) == [6] else 4


def _check_subnet(cidr: IPNetwork, gateway: str | None, address: IPAddress, mac: str | None, where: str) -> None:
    if address not in cidr:
        raise ParameterError(f"IP address {address} is outside the CIDR {cidr} of {where}")
    if gateway and address == ip_address(gateway):
        raise ParameterError(f"IP address {address} is the gateway of {where}")
    low, high = usable_bounds(cidr)
    if not low <= int(address) <= high:
        what = "network address" if int(address) < low else "broadcast address"
        raise ParameterError(f"IP address {address} is the {what} of {where}")
    if isinstance(address, IPv6Address) and (looks_like_eui64(address) or (mac and is_eui64_of(address, mac))):
        raise ParameterError(
            f"IP address {address} is an EUI-64 address derived from a MAC; choose another IPv6 address"
        )


def _check_in_ranges(network: Network, ranges: list[GuestRange], address: IPAddress, mac: str | None) -> None:
    family, where = address.version, _where(network, ranges)
    mine = [r for r in ranges if r.span(family) is not None]
    if not mine:
        raise ParameterError(f"IP address {address} is IPv{family} but {where} has no IPv{family} range")
    subnets = {(s, r.gateway_of(family)) for r in mine if (s := r.subnet(family)) is not None}
    inside = sorted((s for s in subnets if address in s[0]), key=str)
    if not inside:
        shown = ", ".join(sorted(str(s) for s, _ in subnets))
        raise ParameterError(f"IP address {address} is outside the CIDR {shown} of {where}")
    _check_subnet(inside[0][0], inside[0][1], address, mac, where)
    if not any(r.contains(address) for r in mine):
        raise ParameterError(
            f"IP address {address} is outside the IP ranges of {where} ({shown_ranges(mine, family)})"
        )


def check_assignable(
    network: Network, address: IPAddress, mac: str | None, ranges: list[GuestRange] | None = None
) -> None:
    """Refuse, with the reason, an address that can never be a guest address of the network."""
    if ranges is not None:
        _check_in_ranges(network, ranges, address, mac)
        return
    family = address.version
    cidr_text = network.cidr if family == 4 else network.ip6_cidr
    if cidr_text is None:
        raise ParameterError(f"IP address {address} is IPv{family} but network {network.name} has no IPv{family} CIDR")
    gateway = network.gateway if family == 4 else network.ip6_gateway
    _check_subnet(ip_network(cidr_text), gateway, address, mac, f"network {network.name}")


def nic_layout(uow: UnitOfWork, network: Network, address: IPAddress, nic_id: int) -> dict[str, str | None]:
    """The gateway and netmask (IPv6: gateway and CIDR) a NIC learns from the range holding its address."""
    ranges = ranges_for(uow, network, nic_id)
    found = next((r for r in ranges or () if r.contains(address)), None)
    if found is None:
        return {}
    if address.version == 4:
        return {"gateway": found.gateway, "netmask": found.netmask}
    return {"ip6_gateway": found.ip6_gateway, "ip6_cidr": found.ip6_cidr}


def _refuse_held(uow: UnitOfWork, network: Network, addresses: Sequence[IPAddress]) -> None:
    for family in sorted({a.version for a in addresses}):
        wanted = [a for a in addresses if a.version == family]
        held = uow.allocations.holders(network.id, family, [int(a) for a in wanted])
        taken = next((a for a in wanted if int(a) in held), None)
        if taken is not None:
            # The holder's kind is not secret even in shared networks: it names no owner.
            raise ResourceInUse(f"IP address {taken} is already in use in network {network.name} "
                                f"({_HOLDERS[held[int(taken)]]})")


def _pick(uow: UnitOfWork, network: Network, family: int, cursors: tuple[int | None, bytes | None],
          ranges: list[GuestRange] | None, count: int) -> list[IPAddress]:
    """`count` free addresses from the network's pool (shared: the NIC's ranges), resuming at its cursor."""
    pool = pool_of(network, family, ranges)
    raw = cursors[0] if family == 4 else cursors[1]
    cursor = int.from_bytes(raw, "big") if isinstance(raw, bytes) else raw
    values = first_free(pool, AnyAddress(cursor), uow.allocations.used_in(network.id, family), count)
    if len(values) < count:
        where = _where(network, ranges)
        raise InsufficientCapacity(
            f"No free IPv{family} address left in {where} ({pool.size()} addresses, all in use)" if count == 1 else
            f"Only {len(values)} free IPv{family} address(es) left in {where}, {count} asked for: none was reserved"
        )
    uow.networks.set_cursor(network.id, family, values[-1] + 1)
    return [IPv4Address(v) if family == 4 else IPv6Address(v) for v in values]


def take_many(
    uow: UnitOfWork, network: Network, given: Sequence[IPAddress], count: int, family: int | None,
    cursors: tuple[int | None, bytes | None], kind: AllocationKind, nic_id: int | None, mac: str | None = None,
) -> list[tuple[IPAddress, int]]:
    """Reserve the `given` addresses, then `count` free ones (of `family`, else the network's default one):
    all or none, the network locked by the caller. Returns each address with its allocation id, in order."""
    ranges = ranges_for(uow, network, nic_id)
    for address in given:
        check_assignable(network, address, mac, ranges)
    _refuse_held(uow, network, given)
    picked = _pick(uow, network, family or default_family(uow, network, nic_id), cursors, ranges, count) \
        if count else []
    addresses = [*given, *picked]
    if not addresses:
        return []
    try:
        ids = uow.allocations.insert_many(network.id, [(a.version, int(a)) for a in addresses], kind, nic_id)
    except AddressTaken:  # the unique key, behind the lock and the check above: a holder we did not see
        shown = str(addresses[0]) if len(addresses) == 1 else f"one of {', '.join(map(str, addresses))}"
        raise ResourceInUse(f"IP address {shown} is already in use in network {network.name}") from None
    return list(zip(addresses, ids, strict=True))


def take(
    uow: UnitOfWork, network: Network, wanted: IPAddress | None, cursors: tuple[int | None, bytes | None],
    kind: AllocationKind, nic_id: int | None, mac: str | None = None, *, family: int | None = None,
) -> tuple[IPAddress, int]:
    """Reserve `wanted`, or any free address (of `family`, else the network's default one); the network is
    locked by the caller. Returns the address and its allocation id."""
    given = (wanted,) if wanted is not None else ()
    return take_many(uow, network, given, 0 if given else 1, family, cursors, kind, nic_id, mac)[0]


def give_back(uow: UnitOfWork, network: Network, address: str) -> None:
    parsed = ip_address(address)
    uow.allocations.release(network.id, parsed.version, int(parsed))
