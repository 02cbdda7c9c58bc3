"""The `iptables-restore` / `ip6tables-restore` documents of a security-group host, and its chain names.

The document holds our chains of the `filter` table (prefix `ns-`) and the one jump into them,
`FORWARD -> ns-sg`: the host's other rules (libvirt's, an operator's) are not ours, and the agent
loads the document per table with `--noflush` (`render.netfilter`), deleting chains of ours that
the document no longer names, such as those of a VM that left the host. `ns-sg` dispatches by bridge
port: frames *from* a VIF go through `ns-from-<nic>` (anti-spoofing by the NIC's set, then the
VM's egress rules in `ns-eg-<vm>`, which RETURN when allowed so that the destination VM's ingress
check still runs), frames *to* a VIF go through `ns-in-<vm>` (ACCEPT when a rule allows, else
DROP). Anything not to or from a VM falls back to FORWARD's ACCEPT policy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Literal

from nicstack.domain.vocabulary import Direction, Protocol
from nicstack.render.host_state import HostState, NicOnHost, Rule, VmOnHost
from nicstack.render.netfilter import PREFIX
from nicstack.render.sg_ipset import group_set_v4, group_set_v6, nic_set_v4, nic_set_v6, short_id

DISPATCH = f"{PREFIX}sg"
JUMP = f"-A FORWARD -m physdev --physdev-is-bridged -j {DISPATCH}"
Version = Literal[4, 6]
Devices = Callable[[NicOnHost], tuple[str, ...]]

_ESTABLISHED = "-m conntrack --ctstate RELATED,ESTABLISHED"
# DHCP and neighbour discovery happen before (or without) an allowed source address, and a
# guest must never act as the network's DHCP server or router: fixed rules around the spoof check.
_FROM_PRELUDE = {
    4: ["-p udp -m udp --sport 68 --dport 67 -j RETURN", "-p udp -m udp --sport 67 --dport 68 -j DROP"],
    6: [
        "-s ::/128 -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j RETURN",
        "-p ipv6-icmp -m icmp6 --icmpv6-type 134 -j DROP",
        "-p udp -m udp --sport 547 --dport 546 -j DROP",
    ],
}
_FROM_ALWAYS = {
    4: [],
    6: [
        "-p ipv6-icmp -m icmp6 --icmpv6-type 133 -j RETURN",
        "-p ipv6-icmp -m icmp6 --icmpv6-type 135 -j RETURN",
        "-p ipv6-icmp -m icmp6 --icmpv6-type 136 -j RETURN",
        "-p udp -m udp --sport 546 --dport 547 -j RETURN",
    ],
}
_TO_ALWAYS = {
    4: ["-p udp -m udp --sport 67 --dport 68 -j ACCEPT"],
    6: [
        "-p ipv6-icmp -m icmp6 --icmpv6-type 134 -j ACCEPT",
        "-p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT",
        "-p ipv6-icmp -m icmp6 --icmpv6-type 136 -j ACCEPT",
        "-p udp -m udp --sport 547 --dport 546 -j ACCEPT",
    ],
}


def from_chain(nic_uuid: str) -> str:
    return f"{PREFIX}from-{short_id(nic_uuid)}"


def egress_chain(vm_uuid: str) -> str:
    return f"{PREFIX}eg-{short_id(vm_uuid)}"


def ingress_chain(vm_uuid: str) -> str:
    return f"{PREFIX}in-{short_id(vm_uuid)}"


def comment(text: str) -> str:
    """A comment token safe to write unquoted: VM names are the guest's business, not the tokeniser's."""
    return re.sub(r"[^A-Za-z0-9._/-]", "_", text)[:64] or "_"


def render_iptables(state: HostState, devices: Devices, version: Version, header: str) -> str:
    """Our part of the filter table for one address family."""
    chains: dict[str, list[str]] = {DISPATCH: []}
    outbound: list[tuple[str, str]] = []
    inbound: list[tuple[str, str]] = []
    for vm in state.sorted_vms():
        chains[egress_chain(vm.uuid)] = _egress(state, vm, version)
        chains[ingress_chain(vm.uuid)] = _ingress(state, vm, version)
        for nic in vm.nics:
            chains[from_chain(nic.uuid)] = _from(nic, vm, version)
            note = comment(f"{vm.name}/{nic.device_id}")
            for device in devices(nic):
                outbound.append((device, f"--physdev-in {device} --physdev-is-bridged "
                                 f"-m comment --comment {note} -j {from_chain(nic.uuid)}"))
                inbound.append((device, f"--physdev-out {device} --physdev-is-bridged "
                                f"-m comment --comment {note} -j {ingress_chain(vm.uuid)}"))
    # Every source port is checked before any destination port: egress RETURNs, ingress decides.
    chains[DISPATCH] = [f"-m physdev {rule}" for _, rule in sorted(outbound) + sorted(inbound)]
    own = sorted(chains)
    lines = [f"# {header}", "*filter", *(f":{name} - [0:0]" for name in own), JUMP]
    lines += [f"-A {name} {rule}" for name in own for rule in chains[name]]
    return "\n".join([*lines, "COMMIT"]) + "\n"


def _from(nic: NicOnHost, vm: VmOnHost, version: Version) -> list[str]:
    own = nic_set_v4(nic.uuid) if version == 4 else nic_set_v6(nic.uuid)
    return [
        *_FROM_PRELUDE[version],
        f"-m set ! --match-set {own} src -j DROP",
        *_FROM_ALWAYS[version],
        f"-j {egress_chain(vm.uuid)}",
    ]


def _egress(state: HostState, vm: VmOnHost, version: Version) -> list[str]:
    rules = state.rules_of(vm, Direction.EGRESS)
    # CloudStack's contract: a VM whose groups have no egress rule may send anywhere; once one
    # exists, only what egress rules allow leaves.
    if not rules:
        return ["-j RETURN"]
    allowed = _unique(match for rule in rules for match in matches(rule, version))
    return [f"{_ESTABLISHED} -j RETURN", *(f"{m} -j RETURN" for m in allowed), "-j DROP"]


def _ingress(state: HostState, vm: VmOnHost, version: Version) -> list[str]:
    rules = state.rules_of(vm, Direction.INGRESS)
    allowed = _unique(match for rule in rules for match in matches(rule, version))
    return [f"{_ESTABLISHED} -j ACCEPT", *_TO_ALWAYS[version], *(f"{m} -j ACCEPT" for m in allowed), "-j DROP"]


def matches(rule: Rule, version: Version) -> list[str]:
    """The rule's match clauses in one family (one per CIDR of that family, or one for the group's set)."""
    protocol = _protocol(rule, version)
    if protocol is None:
        return []
    ingress = rule.direction is Direction.INGRESS
    if rule.group is not None:
        named = group_set_v4(rule.group) if version == 4 else group_set_v6(rule.group)
        peers = [f"-m set --match-set {named} {'src' if ingress else 'dst'}"]
    else:
        flag = "-s" if ingress else "-d"
        peers = [f"{flag} {cidr}" for cidr in sorted(c for c in rule.cidrs if c.version == version)]
    return [f"{peer} {protocol}".rstrip() for peer in peers]


def _protocol(rule: Rule, version: Version) -> str | None:
    """The protocol clause, or None when the rule means nothing in this family."""
    if rule.protocol in (Protocol.TCP, Protocol.UDP):
        text = f"-p {rule.protocol} -m {rule.protocol}"
        if rule.ports is not None:
            span = rule.ports.start if rule.ports.start == rule.ports.end else f"{rule.ports.start}:{rule.ports.end}"
            text += f" --dport {span}"
        return text
    if rule.protocol is Protocol.ALL:
        return ""
    icmp = rule.icmp
    if icmp is None or icmp.type == -1:
        return "-p icmp" if version == 4 else "-p ipv6-icmp"
    if version == 6:
        # ICMP type and code numbers are IPv4's: an "echo request" 8/0 means nothing in ICMPv6.
        return None
    return f"-p icmp -m icmp --icmp-type {icmp.type}" + ("" if icmp.code == -1 else f"/{icmp.code}")


def _unique(lines: Iterable[str]) -> list[str]:
    # Two groups of one VM may allow the same thing; a repeated ACCEPT is noise, and all these
    # rules are allows, so sorted order is as good as any and makes the output deterministic.
    return sorted(set(lines))
