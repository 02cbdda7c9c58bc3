"""Each router's published metadata entries, a row per (router, VM), and the queue of VMs whose entries are due."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from nicstack.db import prepared
from nicstack.db import tables as t

m, q = t.router_metadata, t.metadata_queue
_DROP_ONE = m.delete().where(m.c.target == bindparam("target"), m.c.vm_uuid == bindparam("vm_uuid"))
_QUEUE = q.insert()


def _upsert(insert: sqlite.Insert | postgresql.Insert) -> sqlite.Insert | postgresql.Insert:
    return insert.on_conflict_do_update(index_elements=[m.c.target, m.c.vm_uuid], set_={"entry": insert.excluded.entry})


# A metadata pass writes every changed (router, VM) entry of its batch with one of these, in one driver call.
_PUT = {"sqlite": _upsert(sqlite.insert(m)), "postgresql": _upsert(postgresql.insert(m))}
_QUEUED = select(q.c.id, q.c.vm_id, q.c.nic_id).order_by(q.c.id).limit(bindparam("limit"))
_QUEUED_SKIP_LOCKED = _QUEUED.with_for_update(skip_locked=True)
_UNQUEUE = q.delete().where(q.c.id.in_(bindparam("ids", expanding=True)))
_OF_VMS = select(m.c.target, m.c.vm_uuid, m.c.entry).where(m.c.vm_uuid.in_(bindparam("vm_uuids", expanding=True)))


class RouterMetadataRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def entries(self, target: str) -> list[str]:
        """The router's entries in VM uuid order: its metadata document's lines."""
        rows = self.conn.execute(select(m.c.entry).where(m.c.target == target).order_by(m.c.vm_uuid))
        return [entry for (entry,) in rows.tuples()]

    def of(self, target: str) -> dict[str, str]:
        """VM uuid -> its entry, for every VM the router lists."""
        query = select(m.c.vm_uuid, m.c.entry).where(m.c.target == target)
        return {uuid: entry for uuid, entry in self.conn.execute(query).tuples()}

    def of_vms(self, vm_uuids: Sequence[str]) -> dict[tuple[str, str], str]:
        """(router, VM uuid) -> entry, on every router that lists one of the VMs: one read for a pass."""
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

    def queue(self, due: Sequence[tuple[int, int | None]]) -> None:
        """The VMs' entries are due, as (VM, the one NIC whose addresses changed or None): a worker's next
        pass publishes them on every router of theirs."""
        prepared.execute_many(self.conn, _QUEUE, [{"vm_id": vm_id, "nic_id": nic_id} for vm_id, nic_id in due])

    def take_queued(self, limit: int) -> dict[int, tuple[int, int | None]]:
        """Up to `limit` queued rows, oldest first, removed from the queue (row id -> (VM id, NIC id or None)).

        PostgreSQL: the rows are locked with SKIP LOCKED, so workers taking at once take
        different rows, and a VM queued while this transaction runs has a row of its own that
        the next pass takes. SQLite has one writer: nothing interleaves.
        """
        due = _QUEUED_SKIP_LOCKED if self.conn.dialect.name == "postgresql" else _QUEUED
        taken = {row_id: (vm_id, nic_id) for row_id, vm_id, nic_id in prepared.tuples(self.conn, due, {"limit": limit})}
        if taken:
            prepared.execute(self.conn, _UNQUEUE, {"ids": list(taken)})
        return taken
