"""VPC network ACL lists, their items, and which tiers use them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, func, select

from nicstack.db import tables as t
from nicstack.db.repos.public_ips import owner_of
from nicstack.db.rows import new_uuid, now
from nicstack.domain.network_acls import AclAction, NetworkAcl, NetworkAclItem, TrafficType

a = t.network_acls
i = t.network_acl_items


def _lists() -> Select[Any]:
    return (
        select(
            *a.c, t.vpcs.c.uuid.label("vpc_uuid"), t.vpcs.c.name.label("vpc_name"),
            t.vpcs.c.account_id, t.accounts.c.name.label("account_name"), t.vpcs.c.domain_id,
            t.domains.c.uuid.label("domain_uuid"), t.domains.c.name.label("domain_name"),
            t.domains.c.path.label("domain_path"),
        )
        .select_from(
            a.outerjoin(t.vpcs, t.vpcs.c.id == a.c.vpc_id)
            .outerjoin(t.accounts, t.accounts.c.id == t.vpcs.c.account_id)
            .outerjoin(t.domains, t.domains.c.id == t.vpcs.c.domain_id)
        )
        # A deleted VPC takes its lists with it.
        .where(a.c.removed.is_(None), (a.c.vpc_id.is_(None)) | t.vpcs.c.removed.is_(None))
    )


def _acl(m: Any) -> NetworkAcl:
    return NetworkAcl(m["id"], m["uuid"], m["name"], m["description"], m["vpc_id"], m["vpc_uuid"], m["vpc_name"],
                      owner_of(m), m["created"])


def _item(m: Any, acl: NetworkAcl) -> NetworkAclItem:
    cidrs = tuple(c for c in (m["cidr_list"] or "").split(",") if c)
    return NetworkAclItem(
        m["id"], m["uuid"], acl, m["number"], AclAction(m["action"]), TrafficType(m["traffic_type"]), m["protocol"],
        m["start_port"], m["end_port"], m["icmp_type"], m["icmp_code"], cidrs, m["reason"], m["created"],
    )


class NetworkAclRepository:
    """ACL lists (built-in ones have no VPC) and their items."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def create_list(self, name: str, description: str | None, vpc_id: int | None) -> int:
        key = self.conn.execute(a.insert().values(uuid=new_uuid(), created=now(), name=name, description=description,
                                                  vpc_id=vpc_id)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def list_by(self, **where: Any) -> NetworkAcl | None:
        row = self.conn.execute(_lists().where(*(a.c[k] == v for k, v in where.items()))).first()
        return _acl(row._mapping) if row else None

    def listing(self, where: list[Any], page: tuple[int, int] | None) -> tuple[list[NetworkAcl], int]:
        query = _lists().where(*where)
        total = self.conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        query = query.order_by(a.c.id)
        if page:
            query = query.limit(page[1]).offset(page[0])
        return [_acl(r._mapping) for r in self.conn.execute(query)], total

    def remove_list(self, acl_id: int) -> None:
        self.conn.execute(i.delete().where(i.c.acl_id == acl_id))
        self.conn.execute(a.update().where(a.c.id == acl_id).values(removed=now()))

    def tiers_using(self, acl_id: int) -> list[tuple[int, str]]:
        """(VPC id, tier name) of every live tier whose list this is."""
        n = t.networks
        rows = self.conn.execute(
            select(n.c.vpc_id, n.c.name).where(n.c.network_acl_id == acl_id, n.c.removed.is_(None)).order_by(n.c.id)
        )
        return [(r.vpc_id, r.name) for r in rows]

    def set_tier_list(self, network_id: int, acl_id: int) -> None:
        self.conn.execute(t.networks.update().where(t.networks.c.id == network_id).values(network_acl_id=acl_id))

    def create_item(self, acl_id: int, **values: Any) -> int:
        key = self.conn.execute(i.insert().values(uuid=new_uuid(), created=now(), acl_id=acl_id, **values))
        found = key.inserted_primary_key
        assert found is not None
        return int(found[0])

    def update_item(self, item_id: int, **values: Any) -> None:
        self.conn.execute(i.update().where(i.c.id == item_id).values(**values))

    def delete_item(self, item_id: int) -> None:
        self.conn.execute(i.delete().where(i.c.id == item_id))

    def next_number(self, acl_id: int) -> int:
        """CloudStack's number for an item given none: one more than the list's highest."""
        highest = self.conn.execute(select(func.max(i.c.number)).where(i.c.acl_id == acl_id)).scalar()
        return int(highest or 0) + 1

    def number_taken(self, acl_id: int, number: int, other_than: int | None = None) -> bool:
        query = select(i.c.id).where(i.c.acl_id == acl_id, i.c.number == number)
        if other_than is not None:
            query = query.where(i.c.id != other_than)
        return self.conn.execute(query).first() is not None

    def items(self, where: list[Any], page: tuple[int, int] | None = None) -> tuple[list[NetworkAclItem], int]:
        """Items matching `where` (on network_acl_item and network_acl) ordered by list, then number."""
        lists = _lists().subquery()
        query = select(i, *(c.label(f"l_{c.name}") for c in lists.c)).select_from(
            i.join(lists, lists.c.id == i.c.acl_id)).where(*where)
        total = self.conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        query = query.order_by(i.c.acl_id, i.c.number)
        if page:
            query = query.limit(page[1]).offset(page[0])
        found = []
        for row in self.conn.execute(query):
            m = row._mapping
            acl = _acl({c.name: m[f"l_{c.name}"] for c in lists.c})
            found.append(_item(m, acl))
        return found, total

    def item_by(self, uuid: str) -> NetworkAclItem | None:
        found, _ = self.items([i.c.uuid == uuid])
        return found[0] if found else None
