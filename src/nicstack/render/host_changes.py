"""The incremental change between two desired states of one host, or a marker that only whole documents do.

A secondary IP added or removed changes set members and one ARP rule, nothing else: sending the
whole documents again would re-send every rule of every VM on the host, and a group with a
thousand members would make each of its members' changes a thousand-line reload on every host
that references it. So when the two states share their structure (same VMs, NICs, devices, MACs,
groups and rules; `HostState.structure`), the change set is a few lines per changed address;
when anything structural moved it says `full` and the caller sends `render_host`'s documents.

Apply a change set with `ipset restore` (`ipset_batch`), then `ebtables-restore --noflush`
(`ebtables_batch`: one transaction). The ipset lines use `-exist` and may be replayed; the ARP
lines insert and delete rules, so apply each change set once, on top of the state it was computed
from (the per-host generation number tells the agent whether it is).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address

from nicstack.render.host_state import HostState
from nicstack.render.sg_ebtables import TABLE, arp_allow, arp_chain
from nicstack.render.sg_ipset import group_set_v4, group_set_v6, nic_set_v4, nic_set_v6, nic_v6_members


class Tool(StrEnum):
    IPSET = "ipset"
    EBTABLES = "ebtables"


@dataclass(frozen=True, slots=True)
class Change:
    """One line for one tool: an `ipset restore` command, or an ebtables rule command for the nat table."""

    tool: Tool
    line: str


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Either `full` (send the whole documents; `reason` says why) or the few lines that get there."""

    full: bool
    changes: tuple[Change, ...] = ()
    reason: str = ""

    def lines(self, tool: Tool) -> list[str]:
        return [change.line for change in self.changes if change.tool is tool]

    def ipset_batch(self) -> str:
        """The ipset lines as an `ipset restore` document."""
        return "".join(f"{line}\n" for line in self.lines(Tool.IPSET))

    def ebtables_batch(self) -> str:
        """The ARP lines as one `ebtables-restore --noflush` transaction on the nat table."""
        rules = self.lines(Tool.EBTABLES)
        return "".join(f"{line}\n" for line in [f"*{TABLE}", *rules, "COMMIT"]) if rules else ""


def changes(old: HostState, new: HostState) -> ChangeSet:
    """What turns a host loaded with `old` into one enforcing `new`."""
    before, after = old.structure(), new.structure()
    if before != after:
        what = "VMs, NICs or their devices" if before[0] != after[0] else "group rules"
        return ChangeSet(full=True, reason=f"{what} changed on the host: the whole documents are needed")
    ipset: list[str] = []
    arp: list[str] = []
    previous = {nic.uuid: nic for nic in old.nics()}
    for nic in new.nics():
        was = previous[nic.uuid]
        ipset += _members(nic_set_v4(nic.uuid), was.ipv4, nic.ipv4)
        ipset += _members(nic_set_v6(nic.uuid), nic_v6_members(was), nic_v6_members(nic))
        chain = arp_chain(nic.uuid)
        arp += [f"-D {chain} {arp_allow(nic, a)}" for a in sorted(was.ipv4 - nic.ipv4)]
        arp += [f"-I {chain} 1 {arp_allow(nic, a)}" for a in sorted(nic.ipv4 - was.ipv4)]
    for uuid in new.referenced():
        was_group, group = old.members(uuid), new.members(uuid)
        ipset += _members(group_set_v4(uuid), was_group.ipv4, group.ipv4)
        ipset += _members(group_set_v6(uuid), was_group.ipv6, group.ipv6)
    lines = [Change(Tool.IPSET, line) for line in ipset] + [Change(Tool.EBTABLES, line) for line in arp]
    return ChangeSet(full=False, changes=tuple(lines))


Addresses = Collection[IPv4Address | IPv6Address]


def _members(name: str, was: Addresses, now: Addresses) -> list[str]:
    """`del` then `add` lines for one set; each call sees one family, so integer order is address order."""
    gone, came = sorted(set(was) - set(now), key=int), sorted(set(now) - set(was), key=int)
    return [f"del {name} {a} -exist" for a in gone] + [f"add {name} {a} -exist" for a in came]
