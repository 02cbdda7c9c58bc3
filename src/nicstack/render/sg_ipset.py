"""The `ipset restore` document of a security-group host, and the names of its sets.

Names: `ns-n4-<id>` / `ns-n6-<id>` hold a NIC's own addresses, `ns-g4-<id>` / `ns-g6-<id>` a
referenced group's member addresses, where <id> is `short_id(uuid)`: 12 hex digits of the uuid's
SHA-256. uuids and VM names are unbounded, the kernel's set names are not (31 characters); a hash
keeps every name at 17 characters (19 with the `-t` swap suffix) and stable across restarts.
48 bits make a clash on one host (a few thousand NICs and groups) a ~1e-8 event.

Atomic replacement, per set: `create <name> -exist` (so the swap below has a partner on an empty
host, and is a no-op when the set is there), build the complete member list in `<name>-t`, `swap`
it with the live set (atomic in the kernel; iptables rules keep pointing at <name>), then `destroy`
the old members now under the temporary name. The same document therefore loads on an empty host
and on one that already has the sets, and a rule never sees a half-filled set. Sets of ours that a
document no longer keeps are destroyed by `garbage`, once no rule names them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv6Address

from nicstack.render.host_state import HostState, NicOnHost
from nicstack.render.netfilter import PREFIX

SWAP_SUFFIX = "-t"
# Explicit sizes so `create -exist` compares equal to what an earlier load created.
_V4 = "hash:ip family inet hashsize 1024 maxelem 65536"
_V6 = "hash:ip family inet6 hashsize 1024 maxelem 65536"


def short_id(uuid: str) -> str:
    """A 12-hex-digit stable stand-in for a uuid in kernel object names."""
    return hashlib.sha256(uuid.encode()).hexdigest()[:12]


def nic_set_v4(nic_uuid: str) -> str:
    return f"{PREFIX}n4-{short_id(nic_uuid)}"


def nic_set_v6(nic_uuid: str) -> str:
    return f"{PREFIX}n6-{short_id(nic_uuid)}"


def group_set_v4(group_uuid: str) -> str:
    return f"{PREFIX}g4-{short_id(group_uuid)}"


def group_set_v6(group_uuid: str) -> str:
    return f"{PREFIX}g6-{short_id(group_uuid)}"


def nic_v6_members(nic: NicOnHost) -> list[IPv6Address]:
    """The NIC's IPv6 allow-list: its addresses plus its MAC-derived link-local (needed for neighbour discovery)."""
    return sorted({*nic.ipv6, nic.link_local})


def host_sets(state: HostState) -> list[tuple[str, str, list[IPv4Address] | list[IPv6Address]]]:
    """Every set the host needs as (name, type, sorted members), sorted by name."""
    sets: list[tuple[str, str, list[IPv4Address] | list[IPv6Address]]] = []
    for nic in state.nics():
        sets.append((nic_set_v4(nic.uuid), _V4, sorted(nic.ipv4)))
        sets.append((nic_set_v6(nic.uuid), _V6, nic_v6_members(nic)))
    for uuid in state.referenced():
        group = state.members(uuid)
        sets.append((group_set_v4(uuid), _V4, sorted(group.ipv4)))
        sets.append((group_set_v6(uuid), _V6, sorted(group.ipv6)))
    return sorted(sets, key=lambda s: s[0])


def render_ipset(state: HostState, header: str) -> str:
    """The whole `ipset restore` document: create-if-missing, fill a twin, swap, destroy the twin."""
    lines = [f"# {header}"]
    for name, kind, members in host_sets(state):
        lines.extend(_replace_set(name, kind, members))
    return "\n".join(lines) + "\n"


def _replace_set(name: str, kind: str, members: Iterable[IPv4Address | IPv6Address]) -> list[str]:
    temporary = name + SWAP_SUFFIX
    return [
        f"create {name} {kind} -exist",
        f"create {temporary} {kind} -exist",
        # A twin left by an interrupted earlier load still holds old members: start it empty.
        f"flush {temporary}",
        *(f"add {temporary} {address}" for address in members),
        f"swap {temporary} {name}",
        f"destroy {temporary}",
    ]


def created_sets(document: str) -> set[str]:
    """The sets an `ipset restore` document of ours keeps (its swap twins are destroyed as it loads)."""
    names = {line.split()[1] for line in document.splitlines() if line.startswith("create ")}
    return {name for name in names if not name.endswith(SWAP_SUFFIX)}


def garbage(live: Iterable[str], document: str) -> str:
    """`ipset restore` lines destroying every live set of ours that `document` does not keep.

    A NIC that left the host, or a group no rule names any more, leaves its sets behind otherwise.
    Load this after the iptables documents that stopped naming them: the kernel refuses to destroy
    a set a rule still uses.
    """
    kept = created_sets(document)
    stale = sorted(name for name in live if name.startswith(PREFIX) and name not in kept)
    return "".join(f"destroy {name}\n" for name in stale)
