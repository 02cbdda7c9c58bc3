"""Public IP ranges of zones and their addresses (user_ip_address): one row per address, claimed under a row lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from nicstack.db import tables as t
from nicstack.db.repos.audience import owned_by
from nicstack.db.repos.tag_match import tagged
from nicstack.db.rows import new_uuid, now
from nicstack.domain.access import Scope
from nicstack.domain.errors import ParameterError
from nicstack.domain.rules import Owner, PublicIp, PublicIpState, VlanRange

p = t.public_ips
r = t.vlan_ip_ranges


def owner_of(m: Any, prefix: str = "") -> Owner | None:
    """An Owner from labelled columns (account_id, account_name, domain_...) of a row mapping."""
    if m[f"{prefix}account_id"] is None:
        return None
    return Owner(
        m[f"{prefix}account_id"], m[f"{prefix}account_name"], m[f"{prefix}domain_id"], m[f"{prefix}domain_uuid"],
        m[f"{prefix}domain_name"], m[f"{prefix}domain_path"],
    )


# -- ranges ----------------------------------------------------------------------------


def _range(m: Any) -> VlanRange:
    return VlanRange(
        m["id"], m["uuid"], m["zone_id"], m["zone_uuid"], m["zone_name"], m["vlan"], m["gateway"], m["netmask"],
        m["start_ip"], m["end_ip"], bool(m["for_virtual_network"]), m["created"],
    )


def _ranges_query() -> Select[Any]:
    return (
        select(r, t.zones.c.uuid.label("zone_uuid"), t.zones.c.name.label("zone_name"))
        .select_from(r.join(t.zones, t.zones.c.id == r.c.zone_id))
        .where(r.c.for_virtual_network.is_(True))
        .order_by(r.c.id)
    )


# -- addresses -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublicIpQuery:
    """A public IP listing, its references resolved to row ids: the addresses `owners` acquired (with the
    zones' free ones unless `allocated_only`) matching the rest."""

    owners: Scope
    allocated_only: bool = True
    ip_id: int | None = None
    network_id: int | None = None
    vpc_id: int | None = None
    zone_id: int | None = None
    address: str | None = None
    is_static_nat: bool | None = None
    is_source_nat: bool | None = None
    keyword: str | None = None  # within the address
    tags: tuple[tuple[str, str | None], ...] = ()  # every (key, value) pair; a None value: any

    def where(self) -> list[Any]:
        c = p.c
        mine = and_(c.state == str(PublicIpState.ALLOCATED), *owned_by(self.owners, c.account_id))
        where: list[Any] = [mine if self.allocated_only else or_(mine, c.state == str(PublicIpState.FREE))]
        where += tagged("PublicIpAddress", c.uuid, list(self.tags))
        for column, value in ((c.id, self.ip_id), (c.network_id, self.network_id), (c.vpc_id, self.vpc_id),
                              (c.zone_id, self.zone_id), (c.public_ip_address, self.address),
                              (c.is_static_nat, self.is_static_nat), (c.is_source_nat, self.is_source_nat)):
            if value is not None:
                where.append(column == value)
        if self.keyword is not None:
            where.append(c.public_ip_address.contains(self.keyword, autoescape=True))
        return where


def _ip_query() -> Select[Any]:
    a, d, n, vpc, vm = t.accounts, t.domains, t.networks, t.vpcs, t.vms
    return select(
        *p.c, t.zones.c.uuid.label("zone_uuid"), t.zones.c.name.label("zone_name"),
        r.c.uuid.label("range_uuid"), r.c.vlan.label("range_vlan"), a.c.name.label("account_name"),
        d.c.uuid.label("domain_uuid"), d.c.name.label("domain_name"), d.c.path.label("domain_path"),
        n.c.uuid.label("network_uuid"), n.c.name.label("network_name"), vpc.c.uuid.label("vpc_uuid"),
        vpc.c.name.label("vpc_name"), vm.c.uuid.label("vm_uuid"), vm.c.name.label("vm_name"),
        vm.c.display_name.label("vm_display_name"),
    ).select_from(
        p.join(t.zones, t.zones.c.id == p.c.zone_id)
        .join(r, r.c.id == p.c.vlan_range_id)
        .outerjoin(a, a.c.id == p.c.account_id)
        .outerjoin(d, d.c.id == p.c.domain_id)
        .outerjoin(n, n.c.id == p.c.network_id)
        .outerjoin(vpc, vpc.c.id == p.c.vpc_id)
        .outerjoin(vm, vm.c.id == p.c.vm_id)
    )


def _ip(m: Any) -> PublicIp:
    return PublicIp(
        m["id"], m["uuid"], m["public_ip_address"], m["zone_id"], m["zone_uuid"], m["zone_name"],
        m["vlan_range_id"], m["range_uuid"], m["range_vlan"], PublicIpState(m["state"]), owner_of(m),
        m["network_id"], m["network_uuid"], m["network_name"], m["vpc_id"], m["vpc_uuid"], m["vpc_name"],
        bool(m["is_source_nat"]), bool(m["is_static_nat"]), m["vm_id"], m["vm_uuid"], m["vm_name"],
        m["vm_display_name"], m["vm_ip_address"], m["allocated"],
    )


class PublicIpRepository:
    """Public IP ranges of zones and their addresses (user_ip_address): one row per address, claimed under a
    row lock."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def ranges(self, *where: Any) -> list[VlanRange]:
        return [_range(row._mapping) for row in self.conn.execute(_ranges_query().where(*where))]

    def range_by(self, uuid: str) -> VlanRange | None:
        found = self.ranges(r.c.uuid == uuid)
        return found[0] if found else None

    def create_range(self, values: dict[str, Any], addresses: list[str]) -> int:
        """Insert a public range and one free row per address; an address already in the zone is a 431."""
        key = self.conn.execute(r.insert().values(uuid=new_uuid(), created=now(), **values)).inserted_primary_key
        assert key is not None
        range_id = int(key[0])
        rows = [
            {"uuid": new_uuid(), "zone_id": values["zone_id"], "vlan_range_id": range_id, "public_ip_address": a,
             "state": str(PublicIpState.FREE), "is_source_nat": False, "is_static_nat": False}
            for a in addresses
        ]
        try:
            self.conn.execute(p.insert(), rows)
        except IntegrityError:
            # Only a concurrent overlapping range gets here: the overlap check ran before.
            raise ParameterError(
                f"Public IP range {addresses[0]}-{addresses[-1]} overlaps another range of the zone"
            ) from None
        return range_id

    def allocated_in_range(self, range_id: int) -> list[str]:
        query = select(p.c.public_ip_address).where(
            p.c.vlan_range_id == range_id, p.c.state != str(PublicIpState.FREE)
        ).order_by(p.c.id).limit(5)
        return list(self.conn.execute(query).scalars())

    def delete_range(self, range_id: int) -> None:
        self.conn.execute(p.delete().where(p.c.vlan_range_id == range_id))
        self.conn.execute(r.delete().where(r.c.id == range_id))

    def lock_zone_ranges(self, zone_id: int) -> None:
        """Serialise range changes of one zone (PostgreSQL; SQLite holds its writer lock anyway)."""
        zone = select(t.zones.c.id).where(t.zones.c.id == zone_id)
        self.conn.execute(zone.with_for_update(key_share=True)).first()

    def ip_by(self, **where: Any) -> PublicIp | None:
        query = _ip_query()
        for key, value in where.items():
            query = query.where(p.c[key] == value)
        row = self.conn.execute(query).first()
        return _ip(row._mapping) if row else None

    def ips(self, *where: Any) -> list[PublicIp]:
        return [_ip(row._mapping) for row in self.conn.execute(_ip_query().where(*where).order_by(p.c.id))]

    def matching(self, query: PublicIpQuery, page: tuple[int, int] | None) -> tuple[list[PublicIp], int]:
        return self.listing(query.where(), page)

    def listing(self, where: list[Any], page: tuple[int, int] | None) -> tuple[list[PublicIp], int]:
        query = _ip_query().where(*where)
        total = self.conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        query = query.order_by(p.c.id)
        if page:
            query = query.limit(page[1]).offset(page[0])
        return [_ip(row._mapping) for row in self.conn.execute(query)], total

    def lock(self, ip_id: int) -> PublicIp:
        """Lock the address row until commit and return it as it is now."""
        self.conn.execute(select(p.c.id).where(p.c.id == ip_id).with_for_update(key_share=True)).one()
        found = self.ip_by(id=ip_id)
        assert found is not None
        return found

    def claim_free(self, zone_id: int) -> int | None:
        """Lock the zone's first free address; concurrent claimers skip it (PostgreSQL SKIP LOCKED)."""
        query = (
            select(p.c.id)
            .where(p.c.zone_id == zone_id, p.c.state == str(PublicIpState.FREE))
            .order_by(p.c.id)
            .limit(1)
            .with_for_update(skip_locked=True, key_share=True)
        )
        found = self.conn.execute(query).scalar()
        return int(found) if found is not None else None

    def claim_address(self, zone_id: int, address: str) -> tuple[int, PublicIpState] | None:
        row = self.conn.execute(
            select(p.c.id, p.c.state).where(p.c.zone_id == zone_id, p.c.public_ip_address == address)
            .with_for_update(key_share=True)
        ).first()
        return (int(row.id), PublicIpState(row.state)) if row else None

    def allocate(self, ip_id: int, **values: Any) -> None:
        result = self.conn.execute(
            p.update()
            .where(p.c.id == ip_id, p.c.state == str(PublicIpState.FREE))
            .values(state=str(PublicIpState.ALLOCATED), allocated=now(), **values)
        )
        # The row is locked, so this only fires on a bug; never hand out an address twice.
        assert result.rowcount == 1, f"public IP row {ip_id} was not free"

    def release(self, ip_id: int) -> None:
        self.conn.execute(
            p.update().where(p.c.id == ip_id).values(
                state=str(PublicIpState.FREE), account_id=None, domain_id=None, network_id=None, vpc_id=None,
                is_source_nat=False, is_static_nat=False, vm_id=None, vm_ip_address=None, allocation_id=None,
                allocated=None,
            )
        )
        # A released address is no one's: its tags go (the next owner must not inherit them).
        tags = t.resource_tags
        self.conn.execute(tags.delete().where(
            tags.c.resource_type == "PublicIpAddress",
            tags.c.resource_uuid == select(p.c.uuid).where(p.c.id == ip_id).scalar_subquery()))

    def update(self, ip_id: int, **values: Any) -> None:
        self.conn.execute(p.update().where(p.c.id == ip_id).values(**values))

    def static_nat_to(self, network_ids: list[int], address: str) -> PublicIp | None:
        """The public IP whose static NAT maps to `address` in one of the networks, if any."""
        found = self.ips(p.c.network_id.in_(network_ids), p.c.is_static_nat.is_(True), p.c.vm_ip_address == address)
        return found[0] if found else None
