"""Each router's published metadata entries, a row per (router, VM) and one per (router, NIC, address), and the
queue of VMs whose entries are due."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from nicstack.db import prepared
from nicstack.db import tables as t

m, q, ma = t.router_metadata, t.metadata_queue, t.router_metadata_addresses
_DROP_ONE = m.delete().where(m.c.target == bindparam("target"), m.c.vm_uuid == bindparam("vm_uuid"))
_DROP_ADDRESS = ma.delete().where(ma.c.nic_uuid == bindparam("nic_uuid"), ma.c.address == bindparam("address"),
                                  ma.c.target == bindparam("target"))
_QUEUE = q.insert()


def _upsert(insert: sqlite.Insert | postgresql.Insert) -> sqlite.Insert | postgresql.Insert:
    return insert.on_conflict_do_update(index_elements=[m.c.target, m.c.vm_uuid], set_={"entry": insert.excluded.entry})


def _upsert_address(insert: sqlite.Insert | postgresql.Insert) -> sqlite.Insert | postgresql.Insert:
    return insert.on_conflict_do_update(index_elements=[ma.c.nic_uuid, ma.c.address, ma.c.target],
                                        set_={"position": insert.excluded.position})


# A metadata pass writes every changed (router, VM) entry of its batch with one of these, in one driver call.
_PUT = {"sqlite": _upsert(sqlite.insert(m)), "postgresql": _upsert(postgresql.insert(m))}
_PUT_ADDRESS = {"sqlite": _upsert_address(sqlite.insert(ma)), "postgresql": _upsert_address(postgresql.insert(ma))}
_ADDRESSES_OF = select(ma.c.target, ma.c.nic_uuid, ma.c.address, ma.c.position).where(
    ma.c.nic_uuid.in_(bindparam("nic_uuids", expanding=True)))
_ADDRESSES_AT = _ADDRESSES_OF.where(ma.c.address.in_(bindparam("addresses", expanding=True)))
_QUEUED = select(q.c.id, q.c.vm_id, q.c.nic_id, q.c.address).order_by(q.c.id).limit(bindparam("limit"))
_QUEUED_SKIP_LOCKED = _QUEUED.with_for_update(skip_locked=True)
_UNQUEUE = q.delete().where(q.c.id.in_(bindparam("ids", expanding=True)))
_OF_VMS = select(m.c.target, m.c.vm_uuid, m.c.entry).where(m.c.vm_uuid.in_(bindparam("vm_uuids", expanding=True)))


class RouterMetadataRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def entries(self, target: str) -> tuple[list[str], dict[str, list[str]]]:
        """The router's entries' bases in VM uuid order, and each NIC's addresses in order (NIC uuid -> texts):
        its metadata document's lines, once each base is given its NICs' addresses."""
        held: dict[str, list[tuple[int, str]]] = {}
        for (_, nic_uuid, address), position in self.addresses_on(target).items():
            held.setdefault(nic_uuid, []).append((position, address))
        rows = self.conn.execute(select(m.c.entry).where(m.c.target == target).order_by(m.c.vm_uuid))
        return [base for (base,) in rows.tuples()], {nic: [a for _, a in sorted(found)] for nic, found in held.items()}

    def of(self, target: str) -> dict[str, str]:
        """VM uuid -> its entry's base, for every VM the router lists."""
        query = select(m.c.vm_uuid, m.c.entry).where(m.c.target == target)
        return {uuid: entry for uuid, entry in self.conn.execute(query).tuples()}

    def of_vms(self, vm_uuids: Sequence[str]) -> dict[tuple[str, str], str]:
        """(router, VM uuid) -> entry's base, on every router that lists one of the VMs: one read for a pass."""
        if not vm_uuids:
            return {}
        rows = prepared.tuples(self.conn, _OF_VMS, {"vm_uuids": list(vm_uuids)})
        return {(target, uuid): entry for target, uuid, entry in rows}

    def write(self, target: str, old: Mapping[str, str], new: Mapping[str, str]) -> None:
        """Rows from `old` (what is stored) to `new`, for the VMs either names: only the differences are written."""
        self.apply({(target, uuid): entry for uuid, entry in old.items()},
                   {(target, uuid): entry for uuid, entry in new.items()})

    def apply(self, old: Mapping[tuple[str, str], str], new: Mapping[tuple[str, str], str]) -> None:
        """Rows from `old` to `new`, keyed (router, VM uuid): the changed ones in one call, the dropped in another."""
        put = [{"target": target, "vm_uuid": uuid, "entry": entry} for (target, uuid), entry in new.items()
               if old.get((target, uuid)) != entry]
        prepared.execute_many(self.conn, _PUT[self.conn.dialect.name], put)
        gone = [{"target": target, "vm_uuid": uuid} for target, uuid in old if (target, uuid) not in new]
        prepared.execute_many(self.conn, _DROP_ONE, gone)

    def addresses_of(self, nic_uuids: Sequence[str], addresses: Sequence[str] | None = None
                     ) -> dict[tuple[str, str, str], int]:
        """(router, NIC uuid, address) -> position of the NICs' addresses on every router listing them; only
        `addresses` of them when given (what a pass of queued addresses reads: a NIC may hold hundreds)."""
        if not nic_uuids or addresses == []:
            return {}
        stmt, params = ((_ADDRESSES_OF, {"nic_uuids": list(nic_uuids)}) if addresses is None else
                        (_ADDRESSES_AT, {"nic_uuids": list(nic_uuids), "addresses": list(addresses)}))
        return {(target, nic, address): position
                for target, nic, address, position in prepared.tuples(self.conn, stmt, params)}

    def addresses_on(self, target: str) -> dict[tuple[str, str, str], int]:
        """(router, NIC uuid, address) -> position of every address the router lists."""
        query = select(ma.c.nic_uuid, ma.c.address, ma.c.position).where(ma.c.target == target)
        return {(target, nic, address): position for nic, address, position in self.conn.execute(query).tuples()}

    def apply_addresses(self, put: Mapping[tuple[str, str, str], int], drop: Iterable[tuple[str, str, str]]) -> None:
        """Rows (router, NIC uuid, address) -> position written, and those of `drop` deleted, in one call each."""
        prepared.execute_many(self.conn, _PUT_ADDRESS[self.conn.dialect.name],
                              [{"target": target, "nic_uuid": nic, "address": address, "position": position}
                               for (target, nic, address), position in put.items()])
        prepared.execute_many(self.conn, _DROP_ADDRESS, [{"target": target, "nic_uuid": nic, "address": address}
                                                         for target, nic, address in drop])

    def queue(self, due: Sequence[tuple[int, int | None, str | None]]) -> None:
        """The VMs' entries are due, as (VM, NIC, address): that address of that NIC was added or taken, or
        (VM, None, None): anything of the VM changed. A worker's next pass publishes them on every router
        of theirs."""
        prepared.execute_many(self.conn, _QUEUE, [{"vm_id": vm_id, "nic_id": nic_id, "address": address}
                                                  for vm_id, nic_id, address in due])

    def take_queued(self, limit: int) -> dict[int, tuple[int, int | None, str | None]]:
        """Up to `limit` queued rows, oldest first, removed from the queue (row id -> (VM id, NIC id, address)).

        PostgreSQL: the rows are locked with SKIP LOCKED, so workers taking at once take
        different rows, and a VM queued while this transaction runs has a row of its own that
        the next pass takes. SQLite has one writer: nothing interleaves.
        """
        due = _QUEUED_SKIP_LOCKED if self.conn.dialect.name == "postgresql" else _QUEUED
        taken = {row_id: (vm_id, nic_id, address)
                 for row_id, vm_id, nic_id, address in prepared.tuples(self.conn, due, {"limit": limit})}
        if taken:
            prepared.execute(self.conn, _UNQUEUE, {"ids": list(taken)})
        return taken
