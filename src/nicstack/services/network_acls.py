"""Use cases of VPC network ACL lists: create, delete, list, and giving a tier its list (replaceNetworkACLList).

A list belongs to a VPC and is seen and changed as that VPC is; the two built-in lists are seen by
everyone and changed by nobody. Every change to a list republishes the routers of the VPCs whose
tiers use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_access
from nicstack.domain.errors import ParameterError, ResourceInUse, UnknownEntity
from nicstack.domain.jobs import Started
from nicstack.domain.model import Network
from nicstack.domain.network_acls import NetworkAcl
from nicstack.domain.rules import Vpc
from nicstack.services import lookup, lookup_rules
from nicstack.services.rule_targets import record
from nicstack.services.scope import OwnerFilter, list_scope


@dataclass(frozen=True, slots=True)
class AclListFilter:
    uuid: str | None = None
    name: str | None = None
    vpc_uuid: str | None = None
    network_uuid: str | None = None
    keyword: str | None = None
    owner: OwnerFilter = field(default_factory=OwnerFilter)
    page: tuple[int, int] | None = None


def visible_list(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str = "aclid") -> NetworkAcl:
    """A list the caller may see (built-in, or of a VPC the caller may see); else the unknown-uuid answer."""
    found = uow.network_acls.list_by(uuid=uuid)
    if found is None or not may_see(caller, found):
        raise UnknownEntity(param, uuid)
    return found


def may_see(caller: Caller, acl: NetworkAcl) -> bool:
    return acl.owner is None or may_access(caller, acl.owner.account_id, acl.owner.domain_path)


def changeable_list(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str = "aclid") -> NetworkAcl:
    found = visible_list(uow, caller, uuid, param)
    if found.built_in:
        raise ParameterError(f"ACL list {found.name} is a default list: it cannot be changed")
    return found


def republish(uow: SqlUnitOfWork, acl: NetworkAcl) -> None:
    """Queue the routers of every VPC whose tiers use `acl`."""
    for vpc_id in sorted({vpc_id for vpc_id, _ in uow.network_acls.tiers_using(acl.id)}):
        uow.outbox.vpc(vpc_id)


def create_network_acl_list(
    uow: SqlUnitOfWork, caller: Caller, *, name: str, description: str | None, vpc_uuid: str
) -> Started[NetworkAcl]:
    with uow:
        vpc = lookup_rules.vpc(uow, caller, vpc_uuid)
        if not name.strip():
            raise ParameterError("Invalid value '' for name: an ACL list needs a name")
        acl_id = uow.network_acls.create_list(name, description or name, vpc.id)
        acl = uow.network_acls.list_by(id=acl_id)
        assert acl is not None
        record(uow, caller, vpc.owner, "NETWORK.ACL.CREATE", f"Created ACL list {name} in VPC {vpc.name}")
        return Started(uow.start_job(caller, "createNetworkACLList", result=acl, instance=("NetworkAcl", acl.uuid)),
                       acl)


def delete_network_acl_list(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> str:
    """Delete a list no tier uses, with its items; raises ResourceInUse naming a tier that uses it."""
    with uow:
        acl = changeable_list(uow, caller, uuid, "id")
        assert acl.vpc_id is not None and acl.owner is not None
        uow.vpcs.lock(acl.vpc_id)
        users = uow.network_acls.tiers_using(acl.id)
        if users:
            names = ", ".join(name for _, name in users)
            raise ResourceInUse(f"ACL list {acl.name} is in use by tiers {names}: replace it there first")
        uow.network_acls.remove_list(acl.id)
        record(uow, caller, acl.owner, "NETWORK.ACL.DELETE", f"Deleted ACL list {acl.name}")
        return uow.start_job(caller, "deleteNetworkACLList", instance=("NetworkAcl", acl.uuid))


def list_network_acl_lists(
    uow: SqlUnitOfWork, caller: Caller, wanted: AclListFilter
) -> tuple[list[NetworkAcl], int]:
    a = t.network_acls
    with uow.reading():
        scope = list_scope(uow, caller, wanted.owner)
        owned: list[Any] = []
        if scope.account_id is not None:
            owned.append(t.vpcs.c.account_id == scope.account_id)
        if scope.domain_path is not None:
            owned.append(t.domains.c.path.startswith(scope.domain_path))
        where: list[Any] = []
        if owned:
            # The built-in lists belong to no one and are everyone's.
            where.append(or_(a.c.vpc_id.is_(None), and_(*owned)))
        if wanted.uuid is not None:
            where.append(a.c.id == visible_list(uow, caller, wanted.uuid, "id").id)
        if wanted.vpc_uuid is not None:
            vpc = lookup_rules.vpc(uow, caller, wanted.vpc_uuid)
            where.append(or_(a.c.vpc_id == vpc.id, a.c.vpc_id.is_(None)))
        if wanted.network_uuid is not None:
            net = lookup.network(uow, caller, wanted.network_uuid, "networkid")
            where.append(a.c.uuid == net.acl_uuid)
        if wanted.name is not None:
            where.append(a.c.name == wanted.name)
        if wanted.keyword:
            where.append(a.c.name.contains(wanted.keyword, autoescape=True))
        return uow.network_acls.listing(where, wanted.page)


def tier_list(uow: SqlUnitOfWork, caller: Caller, acl_uuid: str, vpc: Vpc) -> NetworkAcl:
    """The list `acl_uuid` for a tier of `vpc`: a built-in list or one of that VPC."""
    acl = visible_list(uow, caller, acl_uuid)
    if acl.vpc_id is not None and acl.vpc_id != vpc.id:
        raise ParameterError(f"ACL list {acl.name} belongs to VPC {acl.vpc_name}, not to VPC {vpc.name}")
    return acl


def replace_network_acl_list(uow: SqlUnitOfWork, caller: Caller, *, acl_uuid: str, network_uuid: str) -> str:
    with uow:
        visible_list(uow, caller, acl_uuid)
        net = lookup.network(uow, caller, network_uuid, "networkid")
        vpc = _tier_vpc(uow, caller, net)
        uow.vpcs.lock(vpc.id)
        acl = tier_list(uow, caller, acl_uuid, vpc)
        uow.network_acls.set_tier_list(net.id, acl.id)
        record(uow, caller, vpc.owner, "NETWORK.ACL.REPLACE", f"Tier {net.name} now uses ACL list {acl.name}")
        uow.outbox.vpc(vpc.id)
        return uow.start_job(caller, "replaceNetworkACLList", instance=("Network", net.uuid))


def _tier_vpc(uow: SqlUnitOfWork, caller: Caller, net: Network) -> Vpc:
    if net.vpc_uuid is None:
        raise ParameterError(f"Network {net.name} is not a VPC tier: only VPC tiers have ACL lists")
    return lookup_rules.vpc(uow, caller, net.vpc_uuid, "networkid")
