"""listVPCs and listVPCOfferings: VPCs (with their tiers) and their offerings, by typed filters."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from nicstack.db import tables as t
from nicstack.db.repos.audience import owned_by
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import UnknownEntity
from nicstack.domain.model import Network
from nicstack.domain.rules import Vpc, VpcOffering
from nicstack.services import lookup, lookup_rules
from nicstack.services.scope import OwnerFilter, list_scope


@dataclass(frozen=True, slots=True)
class VpcFilter:
    """`owner`'s VPCs (or the one VPC `uuid`, wherever the caller sees it) matching the rest (None: any)."""

    owner: OwnerFilter = field(default_factory=OwnerFilter)
    uuid: str | None = None
    zone_uuid: str | None = None
    offering_uuid: str | None = None
    name: str | None = None
    cidr: str | None = None  # as stored: the text is compared, as CloudStack does
    state: str | None = None
    keyword: str | None = None  # within the name
    page: tuple[int, int] | None = None
    tags: tuple[tuple[str, str | None], ...] = ()  # every (key, value) pair; a None value: any


@dataclass(frozen=True, slots=True)
class VpcOfferingFilter:
    uuid: str | None = None
    name: str | None = None
    is_default: bool | None = None
    keyword: str | None = None  # within the name, in any case


def list_vpcs(uow: SqlUnitOfWork, caller: Caller, wanted: VpcFilter) -> tuple[list[tuple[Vpc, list[Network]]], int]:
    """The VPCs with their tiers; UnknownEntity for an owner, VPC, zone or offering the caller may not see."""
    v = t.vpcs
    with uow.reading():
        owner = replace(wanted.owner, list_all=True) if wanted.uuid is not None else wanted.owner
        where = owned_by(list_scope(uow, caller, owner), v.c.account_id)
        if wanted.uuid is not None:
            where.append(v.c.id == lookup_rules.vpc(uow, caller, wanted.uuid, "id").id)
        if wanted.zone_uuid is not None:
            where.append(v.c.zone_id == lookup.zone(uow, wanted.zone_uuid).id)
        if wanted.offering_uuid is not None:
            offering = uow.vpcs.offering_by(uuid=wanted.offering_uuid)
            if offering is None:
                raise UnknownEntity("vpcofferingid", wanted.offering_uuid)
            where.append(v.c.vpc_offering_id == offering.id)
        for column, value in ((v.c.name, wanted.name), (v.c.cidr, wanted.cidr), (v.c.state, wanted.state)):
            if value is not None:
                where.append(column == value)
        if wanted.keyword is not None:
            where.append(v.c.name.contains(wanted.keyword, autoescape=True))
        where += uow.tags.matching("Vpc", v.c.uuid, list(wanted.tags))
        found, total = uow.vpcs.listing(where, wanted.page)
        return [(vpc, tiers_of(uow, vpc)) for vpc in found], total


def tiers_of(uow: SqlUnitOfWork, vpc: Vpc) -> list[Network]:
    with uow.reading():
        tiers, _ = uow.networks.listing([t.networks.c.vpc_id == vpc.id], None)
        return tiers


def list_vpc_offerings(uow: SqlUnitOfWork, wanted: VpcOfferingFilter) -> list[VpcOffering]:
    o = t.vpc_offerings
    where = []
    if wanted.name is not None:
        where.append(o.c.name == wanted.name)
    if wanted.is_default is not None:
        where.append(o.c.is_default == wanted.is_default)
    with uow.reading():
        if wanted.uuid is not None:
            if uow.vpcs.offering_by(uuid=wanted.uuid) is None:
                raise UnknownEntity("id", wanted.uuid)
            where.append(o.c.uuid == wanted.uuid)
        found = uow.vpcs.offerings(*where)
    if wanted.keyword is not None:
        keyword = wanted.keyword.lower()
        found = [f for f in found if keyword in f.name.lower()]
    return found
