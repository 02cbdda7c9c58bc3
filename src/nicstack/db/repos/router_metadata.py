"""Each router's published metadata entries, a row per (router, VM), and the queue of VMs whose entries are due."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, bindparam, select

from nicstack.db import prepared
from nicstack.db import tables as t

m, q = t.router_metadata, t.metadata_queue
# A VM's change runs these once per router of the VM (the hot path of every addIpToNic job).
_ONE = select(m.c.entry).where(m.c.target == bindparam("target"), m.c.vm_uuid == bindparam("vm_uuid"))
_DROP_ONE = m.delete().where(m.c.target == bindparam("target"), m.c.vm_uuid == bindparam("vm_uuid"))
_INSERT, _QUEUE = m.insert(), q.insert()
_QUEUED = select(q.c.id, q.c.vm_id).order_by(q.c.id).limit(bindparam("limit"))
_QUEUED_SKIP_LOCKED = _QUEUED.with_for_update(skip_locked=True)
_UNQUEUE = q.delete().where(q.c.id.in_(bindparam("ids", expanding=True)))


class RouterMetadataRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def entries(self, target: str) -> list[str]:
        """The router's entries in VM uuid order: its metadata document's lines."""
        rows = self.conn.execute(select(m.c.entry).where(m.c.target == target).order_by(m.c.vm_uuid))
        return [entry for (entry,) in rows.tuples()]

    def of(self, target: str, vm_uuids: Sequence[str] | None = None) -> dict[str, str]:
        """VM uuid -> its entry, for `vm_uuids` (default: every VM the router lists)."""
        if vm_uuids is not None:
            found = {uuid: prepared.first(self.conn, _ONE, {"target": target, "vm_uuid": uuid}) for uuid in vm_uuids}
            return {uuid: row["entry"] for uuid, row in found.items() if row is not None}
        query = select(m.c.vm_uuid, m.c.entry).where(m.c.target == target)
        return {uuid: entry for uuid, entry in self.conn.execute(query).tuples()}

    def write(self, target: str, old: Mapping[str, str], new: Mapping[str, str]) -> None:
        """Rows from `old` (what is stored) to `new`, for the VMs either names: only the differences are written."""
        for uuid in old:
            if old[uuid] != new.get(uuid):
                prepared.execute(self.conn, _DROP_ONE, {"target": target, "vm_uuid": uuid})
        added = [{"target": target, "vm_uuid": uuid, "entry": entry} for uuid, entry in new.items()
                 if old.get(uuid) != entry]
        prepared.execute_many(self.conn, _INSERT, added)

    def queue(self, vm_ids: Sequence[int]) -> None:
        """The VMs' entries are due: a worker's next pass publishes them on every router of theirs."""
        prepared.execute_many(self.conn, _QUEUE, [{"vm_id": vm_id} for vm_id in vm_ids])

    def take_queued(self, limit: int) -> dict[int, int]:
        """Up to `limit` queued rows, oldest first, removed from the queue (row id -> VM id).

        PostgreSQL: the rows are locked with SKIP LOCKED, so workers taking at once take
        different rows, and a VM queued while this transaction runs has a row of its own that
        the next pass takes. SQLite has one writer: nothing interleaves.
        """
        due = _QUEUED_SKIP_LOCKED if self.conn.dialect.name == "postgresql" else _QUEUED
        taken = dict(self.conn.execute(due, {"limit": limit}).tuples().all())
        if taken:
            self.conn.execute(_UNQUEUE, {"ids": list(taken)})
        return taken
