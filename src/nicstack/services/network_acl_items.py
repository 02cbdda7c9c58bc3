"""Use cases of the items of VPC network ACL lists: createNetworkACL, updateNetworkACLItem, deleteNetworkACL, list.

An item is seen and changed as its list is; the built-in lists' items are seen by all and changed
by none. The VPC row lock serialises number picks, so two items created at once get two numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, UnknownEntity
from nicstack.domain.jobs import Started
from nicstack.domain.network_acls import (
    AclAction,
    AclMatch,
    NetworkAcl,
    NetworkAclItem,
    TrafficType,
    acl_match,
    acl_protocol_of,
    action_of,
    check_number,
    traffic_type_of,
)
from nicstack.services import lookup
from nicstack.services.network_acls import changeable_list, may_see, republish, visible_list
from nicstack.services.rule_targets import record
from nicstack.services.scope import OwnerFilter, list_scope


@dataclass(frozen=True, slots=True)
class AclItemFields:
    """What an item says; None: CloudStack's default on create, unchanged on update."""

    protocol: str | None = None
    start_port: int | None = None
    end_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    cidrs: tuple[str, ...] | None = None
    traffic_type: str | None = None
    number: int | None = None
    action: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AclItemFilter:
    uuid: str | None = None
    acl_uuid: str | None = None
    network_uuid: str | None = None
    traffic_type: str | None = None
    protocol: str | None = None
    action: str | None = None
    owner: OwnerFilter = field(default_factory=OwnerFilter)
    page: tuple[int, int] | None = None


def _columns(match: AclMatch, traffic: TrafficType, action: AclAction, number: int, reason: str | None
             ) -> dict[str, Any]:
    return {
        "protocol": match.protocol, "start_port": match.ports.start if match.ports else None,
        "end_port": match.ports.end if match.ports else None, "icmp_type": match.icmp_type,
        "icmp_code": match.icmp_code, "cidr_list": ",".join(str(c) for c in match.cidrs),
        "traffic_type": str(traffic), "action": str(action), "number": number, "reason": reason,
    }


def _target_list(uow: SqlUnitOfWork, caller: Caller, acl_uuid: str | None, network_uuid: str | None) -> NetworkAcl:
    if acl_uuid is not None:
        return changeable_list(uow, caller, acl_uuid)
    if network_uuid is None:
        raise ParameterError("Give aclid or networkid: the ACL list the item goes in")
    net = lookup.network(uow, caller, network_uuid, "networkid")
    if net.acl_uuid is None:
        raise ParameterError(f"Network {net.name} has no ACL list: give aclid, or replaceNetworkACLList first")
    return changeable_list(uow, caller, net.acl_uuid, "networkid")


def _free_number(uow: SqlUnitOfWork, acl: NetworkAcl, number: int, other_than: int | None = None) -> int:
    if uow.network_acls.number_taken(acl.id, check_number(number), other_than):
        raise ParameterError(f"ACL item with number {number} already exists in ACL list {acl.name}")
    return number


def create_network_acl(
    uow: SqlUnitOfWork, caller: Caller, fields: AclItemFields, *, acl_uuid: str | None = None,
    network_uuid: str | None = None,
) -> Started[NetworkAclItem]:
    if fields.protocol is None:
        raise ParameterError("Missing value for protocol: an ACL item needs a protocol")
    match = acl_match(fields.protocol, fields.start_port, fields.end_port, fields.icmp_type, fields.icmp_code,
                      fields.cidrs or ())
    traffic = traffic_type_of(fields.traffic_type) if fields.traffic_type else TrafficType.INGRESS
    action = action_of(fields.action) if fields.action else AclAction.ALLOW
    with uow:
        acl = _target_list(uow, caller, acl_uuid, network_uuid)
        assert acl.vpc_id is not None and acl.owner is not None
        uow.vpcs.lock(acl.vpc_id)
        number = fields.number if fields.number is not None else uow.network_acls.next_number(acl.id)
        values = _columns(match, traffic, action, _free_number(uow, acl, number), fields.reason)
        item_id = uow.network_acls.create_item(acl.id, **values)
        item = uow.network_acls.items([t.network_acl_items.c.id == item_id])[0][0]
        record(uow, caller, acl.owner, "NETWORK.ACL.ITEM.CREATE",
               f"Created ACL item {item.number} ({item.action} {item.traffic_type}) in ACL list {acl.name}")
        republish(uow, acl)
        job = uow.start_job(caller, "createNetworkACL", result=item, instance=("NetworkAclItem", item.uuid))
        return Started(job, item)


def _item(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> NetworkAclItem:
    found = uow.network_acls.item_by(uuid)
    if found is None or not may_see(caller, found.acl):
        raise UnknownEntity("id", uuid)
    return found


def update_network_acl_item(uow: SqlUnitOfWork, caller: Caller, uuid: str, fields: AclItemFields
                            ) -> Started[NetworkAclItem]:
    """Change the fields given; the others stay (CloudStack's partial update)."""
    with uow:
        item = _item(uow, caller, uuid)
        acl = changeable_list(uow, caller, item.acl.uuid, "id")
        assert acl.vpc_id is not None and acl.owner is not None
        uow.vpcs.lock(acl.vpc_id)
        match = _merged_match(item, fields)
        traffic = traffic_type_of(fields.traffic_type) if fields.traffic_type else item.traffic_type
        action = action_of(fields.action) if fields.action else item.action
        number = item.number if fields.number is None else _free_number(uow, acl, fields.number, item.id)
        reason = item.reason if fields.reason is None else fields.reason
        uow.network_acls.update_item(item.id, **_columns(match, traffic, action, number, reason))
        updated = uow.network_acls.items([t.network_acl_items.c.id == item.id])[0][0]
        record(uow, caller, acl.owner, "NETWORK.ACL.ITEM.UPDATE", f"Updated ACL item {number} of ACL list {acl.name}")
        republish(uow, acl)
        job = uow.start_job(caller, "updateNetworkACLItem", result=updated, instance=("NetworkAclItem", item.uuid))
        return Started(job, updated)


def _merged_match(item: NetworkAclItem, fields: AclItemFields) -> AclMatch:
    protocol = fields.protocol if fields.protocol is not None else item.protocol
    changed = acl_protocol_of(protocol) != item.protocol
    # A new protocol drops the old one's ports or ICMP match unless they are given again.
    start = fields.start_port if fields.start_port is not None else (None if changed else item.start_port)
    end = fields.end_port if fields.end_port is not None else (None if changed else item.end_port)
    if fields.start_port is not None and fields.end_port is None:
        end = fields.start_port
    icmp_type = fields.icmp_type if fields.icmp_type is not None else (None if changed else item.icmp_type)
    icmp_code = fields.icmp_code if fields.icmp_code is not None else (None if changed else item.icmp_code)
    cidrs = fields.cidrs if fields.cidrs is not None else item.cidr_list
    return acl_match(protocol, start, end, icmp_type, icmp_code, cidrs)


def delete_network_acl(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> str:
    with uow:
        item = _item(uow, caller, uuid)
        acl = changeable_list(uow, caller, item.acl.uuid, "id")
        assert acl.vpc_id is not None and acl.owner is not None
        uow.vpcs.lock(acl.vpc_id)
        uow.network_acls.delete_item(item.id)
        record(uow, caller, acl.owner, "NETWORK.ACL.ITEM.DELETE", f"Deleted ACL item {item.number} of {acl.name}")
        republish(uow, acl)
        return uow.start_job(caller, "deleteNetworkACL", instance=("NetworkAclItem", item.uuid))


def list_network_acls(uow: SqlUnitOfWork, caller: Caller, wanted: AclItemFilter
                      ) -> tuple[list[NetworkAclItem], int]:
    i, a = t.network_acl_items, t.network_acls
    with uow.reading():
        scope = list_scope(uow, caller, wanted.owner)
        owned: list[Any] = []
        if scope.account_id is not None:
            owned.append(t.vpcs.c.account_id == scope.account_id)
        if scope.domain_path is not None:
            owned.append(t.domains.c.path.startswith(scope.domain_path))
        where: list[Any] = []
        if owned:
            allowed = uow.network_acls.listing([or_(a.c.vpc_id.is_(None), and_(*owned))], None)[0]
            where.append(i.c.acl_id.in_([x.id for x in allowed]))
        if wanted.uuid is not None:
            where.append(i.c.id == _item(uow, caller, wanted.uuid).id)
        if wanted.acl_uuid is not None:
            where.append(i.c.acl_id == visible_list(uow, caller, wanted.acl_uuid).id)
        if wanted.network_uuid is not None:
            net = lookup.network(uow, caller, wanted.network_uuid, "networkid")
            acl_id = visible_list(uow, caller, net.acl_uuid, "networkid").id if net.acl_uuid else -1
            where.append(i.c.acl_id == acl_id)
        if wanted.traffic_type:
            where.append(i.c.traffic_type == str(traffic_type_of(wanted.traffic_type)))
        if wanted.action:
            where.append(i.c.action == str(action_of(wanted.action)))
        if wanted.protocol:
            where.append(i.c.protocol == wanted.protocol.strip().lower())
        return uow.network_acls.items(where, wanted.page)
