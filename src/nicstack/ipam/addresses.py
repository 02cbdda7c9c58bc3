"""Address values: parsing at the edge, integer keys for the index, usable bounds."""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from nicstack.domain.errors import ParameterError

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

KEY_BYTES = 16


def parse_address(text: str, param: str = "ipaddress") -> IPAddress:
    """Parse an IPv4 or IPv6 address; garbage such as 255.255.255.300 is a ParameterError."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise ParameterError(f"Invalid value {text!r} for parameter {param}: not an IPv4 or IPv6 address") from None
    if isinstance(address, IPv6Address) and address.scope_id is not None:
        # ipaddress accepts "fe80::1%eth0" (any text after the %); a zone is not part of an address.
        raise ParameterError(f"Invalid value {text!r} for parameter {param}: an address may not carry a %zone")
    return address


def parse_ipv4(text: str, param: str) -> IPv4Address:
    address = parse_address(text, param)
    if not isinstance(address, IPv4Address):
        raise ParameterError(f"Invalid value {text!r} for {param}: not an IPv4 address")
    return address


def parse_network(text: str, param: str) -> IPNetwork:
    """Parse a CIDR; host bits must be zero."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        raise ParameterError(f"Invalid value {text!r} for {param}: not a network CIDR ({exc})") from None
    if isinstance(network, IPv6Network) and network.network_address.scope_id is not None:
        raise ParameterError(f"Invalid value {text!r} for {param}: a network may not carry a %zone")
    return network


def network_from_gateway(gateway: IPv4Address, netmask: str, param: str = "netmask") -> IPv4Network:
    try:
        return IPv4Network(f"{gateway}/{netmask}", strict=False)
    except ValueError:
        raise ParameterError(f"Invalid value {netmask!r} for {param}: not a netmask") from None


def int_to_key(value: int) -> bytes:
    """A fixed-width, order-preserving key: byte order equals address order within a family."""
    return value.to_bytes(KEY_BYTES, "big")


def key_to_int(key: bytes) -> int:
    return int.from_bytes(key, "big")


def make_address(family: int, value: int) -> IPAddress:
    return IPv4Address(value) if family == 4 else IPv6Address(value)


def usable_bounds(network: IPNetwork) -> tuple[int, int]:
    """First and last assignable host as integers.

    IPv4 drops the network and broadcast addresses, except /31 and /32 which are wholly
    usable (RFC 3021). IPv6 drops the subnet-router anycast address (all zeros) except
    for /127 and /128.
    """
    first, last = int(network.network_address), int(network.broadcast_address)
    if network.version == 4:
        return (first, last) if network.prefixlen >= 31 else (first + 1, last - 1)
    return (first, last) if network.prefixlen >= 127 else (first + 1, last)


def is_eui64_of(address: IPv6Address, mac: str) -> bool:
    """True when the interface identifier of `address` is the modified EUI-64 of `mac`."""
    octets = [int(part, 16) for part in mac.split(":")]
    eui = [octets[0] ^ 0x02, *octets[1:3], 0xFF, 0xFE, *octets[3:6]]
    return address.packed[8:] == bytes(eui)


def looks_like_eui64(address: IPv6Address) -> bool:
    """True when the interface identifier has the ff:fe marker of a MAC-derived address."""
    return address.packed[11:13] == b"\xff\xfe"
