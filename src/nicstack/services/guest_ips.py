"""Taking and giving back guest addresses in a network: every consumer goes through here.

Callers hold the network lock (`networks.lock`) for the whole transaction, so the limit
check, the in-use check and the insert are one atomic step; the unique key on
ip_allocations is the last line of defence.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from sqlalchemy import Connection

from nicstack.db.repos import allocations, networks
from nicstack.db.repos.allocations import AddressTaken, UsedInNetwork
from nicstack.domain.errors import InsufficientCapacity, ParameterError, ResourceInUse
from nicstack.domain.kinds import AllocationKind
from nicstack.domain.model import Network
from nicstack.ipam.addresses import IPAddress, is_eui64_of, looks_like_eui64, usable_bounds
from nicstack.ipam.allocator import AnyAddress, Pool, pick_free

_HOLDERS = {
    AllocationKind.NIC: "a NIC's primary address",
    AllocationKind.SECONDARY: "a secondary IP",
    AllocationKind.ROUTER: "the network's virtual router",
    AllocationKind.RESERVED: "a reserved address",
}


def pool_of(network: Network, family: int) -> Pool:
    """Where a network's guest addresses come from (isolated: the CIDR less the gateway)."""
    cidr, gateway = (network.cidr, network.gateway) if family == 4 else (network.ip6_cidr, network.ip6_gateway)
    if cidr is None:
        raise ParameterError(f"Network {network.name} has no IPv{family} CIDR")
    low, high = usable_bounds(ip_network(cidr))
    excluded = frozenset({int(ip_address(gateway))}) if gateway else frozenset()
    return Pool(family, ((low, high),), excluded)


def check_assignable(network: Network, address: IPAddress, mac: str | None) -> None:
    """Refuse, with the reason, an address that can never be a guest address of the network."""
    family = address.version
    cidr_text = network.cidr if family == 4 else network.ip6_cidr
    if cidr_text is None:
        raise ParameterError(f"IP address {address} is IPv{family} but network {network.name} has no IPv{family} CIDR")
    cidr = ip_network(cidr_text)
    gateway = network.gateway if family == 4 else network.ip6_gateway
    if address not in cidr:
        raise ParameterError(f"IP address {address} is outside the CIDR {cidr} of network {network.name}")
    if gateway and address == ip_address(gateway):
        raise ParameterError(f"IP address {address} is the gateway of network {network.name}")
    low, high = usable_bounds(cidr)
    if not low <= int(address) <= high:
        what = "network address" if int(address) < low else "broadcast address"
        raise ParameterError(f"IP address {address} is the {what} of network {network.name}")
    if isinstance(address, IPv6Address) and (looks_like_eui64(address) or (mac and is_eui64_of(address, mac))):
        raise ParameterError(
            f"IP address {address} is an EUI-64 address derived from a MAC; choose another IPv6 address"
        )


def take_specific(
    conn: Connection, network: Network, address: IPAddress, kind: AllocationKind, nic_id: int | None,
    mac: str | None = None,
) -> int:
    """Reserve exactly `address` (network locked by the caller); returns the allocation id."""
    check_assignable(network, address, mac)
    held = allocations.holder(conn, network.id, address.version, int(address))
    if held is not None:
        # The holder's kind is not secret even in shared networks: it names no owner.
        raise ResourceInUse(f"IP address {address} is already in use in network {network.name} ({_HOLDERS[held]})")
    try:
        return allocations.insert(conn, network.id, address.version, int(address), kind, nic_id)
    except AddressTaken:
        raise ResourceInUse(f"IP address {address} is already in use in network {network.name}") from None


def take_any(
    conn: Connection, network: Network, family: int, cursors: tuple[int | None, bytes | None],
    kind: AllocationKind, nic_id: int | None,
) -> tuple[IPAddress, int]:
    """Reserve a free address from the network's pool, resuming at its cursor."""
    pool = pool_of(network, family)
    raw = cursors[0] if family == 4 else cursors[1]
    cursor = int.from_bytes(raw, "big") if isinstance(raw, bytes) else raw
    try:
        value = pick_free(pool, AnyAddress(cursor), UsedInNetwork(conn, network.id, family), f"network {network.name}")
    except InsufficientCapacity:
        raise InsufficientCapacity(
            f"No free IPv{family} address left in network {network.name} ({pool.size()} addresses, all in use)"
        ) from None
    networks.set_cursor(conn, network.id, family, value + 1)
    allocation_id = allocations.insert(conn, network.id, family, value, kind, nic_id)
    address: IPAddress = IPv4Address(value) if family == 4 else IPv6Address(value)
    return address, allocation_id


def give_back(conn: Connection, network: Network, address: str) -> None:
    parsed = ip_address(address)
    allocations.release(conn, network.id, parsed.version, int(parsed))
