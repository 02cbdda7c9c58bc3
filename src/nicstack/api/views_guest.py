"""Security groups, free addresses, shared-range addresses and host configurations -> CloudStack response objects."""

from __future__ import annotations

from nicstack.api.replies import JsonObject
from nicstack.api.schema import fields, kind
from nicstack.api.tagging import TAGS
from nicstack.domain.model import Network
from nicstack.domain.security_groups import SecurityGroup, SgRule
from nicstack.domain.vocabulary import Direction
from nicstack.render.host_changes import Tool
from nicstack.services.free_ips import FamilyFree, RangeAddress, address_id
from nicstack.services.host_publish import HostConfig


def rule_view(rule: SgRule) -> JsonObject:
    shape = rule.shape
    return {
        "ruleid": rule.uuid, "protocol": shape.protocol, "startport": shape.start_port, "endport": shape.end_port,
        "icmptype": shape.icmp_type, "icmpcode": shape.icmp_code, "cidr": rule.cidr,
        "securitygroupname": rule.peer_group_name, "account": rule.peer_account_name, "tags": [],
    }


def security_group_view(group: SecurityGroup, only: set[int] | None = None) -> JsonObject:
    """A group with its rules (`only`: just those rule ids, as authorize answers)."""
    rules = [r for r in group.rules if only is None or r.id in only]
    return {
        "id": group.uuid, "name": group.name, "description": group.description,
        "account": group.owner.account_name, "domainid": group.owner.domain_uuid, "domain": group.owner.domain_name,
        "ingressrule": [rule_view(r) for r in rules if r.direction is Direction.INGRESS],
        "egressrule": [rule_view(r) for r in rules if r.direction is Direction.EGRESS],
        "virtualmachinecount": len(group.vm_uuids), "virtualmachineids": list(group.vm_uuids), "tags": [],
    }


def _family(found: FamilyFree) -> JsonObject:
    return {
        "total": found.total, "used": found.used, "free": found.free, "truncated": found.truncated,
        "ranges": [{"start": r.start, "end": r.end, "count": r.count} for r in found.ranges],
    }


def free_view(net: Network, families: list[FamilyFree]) -> JsonObject:
    """Free ranges and counts per family; never who holds what."""
    view: JsonObject = {"networkid": net.uuid, "networkname": net.name, "zoneid": net.zone_uuid}
    for found in families:
        view[f"ipv{found.family}"] = _family(found)
    return view


def range_address_view(net: Network, item: RangeAddress) -> JsonObject:
    """A shared network's range address as listPublicIpAddresses shows it, without any owner."""
    return {
        "id": address_id(net.uuid, item.address), "ipaddress": item.address,
        "state": "Allocated" if item.allocated else "Free", "zoneid": net.zone_uuid, "zonename": net.zone_name,
        "networkid": net.uuid, "associatednetworkid": net.uuid, "associatednetworkname": net.name,
        "forvirtualnetwork": False, "issourcenat": False, "isstaticnat": False, "issystem": False,
        "vlanid": item.range.uuid, "vlanname": item.range.vlan, "fordisplay": True, "tags": [],
    }


def host_config_view(config: HostConfig) -> JsonObject:
    host = config.host
    view: JsonObject = {
        "hostid": host.uuid, "hostname": host.name, "hypervisor": str(host.hypervisor),
        "generation": config.generation, "sincegeneration": config.since, "full": config.documents is not None,
    }
    if config.documents is not None:
        docs = config.documents
        view["documents"] = dict(docs.items())
    if config.changes is not None:
        view["changes"] = {"ipset": config.changes.ipset_batch(), "ebtables": config.changes.ebtables_batch(),
                           "ipsetlines": config.changes.lines(Tool.IPSET),
                           "ebtableslines": config.changes.lines(Tool.EBTABLES)}
    return view


SECURITY_GROUP = kind("securitygroup", {
    "id": "string",
    "name": "string",
    "description": "string",
    "account": "string",
    "domainid": "string",
    "domain": "string",
    "ingressrule": ("list", fields({
        "ruleid": "string",
        "protocol": "string",
        "securitygroupname": "string",
        "account": "string",
        "tags": TAGS,
        "startport": "integer",
        "endport": "integer",
        "cidr": "string",
    })),
    "egressrule": ("list", fields({
        "ruleid": "string",
        "protocol": "string",
        "icmptype": "integer",
        "icmpcode": "integer",
        "cidr": "string",
        "tags": TAGS,
    })),
    "virtualmachinecount": "integer",
    "virtualmachineids": "list",
    "tags": TAGS,
})


FREE_IP_ADDRESS = kind("freeipaddress", {
    "networkid": "string",
    "networkname": "string",
    "zoneid": "string",
    "ipv4": ("object", fields({
        "total": "integer",
        "used": "integer",
        "free": "integer",
        "truncated": "boolean",
        "ranges": ("list", fields({
            "start": "string",
            "end": "string",
            "count": "integer",
        })),
    })),
})


HOST_CONFIG = kind("hostconfig", {
    "hostid": "string",
    "hostname": "string",
    "hypervisor": "string",
    "generation": "integer",
    "full": "boolean",
    "documents": "map",
    "publishedgeneration": "integer",
    "dataplanestate": "string",
    "sincegeneration": "integer",
})
