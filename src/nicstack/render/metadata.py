"""The metadata a router serves its guests: every address of every NIC, secondary ones included.

The document is JSON, sorted, one entry per VM with a NIC in a network the router serves; the
agent's metadata server loads it and answers each VM from its own entry only, found by the
request's source address and the MAC the kernel saw it from (never by anything the VM sends).
What it answers lives in `render.metadata_paths`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from hashlib import sha256
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any
from uuid import UUID

# Where guests find the metadata service besides their router's own address (EC2's, and cloud-init's, choice).
METADATA_ADDRESS = IPv4Address("169.254.169.254")
_MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")


@dataclass(frozen=True, slots=True)
class NicMetadata:
    """One NIC as its VM sees it: MAC, device number, addresses (primary first) and on-link subnets."""

    mac: str
    device: int
    uuid: UUID
    network: UUID
    default: bool
    ipv4: tuple[IPv4Address, ...] = ()
    ipv4_subnet: IPv4Network | None = None
    ipv4_gateway: IPv4Address | None = None
    ipv6: tuple[IPv6Address, ...] = ()
    ipv6_subnet: IPv6Network | None = None
    ipv6_gateway: IPv6Address | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "mac", self.mac.lower())
        if not _MAC.fullmatch(self.mac):
            raise ValueError(f"{self.mac!r} is not a MAC address")
        if len(set(self.ipv4)) != len(self.ipv4) or len(set(self.ipv6)) != len(self.ipv6):
            raise ValueError(f"NIC {self.mac} lists an address twice")

    def holds(self, address: IPv4Address | IPv6Address) -> bool:
        return address in self.ipv4 or address in self.ipv6


@dataclass(frozen=True, slots=True)
class VmMetadata:
    uuid: UUID
    name: str
    zone: str
    service_offering: str
    nics: tuple[NicMetadata, ...]
    public_ipv4: IPv4Address | None = None
    user_data: str | None = None  # base64, as deployVirtualMachine took it

    def __post_init__(self) -> None:
        object.__setattr__(self, "nics", tuple(sorted(self.nics, key=lambda n: n.device)))
        if len({n.mac for n in self.nics}) != len(self.nics):
            raise ValueError(f"VM {self.name} has two NICs with one MAC")
        if self.user_data is not None:
            try:
                base64.b64decode(self.user_data, validate=True)
            except binascii.Error:
                raise ValueError(f"the user data of VM {self.name} is not base64") from None

    def nic(self, mac: str) -> NicMetadata | None:
        return next((n for n in self.nics if n.mac == mac), None)


@dataclass(frozen=True, slots=True)
class Metadata:
    """The whole document: the VMs of the networks one router serves."""

    vms: tuple[VmMetadata, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "vms", tuple(sorted(self.vms, key=lambda v: str(v.uuid))))

    def index(self) -> dict[tuple[str, IPv4Address | IPv6Address], VmMetadata]:
        """(MAC, address) -> the VM: how a request is matched to the only entry it may read."""
        found: dict[tuple[str, IPv4Address | IPv6Address], VmMetadata] = {}
        for vm in self.vms:
            for nic in vm.nics:
                found |= {(nic.mac, address): vm for address in nic.ipv4}
                found |= {(nic.mac, address): vm for address in nic.ipv6}
        return found


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def nic_data(*, mac: str, device: int, uuid: str, network: str, default: bool, ipv4: list[str],
             ipv4_subnet: str | None, ipv4_gateway: str | None, ipv6: list[str], ipv6_subnet: str | None,
             ipv6_gateway: str | None) -> dict[str, Any]:
    """One NIC of an entry, from the texts it writes: what `entry_of` takes, the only place its keys are named."""
    return {"mac": mac, "device": device, "uuid": uuid, "network": network, "default": default, "ipv4": ipv4,
            "ipv4_subnet": ipv4_subnet, "ipv4_gateway": ipv4_gateway, "ipv6": ipv6, "ipv6_subnet": ipv6_subnet,
            "ipv6_gateway": ipv6_gateway}


def entry_of(*, uuid: str, name: str, zone: str, service_offering: str, public_ipv4: str | None,
             user_data: str | None, nics: list[dict[str, Any]]) -> str:
    """One VM's entry, from the texts it writes (NICs by device): a line of sorted, compact JSON.

    The metadata pass renders a changed VM's entry from its rows' texts with this, without building
    typed values first (a VM may hold hundreds of addresses); `vm_entry` gives the same line from them.
    """
    data = {"uuid": uuid, "name": name, "zone": zone, "service_offering": service_offering,
            "public_ipv4": public_ipv4, "user_data": user_data, "nics": nics}
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def vm_entry(vm: VmMetadata) -> str:
    """One VM's entry: a line of sorted, compact JSON (the server stores it per router and VM)."""
    nics = [nic_data(mac=n.mac, device=n.device, uuid=str(n.uuid), network=str(n.network), default=n.default,
                     ipv4=[str(a) for a in n.ipv4], ipv4_subnet=_text(n.ipv4_subnet),
                     ipv4_gateway=_text(n.ipv4_gateway), ipv6=[str(a) for a in n.ipv6],
                     ipv6_subnet=_text(n.ipv6_subnet), ipv6_gateway=_text(n.ipv6_gateway)) for n in vm.nics]
    return entry_of(uuid=str(vm.uuid), name=vm.name, zone=vm.zone, service_offering=vm.service_offering,
                    public_ipv4=_text(vm.public_ipv4), user_data=vm.user_data, nics=nics)


def document_of(entries: Iterable[str]) -> str:
    """The document from its VMs' entries in uuid order: one entry per line, so equal states give equal bytes."""
    return '{"vms":[\n' + ",\n".join(entries) + "\n]}\n"


def render_metadata(metadata: Metadata) -> str:
    return document_of(vm_entry(vm) for vm in metadata.vms)


def _sha(text: str) -> int:
    return int.from_bytes(sha256(text.encode()).digest(), "big")


def part_hash(nic_uuid: str, address: str) -> int:
    """The hash of one address of one NIC, as an entry's hash counts it."""
    return _sha(f"{nic_uuid} {address}")


def _compact(data: Mapping[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def split_entry(entry: str) -> tuple[str, list[tuple[str, str]]]:
    """An entry's base (each NIC with no address) and its parts: (NIC uuid, address), in the entry's order."""
    data = json.loads(entry)
    parts: list[tuple[str, str]] = []
    for nic in data["nics"]:
        parts += [(nic["uuid"], address) for address in (*nic["ipv4"], *nic["ipv6"])]
        nic["ipv4"], nic["ipv6"] = [], []
    return _compact(data), parts


def assemble(base: str, addresses: Mapping[str, list[str]]) -> str:
    """The entry from its base and each NIC's addresses in order (NIC uuid -> texts): `split_entry` undone.
    A NIC `addresses` does not name keeps what the base lists."""
    if not addresses:
        return base
    data = json.loads(base)
    for nic in data["nics"]:
        held = addresses.get(nic["uuid"])
        if held is not None:
            nic["ipv4"] = [a for a in held if ":" not in a]
            nic["ipv6"] = [a for a in held if ":" in a]
    return _compact(data)


def base_hash(base: str) -> int:
    return _sha(base)


def entry_hash(entry: str) -> int:
    """The entry's base's hash plus one per address (`part_hash`): an address added to or taken from a NIC
    moves it by that address's hash alone, so a router's sum follows it without the VM's other addresses."""
    base, parts = split_entry(entry)
    return base_hash(base) + sum(part_hash(nic, address) for nic, address in parts)


def sum_digest(total: int) -> str:
    """The digest of a set of entries: the sum of their hashes, so one entry's change updates it in O(1)."""
    return f"{total % 2**256:064x}"


def metadata_digest(document: str) -> str:
    """What `sum_digest` gives for the entries of a document `document_of` wrote (any other text: its hash)."""
    lines = document.split("\n")
    if len(lines) < 3 or lines[0] != '{"vms":[' or lines[-2:] != ["]}", ""]:
        return sha256(document.encode()).hexdigest()
    return sum_digest(sum(entry_hash(line.removesuffix(",")) for line in lines[1:-2] if line))


def _optional(value: Any, parse: Any) -> Any:
    return None if value is None else parse(value)


def _nic(data: Mapping[str, Any]) -> NicMetadata:
    return NicMetadata(
        mac=str(data["mac"]), device=int(data["device"]), uuid=UUID(str(data["uuid"])),
        network=UUID(str(data["network"])),
        default=bool(data["default"]),
        ipv4=tuple(IPv4Address(a) for a in data["ipv4"]), ipv4_subnet=_optional(data["ipv4_subnet"], IPv4Network),
        ipv4_gateway=_optional(data["ipv4_gateway"], IPv4Address),
        ipv6=tuple(IPv6Address(a) for a in data["ipv6"]), ipv6_subnet=_optional(data["ipv6_subnet"], IPv6Network),
        ipv6_gateway=_optional(data["ipv6_gateway"], IPv6Address),
    )


def parse_vm(data: Mapping[str, Any]) -> VmMetadata:
    """One VM's entry of a document; raises ValueError saying what is wrong with it."""
    try:
        return VmMetadata(uuid=UUID(str(data["uuid"])), name=str(data["name"]), zone=str(data["zone"]),
                          service_offering=str(data["service_offering"]),
                          public_ipv4=_optional(data["public_ipv4"], IPv4Address), user_data=data["user_data"],
                          nics=tuple(_nic(n) for n in data["nics"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the metadata document is not valid: {type(exc).__name__}: {exc}") from None


def parse_metadata(document: str) -> Metadata:
    """The values of a document; raises ValueError saying what is wrong with it."""
    return Metadata(tuple(parse_vm(vm) for vm in entries(document)))


def entries(document: str) -> list[Mapping[str, Any]]:
    """The VMs' entries of a document, unparsed: a server indexes them by MAC and address text, then parses
    only the entry of the VM that asks (parsing every address of a large document takes a while)."""
    try:
        vms = json.loads(document)["vms"]
        if not isinstance(vms, list) or not all(isinstance(vm, dict) for vm in vms):
            raise TypeError("vms is not a list of objects")
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the metadata document is not valid: {type(exc).__name__}: {exc}") from None
    return vms


def keys_of(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(MAC, address) of every NIC address of an unparsed entry, as the document writes them."""
    try:
        return [(str(nic["mac"]), str(a)) for nic in entry["nics"] for a in (*nic["ipv4"], *nic["ipv6"])]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the metadata document is not valid: {type(exc).__name__}: {exc}") from None
