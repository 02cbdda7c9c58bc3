"""The `Applier` interface and its two namespace appliers: a virtual router's and a security-group host's.

An applier takes one published generation (whole documents, or a host's change lines on top of the
generation it holds) and makes the kernel hold it, or raises ApplyError and leaves each table as
it was. After a whole apply it remembers how the kernel shows our part (fingerprints), so
`drifted` can tell when someone else changed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from uuid import UUID

from nicstack.agent.addresses import Addresses
from nicstack.agent.haproxy import Haproxy
from nicstack.agent.ipsets import Sets
from nicstack.agent.metadata import MetadataProcess
from nicstack.agent.neighbours import Neighbours
from nicstack.agent.netfilter import BRIDGE, IPV4, IPV6, Tables
from nicstack.agent.shell import ApplyError, Shell
from nicstack.render.devices import rename
from nicstack.render.metadata import parse_metadata
from nicstack.render.netfilter import PREFIX
from nicstack.render.router_addresses import PUBLIC, Interface
from nicstack.render.router_addresses import parse as parse_addresses
from nicstack.render.security_groups import parse_vifs


@dataclass(frozen=True, slots=True)
class Update:
    """One published generation: whole `documents`, or `changes` (host only) on top of generation `since`."""

    generation: int
    digest: str
    documents: Mapping[str, str] | None = None
    changes: Mapping[str, str] | None = None
    since: int | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    generation: int
    digest: str
    did: tuple[str, ...] = ()


class Applier(Protocol):
    """What every data-plane backend offers the agent's loop."""

    def apply(self, update: Update, *, force: bool = False) -> Applied:
        """Make the kernel hold `update`; `force` re-applies even what looks unchanged. Raises ApplyError."""
        ...

    def drifted(self) -> str | None:
        """Why the kernel no longer holds what was last applied, or None when it does."""
        ...


def _documents(update: Update, names: tuple[str, ...]) -> Mapping[str, str]:
    docs = update.documents
    if docs is None or any(name not in docs for name in names):
        raise ApplyError(f"generation {update.generation} came without the documents {', '.join(names)}")
    return docs


@dataclass
class RouterApplier:
    """A virtual router in one namespace: its interfaces' addresses, its iptables chains, its haproxy."""

    shell: Shell
    run_dir: Path
    public_dev: str | None = None
    guest_devs: Mapping[UUID, str] = field(default_factory=dict)
    _held: dict[str, str] = field(default_factory=dict)
    _prints: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.addresses = Addresses(self.shell)
        self.tables = Tables(self.shell, IPV4)
        self.haproxy = Haproxy(self.shell, self.run_dir)
        self.metadata = MetadataProcess(self.shell, self.run_dir)
        self.neighbours = Neighbours(self.shell)

    def apply(self, update: Update, *, force: bool = False) -> Applied:
        docs = _documents(update, ("addresses", "iptables", "haproxy", "metadata"))
        try:
            wanted = parse_addresses(docs["addresses"])
        except ValueError as exc:
            raise ApplyError(str(exc)) from None
        names = self._names(wanted.interfaces)
        iptables = rename(docs["iptables"], names)
        did: list[str] = []
        # Addresses first: haproxy binds the public addresses, the rules name the interfaces.
        if force or self._held.get("addresses") != docs["addresses"] or self._held.get("names") != repr(names):
            did += self.addresses.apply(wanted, names)
            self._held.update(addresses=docs["addresses"], names=repr(names))
            self._prints["addresses"] = self.addresses.fingerprint(wanted, names)
        if force or self._held.get("iptables") != iptables:
            self._prints["iptables"] = _tables(self.tables, iptables)
            self._held["iptables"] = iptables
            did.append("iptables")
        outcome = self.haproxy.apply(docs["haproxy"])
        if outcome != "unchanged":
            did.append(f"haproxy {outcome}")
        if force:
            self.metadata.stop()
        outcome = self.metadata.apply(docs["metadata"], wanted.guest_side())
        if outcome != "unchanged":
            did.append(f"metadata {outcome}")
            moved = self.neighbours.correct(parse_metadata(docs["metadata"]), self.guest_devs)
            did += [f"neighbour {m}" for m in moved]
        return Applied(update.generation, update.digest, tuple(did))

    def stop(self) -> None:
        """Stop the router's services (haproxy, metadata): the router is going away."""
        self.haproxy.stop()
        self.metadata.stop()

    def _names(self, interfaces: tuple[Interface, ...]) -> dict[str, str]:
        """The document's interface names -> this machine's devices (--public-dev, --guest-dev)."""
        names: dict[str, str] = {}
        for interface in interfaces:
            if interface.role == PUBLIC and self.public_dev:
                names[interface.name] = self.public_dev
            elif interface.network is not None and interface.network in self.guest_devs:
                names[interface.name] = self.guest_devs[interface.network]
        return names

    def drifted(self) -> str | None:
        if "iptables" in self._prints and self.tables.fingerprint() != self._prints["iptables"]:
            return "the router's iptables chains were changed by someone else"
        if "addresses" in self._held:
            wanted = parse_addresses(self._held["addresses"])
            if self.addresses.fingerprint(wanted, self._names(wanted.interfaces)) != self._prints.get("addresses"):
                return "the router's interface addresses or default route were changed"
        if self._held and self.haproxy.digest() is None:
            return "haproxy is not running"
        if self._held and not self.metadata.running():
            return "the metadata service is not running"
        return None


def _tables(tables: Tables, document: str) -> str:
    try:
        return tables.apply(document)
    except ValueError as exc:
        raise ApplyError(f"{tables.family.name} document refused: {exc}") from None


@dataclass
class HostApplier:
    """A security-group host in one namespace: ipsets, iptables and ip6tables chains, ebtables ARP chains."""

    shell: Shell
    bridge: str | None = None
    vifs: Mapping[str, str] = field(default_factory=dict)  # guest MAC -> device, given by the operator
    _prints: dict[str, str] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)
    _macs: dict[str, str] = field(default_factory=dict)
    _stale: bool = False

    def __post_init__(self) -> None:
        self.sets = Sets(self.shell)
        self.v4, self.v6, self.arp = (Tables(self.shell, family) for family in (IPV4, IPV6, BRIDGE))

    def apply(self, update: Update, *, force: bool = False) -> Applied:
        del force  # a whole host apply always rebuilds every table of ours
        if update.changes is not None:
            # Set members first: an ARP rule never allows an address its NIC's set lacks.
            self.sets.batch(update.changes.get("ipset", ""))
            self.arp.batch(update.changes.get("ebtables", ""))
            self._stale = True
            return Applied(update.generation, update.digest, ("ipset changes", "ebtables changes"))
        docs = _documents(update, ("ipset", "iptables", "ip6tables", "ebtables", "vifs"))
        self._bridge_netfilter()
        try:
            self._macs = parse_vifs(docs["vifs"])
        except ValueError as exc:
            raise ApplyError(str(exc)) from None
        self._names = self.devices()
        self.sets.apply(docs["ipset"])
        self._prints["iptables"] = _tables(self.v4, rename(docs["iptables"], self._names))
        self._prints["ip6tables"] = _tables(self.v6, rename(docs["ip6tables"], self._names))
        self._prints["ebtables"] = _tables(self.arp, rename(docs["ebtables"], self._names))
        gone = self.sets.collect(docs["ipset"])
        self._prints["ipset"] = self.sets.fingerprint()
        self._stale = False
        return Applied(update.generation, update.digest,
                       ("ipset", "iptables", "ip6tables", "ebtables", *(f"destroyed {name}" for name in gone)))

    def devices(self) -> dict[str, str]:
        """Each published VIF's device here: the operator's --vif, else libvirt's tap (the guest MAC with `fe:`).

        A VIF without a device here (its VM not plugged in yet) gets a name no device has: the control
        plane's guess at a device name (`vnet<N>`) may well be another NIC's tap on this machine.
        """
        local = self._links()
        names: dict[str, str] = {}
        for index, (vif, mac) in enumerate(sorted(self._macs.items()), 1):
            found = self.vifs.get(mac) or local.get("fe" + mac[2:])
            names[vif] = found or f"{PREFIX}absent{index}"
        return names

    def _links(self) -> dict[str, str]:
        """MAC -> device of the bridge's ports (every link without --bridge)."""
        argv = ["ip", "-o", "link", "show"] + (["master", self.bridge] if self.bridge else [])
        found: dict[str, str] = {}
        for line in self.shell.run(argv).splitlines():
            words = line.split()
            if len(words) > 2 and "link/ether" in words:
                found[words[words.index("link/ether") + 1].lower()] = words[1].rstrip(":").split("@")[0]
        return found

    def _bridge_netfilter(self) -> None:
        # Bridged frames reach iptables only with these on; without them every rule of ours is dead.
        self.shell.run(["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=1",
                        "net.bridge.bridge-nf-call-ip6tables=1"])

    def drifted(self) -> str | None:
        if not self._prints:
            return None
        if self._stale:
            # Change lines were applied since the last reading: take the kernel's word as the new reference.
            self._prints.update(iptables=self.v4.fingerprint(), ip6tables=self.v6.fingerprint(),
                                ebtables=self.arp.fingerprint(), ipset=self.sets.fingerprint())
            self._stale = False
        if self.devices() != self._names:
            return "a NIC's device appeared, disappeared or changed"
        for name, tables in (("iptables", self.v4), ("ip6tables", self.v6), ("ebtables", self.arp)):
            if tables.fingerprint() != self._prints[name]:
                return f"the host's {name} chains were changed by someone else"
        if self.sets.fingerprint() != self._prints["ipset"]:
            return "the host's ipsets were changed by someone else"
        return None
