"""Guest networks and the per-network lock that serialises address allocation."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from nicstack.db import prepared
from nicstack.db import tables as t
from nicstack.db.repos.audience import seen_by
from nicstack.db.repos.tag_match import tagged
from nicstack.db.rows import lookup_params, lookup_statement, new_uuid, now
from nicstack.domain.access import NetworkAudience
from nicstack.domain.kinds import GuestType
from nicstack.domain.model import Network, NetworkOffering


class LockWaits:
    """How long this process waited for network row locks, in all: what scale-out costs on one network.

    PostgreSQL only waits when another transaction holds the row; on SQLite the wait happens
    before, for the one writer, and this measures only the statement itself.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self.seconds = 0.0
        self.count = 0

    def add(self, seconds: float) -> None:
        with self._mutex:
            self.seconds += seconds
            self.count += 1


LOCK_WAITS = LockWaits()

_offering_cols = [c.label(f"o_{c.name}") for c in t.network_offerings.c]


def _offering(m: Any) -> NetworkOffering:
    return NetworkOffering(
        m["o_id"], m["o_uuid"], m["o_name"], m["o_display_text"], GuestType(m["o_guest_type"]),
        tuple(s for s in m["o_services"].split(",") if s), m["o_specify_vlan"], m["o_specify_ip_ranges"],
        m["o_for_vpc"], m["o_is_default"], m["o_state"], m["o_created"], bool(m["o_egress_default_allow"]),
    )


def _query() -> Any:
    n = t.networks
    return (
        select(
            *n.c, *_offering_cols, t.zones.c.uuid.label("zone_uuid"), t.zones.c.name.label("zone_name"),
            t.accounts.c.name.label("account_name"), t.domains.c.uuid.label("domain_uuid"),
            t.domains.c.name.label("domain_name"), t.domains.c.path.label("domain_path"),
            t.vpcs.c.uuid.label("vpc_uuid"), t.network_acls.c.uuid.label("acl_uuid"),
            t.network_acls.c.name.label("acl_name"),
        )
        .select_from(
            n.join(t.network_offerings, t.network_offerings.c.id == n.c.network_offering_id)
            .join(t.zones, t.zones.c.id == n.c.zone_id)
            .join(t.domains, t.domains.c.id == n.c.domain_id)
            .outerjoin(t.accounts, t.accounts.c.id == n.c.account_id)
            .outerjoin(t.vpcs, t.vpcs.c.id == n.c.vpc_id)
            .outerjoin(t.network_acls, t.network_acls.c.id == n.c.network_acl_id)
        )
        .where(n.c.removed.is_(None))
    )


def _network(m: Any) -> Network:
    return Network(
        m["id"], m["uuid"], m["name"], m["display_text"], m["zone_id"], m["zone_uuid"], m["zone_name"],
        _offering(m), GuestType(m["guest_type"]), m["acl_type"], m["cidr"], m["gateway"], m["ip6_cidr"],
        m["ip6_gateway"], m["vlan"], m["state"], m["account_id"], m["account_name"], m["domain_id"],
        m["domain_uuid"], m["domain_name"], m["domain_path"], m["vpc_uuid"], m["created"],
        m["network_domain"], m["acl_uuid"], m["acl_name"],
    )


# FOR NO KEY UPDATE (PostgreSQL): it serialises allocations as FOR UPDATE does, but does not wait for
# transactions that only reference the row (a NIC inserted into the network holds a KEY SHARE lock on
# it): with FOR UPDATE, two deploys into one network that had each inserted their NIC deadlocked.
_LOCK = (
    select(t.networks.c.ip4_cursor, t.networks.c.ip6_cursor)
    .where(t.networks.c.id == bindparam("network_id"))
    .with_for_update(key_share=True)
)
_SET_CURSOR = {
    4: t.networks.update().where(t.networks.c.id == bindparam("network_id")).values(ip4_cursor=bindparam("cursor")),
    6: t.networks.update().where(t.networks.c.id == bindparam("network_id")).values(ip6_cursor=bindparam("cursor")),
}


@dataclass(frozen=True, slots=True)
class NetworkQuery:
    """A network listing, its references resolved to row ids: the networks `audience` sees that match the rest."""

    audience: NetworkAudience
    network_id: int | None = None
    zone_id: int | None = None
    vpc_id: int | None = None
    guest_type: str | None = None
    keyword: str | None = None  # within the name
    tags: tuple[tuple[str, str | None], ...] = ()  # resource tags it must have (a None value: any)

    def where(self) -> list[Any]:
        n = t.networks.c
        where = seen_by(self.audience)
        for column, value in ((n.id, self.network_id), (n.zone_id, self.zone_id), (n.vpc_id, self.vpc_id),
                              (n.guest_type, self.guest_type)):
            if value is not None:
                where.append(column == value)
        if self.keyword is not None:
            where.append(n.name.contains(self.keyword, autoescape=True))
        where += tagged("Network", n.uuid, list(self.tags))
        return where


@dataclass(frozen=True, slots=True)
class RouterOf:
    """What picks a network's router: its kind, its uuid, and its VPC's uuid and live tiers (with a subnet)."""

    guest_type: GuestType
    uuid: str
    vpc_uuid: str | None
    tiers: list[int]


_ROUTER_OF = (
    select(t.networks.c.guest_type, t.networks.c.uuid, t.networks.c.vpc_id, t.vpcs.c.uuid.label("vpc_uuid"))
    .select_from(t.networks.outerjoin(t.vpcs, t.vpcs.c.id == t.networks.c.vpc_id))
    .where(t.networks.c.id == bindparam("network_id"), t.networks.c.removed.is_(None))
)
_TIERS = (select(t.networks.c.id).where(t.networks.c.vpc_id == bindparam("vpc_id"), t.networks.c.removed.is_(None),
                                         t.networks.c.cidr.is_not(None)).order_by(t.networks.c.id))


class NetworkRepository:
    """Guest networks and the per-network lock that serialises address allocation."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def router_of(self, network_id: int) -> RouterOf | None:
        row = prepared.first(self.conn, _ROUTER_OF, {"network_id": network_id})
        if row is None:
            return None
        tiers = ([r["id"] for r in prepared.rows(self.conn, _TIERS, {"vpc_id": row["vpc_id"]})]
                 if row["vpc_id"] is not None else [])
        return RouterOf(GuestType(row["guest_type"]), row["uuid"], row["vpc_uuid"], tiers)

    def network_by(self, **where: Any) -> Network | None:
        row = prepared.first(self.conn, lookup_statement(_query, t.networks, tuple(where)), lookup_params(where))
        return _network(row) if row else None

    def matching(self, query: NetworkQuery, page: tuple[int, int] | None) -> tuple[list[Network], int]:
        return self.listing(query.where(), page)

    def listing(self, where: list[Any], page: tuple[int, int] | None
    ) -> tuple[list[Network], int]:
        query = _query().where(*where)
        total = self.conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        query = query.order_by(t.networks.c.id)
        if page:
            query = query.limit(page[1]).offset(page[0])
        return [_network(r._mapping) for r in self.conn.execute(query)], total

    def create(self, **values: Any) -> int:
        result = self.conn.execute(t.networks.insert().values(uuid=new_uuid(), created=now(), **values))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def lock(self, network_id: int) -> tuple[int | None, bytes | None]:
        """Lock the network row until commit (PostgreSQL; SQLite holds its writer lock) and
        return the allocator's IPv4 and IPv6 cursors."""
        began = time.perf_counter()
        row = prepared.first(self.conn, _LOCK, {"network_id": network_id})
        LOCK_WAITS.add(time.perf_counter() - began)
        assert row is not None, f"network {network_id} vanished under its lock"
        return row["ip4_cursor"], row["ip6_cursor"]

    def set_cursor(self, network_id: int, family: int, cursor: int) -> None:
        stored: int | bytes = cursor if family == 4 else cursor.to_bytes(16, "big")
        prepared.execute(self.conn, _SET_CURSOR[family], {"network_id": network_id, "cursor": stored})

    def mark_removed(self, network_id: int) -> None:
        n = t.networks
        self.conn.execute(n.update().where(n.c.id == network_id).values(removed=now(), state="Destroy"))

    def update(self, network_id: int, **values: Any) -> None:
        self.conn.execute(t.networks.update().where(t.networks.c.id == network_id).values(**values))

    def set_state(self, network_id: int, state: str) -> None:
        self.conn.execute(t.networks.update().where(t.networks.c.id == network_id).values(state=state))
