"""listPublicIpAddresses (the public side): the addresses a caller sees, by a typed filter."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from nicstack.db.repos.public_ips import PublicIpQuery
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_access
from nicstack.domain.errors import UnknownEntity
from nicstack.domain.rules import PublicIp
from nicstack.services import lookup, lookup_rules
from nicstack.services.scope import OwnerFilter, list_scope


@dataclass(frozen=True, slots=True)
class PublicIpFilter:
    """The public IPs `owner` acquired (and the free ones unless `allocated_only`) matching the rest (None: any).

    `address` is text, as CloudStack's filter is: an address that is no address matches nothing.
    """

    owner: OwnerFilter = field(default_factory=OwnerFilter)
    uuid: str | None = None
    address: str | None = None
    zone_uuid: str | None = None
    network_uuid: str | None = None  # addresses serving this network (associatednetworkid)
    vpc_uuid: str | None = None
    is_static_nat: bool | None = None
    is_source_nat: bool | None = None
    allocated_only: bool = True
    keyword: str | None = None  # within the address
    page: tuple[int, int] | None = None
    tags: tuple[tuple[str, str | None], ...] = ()  # every (key, value) pair; a None value: any


def list_public_ips(uow: SqlUnitOfWork, caller: Caller, wanted: PublicIpFilter) -> tuple[list[PublicIp], int]:
    """Raises UnknownEntity for an owner, address, network, VPC or zone the caller may not see (in that order)."""
    with uow.reading():
        owner = replace(wanted.owner, list_all=True) if wanted.uuid is not None else wanted.owner
        owners = list_scope(uow, caller, owner)
        ip_id = None
        if wanted.uuid is not None:
            ip = uow.public_ips.ip_by(uuid=wanted.uuid)
            # A free address belongs to no one: anyone may see it.
            if ip is None or (ip.owner and not may_access(caller, ip.owner.account_id, ip.owner.domain_path)):
                raise UnknownEntity("id", wanted.uuid)
            ip_id = ip.id
        query = PublicIpQuery(
            owners, allocated_only=wanted.allocated_only, ip_id=ip_id,
            network_id=None if wanted.network_uuid is None else lookup.network(
                uow, caller, wanted.network_uuid, "associatednetworkid").id,
            vpc_id=None if wanted.vpc_uuid is None else lookup_rules.vpc(uow, caller, wanted.vpc_uuid).id,
            zone_id=None if wanted.zone_uuid is None else lookup.zone(uow, wanted.zone_uuid).id,
            address=wanted.address, is_static_nat=wanted.is_static_nat, is_source_nat=wanted.is_source_nat,
            tags=wanted.tags,
            keyword=wanted.keyword,
        )
        return uow.public_ips.matching(query, wanted.page)
