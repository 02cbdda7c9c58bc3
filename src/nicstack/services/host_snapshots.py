"""A host's desired state as canonical JSON and back: what a published generation stores, and its digest."""

from __future__ import annotations

import hashlib
import json
from ipaddress import IPv4Address, IPv6Address, ip_network
from typing import Any

from nicstack.domain.vocabulary import Direction, IcmpMatch, PortRange, Protocol
from nicstack.render.host_changes import Change, ChangeSet, Tool
from nicstack.render.host_state import GroupMembers, HostState, NicOnHost, Rule, SecurityGroup, VmOnHost

JsonObject = dict[str, Any]


def _v4(values: Any) -> list[str]:
    return [str(a) for a in sorted(values)]


def _rule(rule: Rule) -> JsonObject:
    return {
        "direction": str(rule.direction), "protocol": str(rule.protocol),
        "ports": [rule.ports.start, rule.ports.end] if rule.ports else None,
        "icmp": [rule.icmp.type, rule.icmp.code] if rule.icmp else None,
        "cidrs": sorted(str(c) for c in rule.cidrs), "group": rule.group,
    }


def to_json(state: HostState) -> JsonObject:
    """Plain, sorted data: equal states give equal JSON text."""
    return {
        "vms": [
            {"uuid": vm.uuid, "name": vm.name, "groups": sorted(vm.groups), "nics": [
                {"uuid": n.uuid, "device_id": n.device_id, "mac": n.mac, "vif": n.vif,
                 "ipv4": _v4(n.ipv4), "ipv6": _v4(n.ipv6)}
                for n in sorted(vm.nics, key=lambda n: n.uuid)
            ]}
            for vm in state.sorted_vms()
        ],
        "groups": [
            {"uuid": g.uuid, "name": g.name, "rules": sorted((_rule(r) for r in g.rules), key=json.dumps)}
            for g in sorted(state.groups, key=lambda g: g.uuid)
        ],
        "references": [
            {"uuid": g.uuid, "name": g.name, "ipv4": _v4(g.ipv4), "ipv6": _v4(g.ipv6)}
            for g in sorted(state.references, key=lambda g: g.uuid)
        ],
    }


def _from_rule(data: JsonObject) -> Rule:
    ports = PortRange(*data["ports"]) if data["ports"] else None
    icmp = IcmpMatch(*data["icmp"]) if data["icmp"] else None
    cidrs = tuple(ip_network(c) for c in data["cidrs"])
    return Rule(Direction(data["direction"]), Protocol(data["protocol"]), ports, icmp, cidrs, data["group"])


def from_json(data: JsonObject) -> HostState:
    vms = tuple(
        VmOnHost(vm["uuid"], vm["name"], tuple(vm["groups"]), tuple(
            NicOnHost(n["uuid"], n["device_id"], n["mac"], n["vif"], frozenset(map(IPv4Address, n["ipv4"])),
                      frozenset(map(IPv6Address, n["ipv6"])))
            for n in vm["nics"]
        ))
        for vm in data["vms"]
    )
    groups = tuple(SecurityGroup(g["uuid"], g["name"], tuple(_from_rule(r) for r in g["rules"]))
                   for g in data["groups"])
    references = tuple(GroupMembers(g["uuid"], g["name"], frozenset(map(IPv4Address, g["ipv4"])),
                                    frozenset(map(IPv6Address, g["ipv6"]))) for g in data["references"])
    return HostState(vms, groups, references)


def canonical(data: JsonObject) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def digest(data: JsonObject) -> str:
    return hashlib.sha256(canonical(data).encode()).hexdigest()


def changes_to_json(changes: ChangeSet) -> JsonObject:
    return {"full": changes.full, "reason": changes.reason, "ipset": changes.lines(Tool.IPSET),
            "ebtables": changes.lines(Tool.EBTABLES)}


def changes_from_json(data: JsonObject) -> ChangeSet:
    lines = [Change(Tool.IPSET, line) for line in data["ipset"]] + [
        Change(Tool.EBTABLES, line) for line in data["ebtables"]]
    return ChangeSet(data["full"], tuple(lines), data["reason"])
