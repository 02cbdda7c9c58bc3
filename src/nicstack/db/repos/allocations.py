"""The guest address allocations table: one row per consumer, unique per network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import ip_address

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from nicstack.db import prepared
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
        params = {"net": self.network_id, "family": self.family, "low": int_to_key(low), "high": int_to_key(high),
                  "limit": limit}
        return [key_to_int(r["addr"]) for r in prepared.rows(self.conn, _USED_BETWEEN, params)]


_a = t.ip_allocations
# Built once: statements on the allocation path run thousands of times a second.
_USED_BETWEEN = (
    select(_a.c.addr)
    .where(_a.c.network_id == bindparam("net"), _a.c.family == bindparam("family"),
           _a.c.addr >= bindparam("low"), _a.c.addr <= bindparam("high"))
    .order_by(_a.c.addr)
    .limit(bindparam("limit"))
)
_HOLDER = select(_a.c.kind).where(
    _a.c.network_id == bindparam("net"), _a.c.family == bindparam("family"), _a.c.addr == bindparam("addr")
)
_ID_OF = select(_a.c.id).where(
    _a.c.network_id == bindparam("net"), _a.c.family == bindparam("family"), _a.c.addr == bindparam("addr")
)
_HELD = select(_a.c.id, _a.c.kind, _a.c.nic_id, _a.c.secondary_id).where(
    _a.c.network_id == bindparam("net"), _a.c.family == bindparam("family"), _a.c.addr == bindparam("addr")
)
_MOVE = _a.update().where(_a.c.id == bindparam("allocation_id")).values(nic_id=bindparam("nic_id"))
_INSERT = _a.insert()
_ATTACH = _a.update().where(_a.c.id == bindparam("allocation_id")).values(secondary_id=bindparam("secondary_id"))


@dataclass(frozen=True, slots=True)
class Held:
    allocation_id: int
    kind: AllocationKind
    nic_id: int | None
    secondary_id: int | None


class AddressTaken(Exception):
    """The unique key refused the row: someone holds the address already."""


class AllocationRepository:
    """The guest address allocations table: one row per consumer, unique per network."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def used_in(self, network_id: int, family: int) -> UsedInNetwork:
        """The allocator's index of the addresses used in one network and family."""
        return UsedInNetwork(self.conn, network_id, family)

    def id_of(self, network_id: int, address: str) -> int | None:
        """The allocation holding `address` in the network, if any."""
        parsed = ip_address(address)
        found = prepared.scalar(self.conn, _ID_OF, {"net": network_id, "family": parsed.version,
                                                    "addr": int_to_key(int(parsed))})
        return int(found) if found is not None else None

    def held(self, network_id: int, family: int, value: int) -> Held | None:
        """Who holds the address in the network: its allocation, the kind of holder, its NIC and secondary row."""
        row = prepared.first(self.conn, _HELD, {"net": network_id, "family": family, "addr": int_to_key(value)})
        return Held(row["id"], AllocationKind(row["kind"]), row["nic_id"], row["secondary_id"]) if row else None

    def move(self, allocation_id: int, nic_id: int) -> None:
        """The allocation now belongs to another NIC (a secondary IP moved with its rules)."""
        prepared.execute(self.conn, _MOVE, {"allocation_id": allocation_id, "nic_id": nic_id})

    def holders(self, network_id: int, family: int, values: Sequence[int]) -> dict[int, AllocationKind]:
        """Which of `values` are held in the network, and by what kind of holder; one query."""
        if len(values) == 1:
            kind = prepared.scalar(self.conn, _HOLDER, {"net": network_id, "family": family,
                                                        "addr": int_to_key(values[0])})
            return {values[0]: AllocationKind(kind)} if kind else {}
        found = self.conn.execute(select(_a.c.addr, _a.c.kind).where(
            _a.c.network_id == network_id, _a.c.family == family, _a.c.addr.in_([int_to_key(v) for v in values])))
        return {key_to_int(addr): AllocationKind(kind) for addr, kind in found}

    def insert(self, network_id: int, family: int, value: int, kind: AllocationKind) -> int:
        return self.insert_many(network_id, [(family, value)], kind)[0]

    def insert_many(self, network_id: int, addresses: Sequence[tuple[int, int]], kind: AllocationKind,
                    nic_id: int | None = None) -> list[int]:
        """One row per (family, value); their ids in the same order."""
        rows = [{"network_id": network_id, "family": family, "addr": int_to_key(value), "kind": str(kind),
                 "nic_id": nic_id, "secondary_id": None, "created": now()} for family, value in addresses]
        # No savepoint: a refusal here aborts the whole transaction, which is what we want.
        try:
            if len(rows) == 1:  # the hot path: one address, on the prepared statement
                return [prepared.insert(self.conn, _a, rows[0])]
            # executemany, then the ids read back by address: RETURNING rows of a multi-row insert
            # come in no promised order, and SQLAlchemy sorts them by running one insert per row.
            prepared.execute_many(self.conn, _INSERT, rows)
        except IntegrityError:
            raise AddressTaken from None
        ids: dict[tuple[int, int], int] = {}
        for family in {f for f, _ in addresses}:
            found = self.conn.execute(select(_a.c.addr, _a.c.id).where(
                _a.c.network_id == network_id, _a.c.family == family,
                _a.c.addr.in_([int_to_key(v) for f, v in addresses if f == family])))
            ids |= {(family, key_to_int(addr)): row_id for addr, row_id in found}
        return [ids[key] for key in addresses]

    def attach_secondaries(self, pairs: Sequence[tuple[int, int]]) -> None:
        """Point each allocation at its secondary IP row: (allocation id, secondary id) pairs."""
        if len(pairs) == 1:
            prepared.execute(self.conn, _ATTACH, {"allocation_id": pairs[0][0], "secondary_id": pairs[0][1]})
        else:
            prepared.execute_many(self.conn, _ATTACH, [{"allocation_id": a, "secondary_id": s} for a, s in pairs])

    def release(self, network_id: int, family: int, value: int) -> None:
        a = t.ip_allocations
        self.conn.execute(
            a.delete().where(a.c.network_id == network_id, a.c.family == family, a.c.addr == int_to_key(value))
        )

    def count(self, network_id: int, family: int) -> int:
        a = t.ip_allocations
        return int(
            self.conn.execute(
                select(func.count()).select_from(a).where(a.c.network_id == network_id, a.c.family == family)
            ).scalar_one()
        )
