"""Make a router's interfaces hold exactly the addresses its addresses document names, with forwarding on.

The interfaces the document names are the router's own (the operator hands them to the agent with
--public-dev and --guest-dev): on them the agent owns the global IPv4 addresses and the default
route. Link-local and IPv6 addresses are left alone; so is every other interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import IPv4Interface, IPv4Network

from nicstack.agent.shell import Shell
from nicstack.render.router_addresses import RouterAddresses


class Addresses:
    def __init__(self, shell: Shell) -> None:
        self.shell = shell

    def apply(self, wanted: RouterAddresses, names: Mapping[str, str]) -> list[str]:
        """Add the missing addresses, delete the extra ones, replace the default route; returns what changed."""
        self.shell.run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        commands: list[str] = []
        for interface in wanted.interfaces:
            device = names.get(interface.name, interface.name)
            commands.append(f"link set dev {device} up")
            live = self.held(device)
            want = set(wanted.of(interface.name))
            commands += [f"address del {a} dev {device}" for a in sorted(live - want)]
            commands += [f"address add {a} dev {device}" for a in sorted(want - live)]
            routed, route_want = self.routes(device), set(wanted.routes_of(interface.name))
            commands += [f"route del {n} dev {device} proto static" for n in sorted(routed - route_want)]
            commands += [f"route add {n} dev {device} proto static" for n in sorted(route_want - routed)]
        side = wanted.public()
        public = names.get(side.name, side.name) if side is not None else None
        if public is not None and wanted.gateway is not None and self.default_route() != (str(wanted.gateway), public):
            commands.append(f"route replace default via {wanted.gateway} dev {public}")
        changed = [c for c in commands if not c.startswith("link set")]
        self.shell.run(["ip", "-batch", "-"], stdin="".join(f"{c}\n" for c in commands))
        return changed

    def held(self, device: str) -> set[IPv4Interface]:
        """The global IPv4 addresses `device` holds now."""
        out = self.shell.run(["ip", "-4", "-o", "address", "show", "dev", device, "scope", "global"])
        words = out.split()
        return {IPv4Interface(words[i + 1]) for i, word in enumerate(words[:-1]) if word == "inet"}

    def routes(self, device: str) -> set[IPv4Network]:
        """The on-link routes of ours (proto static) via `device` now."""
        out = self.shell.run(["ip", "-4", "-o", "route", "show", "dev", device, "proto", "static", "scope", "link"])
        return {IPv4Network(line.split()[0]) for line in out.splitlines() if line.strip()}

    def default_route(self) -> tuple[str, str] | None:
        words = self.shell.run(["ip", "-4", "route", "show", "default"]).split()
        if "via" not in words or "dev" not in words:
            return None
        return words[words.index("via") + 1], words[words.index("dev") + 1]

    def fingerprint(self, wanted: RouterAddresses, names: Mapping[str, str]) -> str:
        held = {i.name: sorted(self.held(names.get(i.name, i.name))) for i in wanted.interfaces}
        routed = {i.name: sorted(self.routes(names.get(i.name, i.name))) for i in wanted.interfaces}
        return repr((sorted(held.items()), self.default_route(), sorted(routed.items())))
