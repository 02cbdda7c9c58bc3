"""The router's addresses document: which addresses each interface holds, its default route, forwarding on.

A router forwards only once its interfaces hold the addresses its rules name: every public address
on the public interface (with its range's prefix, so the public subnet is on-link), each tier's
gateway on the tier's interface. One line per fact, sorted, so the agent (and a person) can read it:

    forwarding on
    interface eth2 public
    interface eth0 guest <network uuid>
    address eth2 203.0.113.10/24
    route default via 203.0.113.1 dev eth2

A shared network's router is not its gateway: its guest interface holds only the metadata address,
with an on-link route to the network (`route 10.3.0.0/24 dev eth0`) for its answers, and it has no
public interface (a metadata-only machine need not have one).

`parse` reads it back into values; the agent makes the interfaces hold exactly these IPv4
addresses (renaming interfaces as `render.devices` does) and replaces the default route.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from uuid import UUID

from nicstack.render.metadata import METADATA_ADDRESS
from nicstack.render.router_state import RouterKind, RouterState

PUBLIC = "public"
GUEST = "guest"


@dataclass(frozen=True, slots=True)
class Interface:
    """One interface of the router: the public side, or the guest side of one network (tier)."""

    name: str
    role: str
    network: UUID | None = None


@dataclass(frozen=True, slots=True)
class RouterAddresses:
    interfaces: tuple[Interface, ...]
    addresses: tuple[tuple[str, IPv4Interface], ...]
    gateway: IPv4Address | None = None
    # On-link routes to the networks of tiers whose gateway is another router's: (interface, network).
    routes: tuple[tuple[str, IPv4Network], ...] = ()

    def routes_of(self, interface: str) -> list[IPv4Network]:
        return [network for name, network in self.routes if name == interface]

    def of(self, interface: str) -> list[IPv4Interface]:
        return [address for name, address in self.addresses if name == interface]

    def public(self) -> Interface | None:
        return next((i for i in self.interfaces if i.role == PUBLIC), None)

    def guest_side(self) -> list[IPv4Address]:
        """The addresses of the guest interfaces, each once: where the metadata service listens."""
        guests = {i.name for i in self.interfaces if i.role == GUEST}
        return sorted({address.ip for name, address in self.addresses if name in guests})


def addresses_of(state: RouterState) -> RouterAddresses:
    """The addresses document's values for `state`, sorted."""
    out = state.public_interface
    public = [] if state.kind is RouterKind.SHARED else [Interface(out, PUBLIC)]
    interfaces = public + [Interface(t.interface, GUEST, t.uuid) for t in state.tiers]
    held = [(out, IPv4Interface(f"{ip.address}/{ip.subnet.prefixlen if ip.subnet else 32}")) for ip in state.public_ips]
    held += [(t.interface, IPv4Interface(f"{t.gateway}/{t.cidr.prefixlen}")) for t in state.tiers if t.holds_gateway]
    # Every tier reaches the metadata service at the well-known link-local address too (cloud-init's EC2 way).
    held += [(t.interface, IPv4Interface(f"{METADATA_ADDRESS}/32")) for t in state.tiers]
    return RouterAddresses(
        tuple(sorted(interfaces, key=lambda i: (i.role != PUBLIC, i.name))),
        tuple(sorted(held, key=lambda h: (h[0], h[1]))),
        state.public_gateway,
        tuple(sorted((t.interface, t.cidr) for t in state.tiers if not t.holds_gateway)),
    )


def render_addresses(state: RouterState) -> str:
    values = addresses_of(state)
    lines = [f"# nicstack virtual router {state.kind} {state.uuid}: interface addresses and routes", "forwarding on"]
    for interface in values.interfaces:
        lines.append(f"interface {interface.name} {interface.role}" + (
            f" {interface.network}" if interface.network else ""))
    lines += [f"address {name} {address}" for name, address in values.addresses]
    lines += [f"route {network} dev {name}" for name, network in values.routes]
    if values.gateway is not None:
        lines.append(f"route default via {values.gateway} dev {state.public_interface}")
    return "\n".join(lines) + "\n"


def parse(document: str) -> RouterAddresses:
    """The values of an addresses document; raises ValueError naming a line it does not understand."""
    interfaces: list[Interface] = []
    addresses: list[tuple[str, IPv4Interface]] = []
    gateway: IPv4Address | None = None
    routes: list[tuple[str, IPv4Network]] = []
    for number, raw in enumerate(document.splitlines(), 1):
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        try:
            match words:
                case ["forwarding", "on"]:
                    pass
                case ["interface", name, "public"]:
                    interfaces.append(Interface(name, PUBLIC))
                case ["interface", name, "guest", network]:
                    interfaces.append(Interface(name, GUEST, UUID(network)))
                case ["address", name, cidr]:
                    addresses.append((name, IPv4Interface(cidr)))
                case ["route", "default", "via", via, "dev", _]:
                    gateway = IPv4Address(via)
                case ["route", network, "dev", name]:
                    routes.append((name, IPv4Network(network)))
                case _:
                    raise ValueError("unknown statement")
        except ValueError as exc:
            raise ValueError(f"addresses document line {number} {raw!r}: {exc}") from None
    publics = sum(i.role == PUBLIC for i in interfaces)
    # Only a shared network's router (guest interfaces, no default route) goes without a public interface.
    if publics > 1 or (publics == 0 and (gateway is not None or not interfaces)):
        raise ValueError("the addresses document names no public interface, or more than one")
    known = {i.name for i in interfaces}
    if unknown := sorted({name for name, _ in [*addresses, *routes]} - known):
        raise ValueError(f"the addresses document gives addresses to undeclared interfaces: {', '.join(unknown)}")
    return RouterAddresses(tuple(interfaces), tuple(addresses), gateway, tuple(routes))
