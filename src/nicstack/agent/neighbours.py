"""Keep the router's ARP cache in step with where the cloud says each guest address lives.

When an address moves to another VM (`addIpToNic ... allowreassignment=true`), the router still
holds the old VM's MAC for it and, until that entry ages out and re-resolves (several seconds),
sends the address's traffic to the old VM. The metadata document names every NIC's MAC and
addresses, so after each change the agent rewrites the entries that name another MAC: traffic
follows the move at once. Entries for addresses the cloud does not list are left alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from ipaddress import IPv4Address
from uuid import UUID

from nicstack.agent.shell import Shell
from nicstack.render.metadata import Metadata


def expected(metadata: Metadata, devices: Mapping[UUID, str]) -> dict[tuple[str, IPv4Address], str]:
    """(router device, guest IPv4 address) -> the MAC of the NIC the cloud gave it to."""
    found: dict[tuple[str, IPv4Address], str] = {}
    for vm in metadata.vms:
        for nic in vm.nics:
            device = devices.get(nic.network)
            if device is not None:
                found |= {(device, address): nic.mac for address in nic.ipv4}
    return found


class Neighbours:
    def __init__(self, shell: Shell) -> None:
        self.shell = shell

    def correct(self, metadata: Metadata, devices: Mapping[UUID, str]) -> list[str]:
        """Rewrite each cached entry whose MAC is not the one the cloud names; returns what was rewritten."""
        wanted = expected(metadata, devices)
        fixes: list[str] = []
        for entry in json.loads(self.shell.run(["ip", "-4", "-j", "neigh", "show"]) or "[]"):
            key = (str(entry.get("dev", "")), IPv4Address(entry["dst"]))
            mac = wanted.get(key)
            held = str(entry.get("lladdr", "")).lower()
            if mac is not None and held and held != mac:
                # STALE: used at once, and confirmed by the kernel's own probe before it is trusted for long.
                fixes.append(f"neigh replace {entry['dst']} lladdr {mac} dev {key[0]} nud stale")
        if fixes:
            self.shell.run(["ip", "-batch", "-"], stdin="".join(f"{f}\n" for f in fixes))
        return [f.split(" dev ")[0].removeprefix("neigh replace ") for f in fixes]
