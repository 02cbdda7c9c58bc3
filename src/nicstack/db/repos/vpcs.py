"""VPCs and VPC offerings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, func, select

from nicstack.db import tables as t
from nicstack.db.repos.public_ips import owner_of
from nicstack.db.rows import new_uuid, now
from nicstack.domain.kinds import NetworkState
from nicstack.domain.rules import Vpc, VpcOffering

v = t.vpcs
o = t.vpc_offerings
_offering_cols = [c.label(f"o_{c.name}") for c in o.c]


def _offering(m: Any, prefix: str = "") -> VpcOffering:
    return VpcOffering(
        m[f"{prefix}id"], m[f"{prefix}uuid"], m[f"{prefix}name"], m[f"{prefix}display_text"],
        tuple(s for s in m[f"{prefix}services"].split(",") if s), bool(m[f"{prefix}is_default"]),
        m[f"{prefix}state"], m[f"{prefix}created"],
    )


def _query() -> Select[Any]:
    return (
        select(
            *v.c, *_offering_cols, t.zones.c.uuid.label("zone_uuid"), t.zones.c.name.label("zone_name"),
            t.accounts.c.name.label("account_name"), t.domains.c.uuid.label("domain_uuid"),
            t.domains.c.name.label("domain_name"), t.domains.c.path.label("domain_path"),
        )
        .select_from(
            v.join(o, o.c.id == v.c.vpc_offering_id)
            .join(t.zones, t.zones.c.id == v.c.zone_id)
            .join(t.accounts, t.accounts.c.id == v.c.account_id)
            .join(t.domains, t.domains.c.id == v.c.domain_id)
        )
        .where(v.c.removed.is_(None))
    )


def _vpc(m: Any) -> Vpc:
    owner = owner_of(m)
    assert owner is not None
    return Vpc(
        m["id"], m["uuid"], m["name"], m["display_text"], m["zone_id"], m["zone_uuid"], m["zone_name"],
        _offering(m, "o_"), m["cidr"], m["network_domain"], m["state"], owner, m["created"],
    )


class VpcRepository:
    """VPCs and VPC offerings."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def offerings(self, *where: Any) -> list[VpcOffering]:
        return [_offering(row._mapping) for row in self.conn.execute(select(o).where(*where).order_by(o.c.id))]

    def offering_by(self, **where: Any) -> VpcOffering | None:
        found = self.offerings(*(o.c[key] == value for key, value in where.items()))
        return found[0] if found else None

    def create_offering(self, **values: Any) -> int:
        key = self.conn.execute(o.insert().values(uuid=new_uuid(), created=now(), **values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def update(self, vpc_id: int, **values: Any) -> None:
        self.conn.execute(v.update().where(v.c.id == vpc_id).values(**values))

    def vpc_by(self, **where: Any) -> Vpc | None:
        query = _query()
        for key, value in where.items():
            query = query.where(v.c[key] == value)
        row = self.conn.execute(query).first()
        return _vpc(row._mapping) if row else None

    def listing(self, where: list[Any], page: tuple[int, int] | None) -> tuple[list[Vpc], int]:
        query = _query().where(*where)
        total = self.conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        query = query.order_by(v.c.id)
        if page:
            query = query.limit(page[1]).offset(page[0])
        return [_vpc(row._mapping) for row in self.conn.execute(query)], total

    def create(self, **values: Any) -> int:
        key = self.conn.execute(v.insert().values(uuid=new_uuid(), created=now(), **values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def lock(self, vpc_id: int) -> None:
        """Serialise tier creation and router changes of one VPC (PostgreSQL; SQLite: the writer lock)."""
        self.conn.execute(select(v.c.id).where(v.c.id == vpc_id).with_for_update(key_share=True)).one()

    def mark_removed(self, vpc_id: int) -> None:
        self.conn.execute(v.update().where(v.c.id == vpc_id).values(removed=now(), state="Inactive"))

    def tiers(self, vpc_id: int) -> list[tuple[int, str, str, str | None]]:
        """(id, uuid, name, cidr) of the VPC's live tiers, oldest first."""
        n = t.networks
        rows = self.conn.execute(
            select(n.c.id, n.c.uuid, n.c.name, n.c.cidr)
            .where(n.c.vpc_id == vpc_id, n.c.removed.is_(None)).order_by(n.c.id)
        )
        return [(row.id, row.uuid, row.name, row.cidr) for row in rows]

    def uuid_of(self, vpc_id: int) -> str | None:
        found = self.conn.execute(select(v.c.uuid).where(v.c.id == vpc_id)).scalar()
        return None if found is None else str(found)

    def vpc_id_of_network(self, network_id: int) -> int | None:
        found = self.conn.execute(select(t.networks.c.vpc_id).where(t.networks.c.id == network_id)).scalar()
        return int(found) if found is not None else None

    def implemented_tiers(self, vpc_id: int) -> list[int]:
        """The VPC's implemented tiers (they have VMs), oldest first."""
        n = t.networks
        query = select(n.c.id).where(
            n.c.vpc_id == vpc_id, n.c.removed.is_(None), n.c.state == str(NetworkState.IMPLEMENTED)
        ).order_by(n.c.id)
        return list(self.conn.execute(query).scalars())
