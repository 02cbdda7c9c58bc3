"""Builders of metadata documents for the tests: a VM with a NIC or two, secondary addresses included."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from uuid import UUID

from nicstack.render.metadata import NicMetadata, VmMetadata

NETWORK = UUID("00000000-0000-4000-8000-0000000000aa")
OTHER_NETWORK = UUID("00000000-0000-4000-8000-0000000000bb")


def nic(mac: str, *addresses: str, device: int = 0, default: bool = True, ipv6: tuple[str, ...] = (),
        network: UUID = NETWORK) -> NicMetadata:
    return NicMetadata(
        mac=mac, device=device, uuid=UUID(int=int(mac.replace(":", ""), 16)), network=network, default=default,
        ipv4=tuple(IPv4Address(a) for a in addresses), ipv4_subnet=IPv4Network("10.1.1.0/24"),
        ipv4_gateway=IPv4Address("10.1.1.1"), ipv6=tuple(IPv6Address(a) for a in ipv6),
        ipv6_subnet=IPv6Network("fd00:1::/64") if ipv6 else None,
        ipv6_gateway=IPv6Address("fd00:1::1") if ipv6 else None,
    )


def vm(number: int, *nics: NicMetadata, public: str | None = None, user_data: str | None = None) -> VmMetadata:
    return VmMetadata(uuid=UUID(int=number), name=f"web-{number}", zone="demo-zone", service_offering="Small",
                      nics=nics, public_ipv4=IPv4Address(public) if public else None, user_data=user_data)
