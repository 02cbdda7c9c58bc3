"""The guest address allocations table: one row per consumer, unique per network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from nicstack.db import tables as t
from nicstack.db.rows import now
from nicstack.domain.kinds import AllocationKind
from nicstack.ipam.addresses import int_to_key, key_to_int


@dataclass
class UsedInNetwork:
    """The allocator's view of used addresses in one network and family (ipam.UsedIndex)."""

    conn: Connection
    network_id: int
    family: int

    def used_between(self, low: int, high: int, limit: int) -> Sequence[int]:
        a = t.ip_allocations
        rows = self.conn.execute(
            select(a.c.addr)
            .where(
                a.c.network_id == self.network_id,
                a.c.family == self.family,
                a.c.addr >= int_to_key(low),
                a.c.addr <= int_to_key(high),
            )
            .order_by(a.c.addr)
            .limit(limit)
        )
        return [key_to_int(r[0]) for r in rows]


class AddressTaken(Exception):
    """The unique key refused the row: someone holds the address already."""


def holder(conn: Connection, network_id: int, family: int, value: int) -> AllocationKind | None:
    a = t.ip_allocations
    kind = conn.execute(
        select(a.c.kind).where(a.c.network_id == network_id, a.c.family == family, a.c.addr == int_to_key(value))
    ).scalar()
    return AllocationKind(kind) if kind else None


def insert(
    conn: Connection, network_id: int, family: int, value: int, kind: AllocationKind,
    nic_id: int | None = None, secondary_id: int | None = None,
) -> int:
    # No savepoint: a refusal here aborts the whole transaction, which is what we want.
    try:
        key = conn.execute(
            t.ip_allocations.insert().values(
                network_id=network_id, family=family, addr=int_to_key(value), kind=str(kind),
                nic_id=nic_id, secondary_id=secondary_id, created=now(),
            )
        ).inserted_primary_key
    except IntegrityError:
        raise AddressTaken from None
    assert key is not None
    return int(key[0])


def attach_secondary(conn: Connection, allocation_id: int, secondary_id: int) -> None:
    conn.execute(
        t.ip_allocations.update().where(t.ip_allocations.c.id == allocation_id).values(secondary_id=secondary_id)
    )


def release(conn: Connection, network_id: int, family: int, value: int) -> None:
    a = t.ip_allocations
    conn.execute(
        a.delete().where(a.c.network_id == network_id, a.c.family == family, a.c.addr == int_to_key(value))
    )


def release_nic(conn: Connection, nic_id: int) -> None:
    conn.execute(t.ip_allocations.delete().where(t.ip_allocations.c.nic_id == nic_id))


def count(conn: Connection, network_id: int, family: int) -> int:
    a = t.ip_allocations
    return int(
        conn.execute(
            select(func.count()).select_from(a).where(a.c.network_id == network_id, a.c.family == family)
        ).scalar_one()
    )
