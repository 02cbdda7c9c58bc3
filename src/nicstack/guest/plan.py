"""What `nicstack-guest apply` changes: the difference between the metadata's addresses and the NICs' own.

Pure. A NIC is found by its MAC. Every address the metadata lists for it is added (with its subnet's
prefix); an address the NIC holds inside one of its subnets that the metadata no longer lists was
released by the cloud and is removed. Addresses outside those subnets (link-local ones, other
networks the user configured) are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv4Network, IPv6Interface, IPv6Network

Interface = IPv4Interface | IPv6Interface


@dataclass(frozen=True, slots=True)
class Wanted:
    """One NIC as the metadata describes it."""

    mac: str
    addresses: tuple[Interface, ...]

    @property
    def subnets(self) -> set[IPv4Network | IPv6Network]:
        return {a.network for a in self.addresses}


@dataclass(frozen=True, slots=True)
class Link:
    """One interface of the guest, as `ip -j addr` shows it."""

    name: str
    mac: str
    addresses: tuple[Interface, ...]


@dataclass(frozen=True, slots=True)
class Step:
    verb: str  # "add" or "del"
    address: Interface
    device: str

    def argv(self) -> list[str]:
        return ["ip", "addr", self.verb, str(self.address), "dev", self.device]

    def __str__(self) -> str:
        return f"{self.verb} {self.address} dev {self.device}"


def plan(wanted: Mapping[str, Wanted], links: Sequence[Link]) -> list[Step]:
    """The steps, removals first (an address moving to another prefix is removed, then added)."""
    removals: list[Step] = []
    additions: list[Step] = []
    for link in sorted(links, key=lambda k: k.name):
        nic = wanted.get(link.mac.lower())
        if nic is None:
            continue
        held = {a.ip: a for a in link.addresses}
        listed = {a.ip: a for a in nic.addresses}
        for ip, address in sorted(held.items(), key=lambda i: (i[0].version, i[0])):
            if any(ip in subnet for subnet in nic.subnets) and listed.get(ip) != address:
                removals.append(Step("del", address, link.name))
        for ip, address in sorted(listed.items(), key=lambda i: (i[0].version, i[0])):
            if held.get(ip) != address:
                additions.append(Step("add", address, link.name))
    return removals + additions
