"""What the metadata service answers one VM: CloudStack's paths, EC2's per-MAC addresses, a cloud-init network-config.

CloudStack's cloud-init datasource reads `/latest/meta-data/<key>` and `/latest/user-data` from the
router; EC2's datasource and ec2-net-utils read `network/interfaces/macs/<mac>/local-ipv4s`, which
lists a NIC's primary address first and then its secondary ones: that is how a guest learns the
addresses `addIpToNic` reserved. `local-ipv4` and `mac` answer for the NIC the request came in on
(the network this router serves), as CloudStack's router does. Pure: a request in, an answer out.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from nicstack.render.metadata import NicMetadata, VmMetadata

_VERSION = re.compile(r"latest|\d{4}-\d{2}-\d{2}")
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    content_type: str = TEXT


NOT_FOUND = Answer(404, b"Not Found\n")


def _text(lines: list[str]) -> Answer:
    return Answer(200, "\n".join(lines).encode())


def _listing(entries: dict[str, Any]) -> Answer:
    """A directory: its keys, sub-directories with a trailing slash, as EC2 lists them."""
    return _text([f"{k}/" if isinstance(v, dict) else k for k, v in sorted(entries.items())])


def _nic_entries(vm: VmMetadata, nic: NicMetadata) -> dict[str, Any]:
    entries: dict[str, Any] = {
        "device-number": str(nic.device), "interface-id": str(nic.uuid), "local-hostname": vm.name,
        "mac": nic.mac,
    }
    if nic.ipv4:
        entries["local-ipv4s"] = "\n".join(str(a) for a in nic.ipv4)
    if nic.ipv4_subnet is not None:
        entries["subnet-ipv4-cidr-block"] = str(nic.ipv4_subnet)
    if nic.ipv6:
        entries["ipv6s"] = "\n".join(str(a) for a in nic.ipv6)
    if nic.ipv6_subnet is not None:
        entries["subnet-ipv6-cidr-blocks"] = str(nic.ipv6_subnet)
    return entries


def _meta_data(vm: VmMetadata, asking: NicMetadata) -> dict[str, Any]:
    tree: dict[str, Any] = {
        "availability-zone": vm.zone, "placement": {"availability-zone": vm.zone},
        "instance-id": str(vm.uuid), "vm-id": str(vm.uuid), "local-hostname": vm.name, "hostname": vm.name,
        "service-offering": vm.service_offering, "mac": asking.mac,
        "network": {"interfaces": {"macs": {nic.mac: _nic_entries(vm, nic) for nic in vm.nics}}},
    }
    if asking.ipv4:
        tree["local-ipv4"] = str(asking.ipv4[0])
    if vm.public_ipv4 is not None:
        tree["public-ipv4"] = str(vm.public_ipv4)
    return tree


def network_config(vm: VmMetadata) -> dict[str, Any]:
    """cloud-init's network-config version 2: each NIC matched by MAC with every address it holds."""
    ethernets: dict[str, Any] = {}
    for nic in vm.nics:
        addresses = [f"{a}/{nic.ipv4_subnet.prefixlen if nic.ipv4_subnet else 32}" for a in nic.ipv4]
        addresses += [f"{a}/{nic.ipv6_subnet.prefixlen if nic.ipv6_subnet else 128}" for a in nic.ipv6]
        entry: dict[str, Any] = {"match": {"macaddress": nic.mac}, "addresses": addresses}
        routes = [{"to": to, "via": str(via)} for to, via in (("0.0.0.0/0", nic.ipv4_gateway),
                                                              ("::/0", nic.ipv6_gateway)) if via is not None]
        if nic.default and routes:
            entry["routes"] = routes
        ethernets[f"nic{nic.device}"] = entry
    return {"version": 2, "ethernets": ethernets}


def _user_data(vm: VmMetadata) -> Answer:
    if vm.user_data is None:
        return NOT_FOUND
    return Answer(200, base64.b64decode(vm.user_data), "application/octet-stream")


def answer(vm: VmMetadata, asking: NicMetadata, path: str) -> Answer:
    """The answer to GET `path` from `asking`, a NIC of `vm`."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if not parts:
        return _text(["latest"])
    if not _VERSION.fullmatch(parts[0]):
        return NOT_FOUND
    top: dict[str, Any] = {"meta-data": _meta_data(vm, asking), "network-config": None}
    if vm.user_data is not None:
        top["user-data"] = None
    if len(parts) == 1:
        return _listing(top)
    if parts[1] == "user-data" and len(parts) == 2:
        return _user_data(vm)
    if parts[1] == "network-config" and len(parts) == 2:
        return Answer(200, json.dumps(network_config(vm), indent=1, sort_keys=True).encode(), "application/json")
    node: Any = top
    for part in parts[1:]:
        if not isinstance(node, dict) or part not in node:
            return NOT_FOUND
        node = node[part]
    return _listing(node) if isinstance(node, dict) else Answer(200, str(node).encode())
