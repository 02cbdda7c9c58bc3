"""VPC network ACL lists and items -> CloudStack's NetworkACLResponse and NetworkACLItemResponse."""

from __future__ import annotations

from nicstack.api.replies import JsonObject
from nicstack.api.schema import kind
from nicstack.api.tagging import TAGS
from nicstack.domain.network_acls import NetworkAcl, NetworkAclItem


def acl_list_view(acl: NetworkAcl) -> JsonObject:
    view: JsonObject = {"id": acl.uuid, "name": acl.name, "description": acl.description, "fordisplay": True}
    if acl.vpc_uuid is not None:
        # The built-in lists belong to no VPC: CloudStack leaves the keys out.
        view |= {"vpcid": acl.vpc_uuid, "vpcname": acl.vpc_name}
    return view


def acl_item_view(item: NetworkAclItem) -> JsonObject:
    view: JsonObject = {
        "id": item.uuid, "protocol": item.protocol, "traffictype": str(item.traffic_type), "state": "Active",
        "cidrlist": ",".join(item.cidr_list), "aclid": item.acl.uuid, "aclname": item.acl.name,
        "number": item.number, "action": str(item.action), "fordisplay": True, "tags": [],
    }
    if item.start_port is not None:
        # Strings, as CloudStack sends them.
        view |= {"startport": str(item.start_port), "endport": str(item.end_port or item.start_port)}
    if item.icmp_type is not None:
        view |= {"icmptype": item.icmp_type, "icmpcode": item.icmp_code}
    if item.reason is not None:
        view["reason"] = item.reason
    return view


NETWORK_ACL_LIST = kind("networkacllist", {
    "id": "string",
    "name": "string",
    "description": "string",
    "fordisplay": "boolean",
    "vpcid": "string",
    "vpcname": "string",
})


NETWORK_ACL = kind("networkacl", {
    "id": "string",
    "protocol": "string",
    "traffictype": "string",
    "state": "string",
    "cidrlist": "string",
    "aclid": "string",
    "aclname": "string",
    "number": "integer",
    "action": "string",
    "fordisplay": "boolean",
    "tags": TAGS,
    "icmptype": "integer",
    "icmpcode": "integer",
    "startport": "string",
    "endport": "string",
    "reason": "string",
})
