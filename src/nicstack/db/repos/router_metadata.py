"""The published metadata entries of each router, one row per (router, VM)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, select

from nicstack.db import tables as t

m = t.router_metadata


class RouterMetadataRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def entries(self, target: str) -> list[str]:
        """The router's entries in VM uuid order: its metadata document's lines."""
        rows = self.conn.execute(select(m.c.entry).where(m.c.target == target).order_by(m.c.vm_uuid))
        return [entry for (entry,) in rows.tuples()]

    def of(self, target: str, vm_uuids: Sequence[str] | None = None) -> dict[str, str]:
        """VM uuid -> its entry, for `vm_uuids` (default: every VM the router lists)."""
        query = select(m.c.vm_uuid, m.c.entry).where(m.c.target == target)
        if vm_uuids is not None:
            query = query.where(m.c.vm_uuid.in_(list(vm_uuids)))
        return {uuid: entry for uuid, entry in self.conn.execute(query).tuples()}

    def write(self, target: str, old: Mapping[str, str], new: Mapping[str, str]) -> None:
        """Rows from `old` (what is stored) to `new`, for the VMs either names: only the differences are written."""
        gone = [uuid for uuid in old if old[uuid] != new.get(uuid)]
        if gone:
            self.conn.execute(m.delete().where(m.c.target == target, m.c.vm_uuid.in_(gone)))
        added = [{"target": target, "vm_uuid": uuid, "entry": entry} for uuid, entry in new.items()
                 if old.get(uuid) != entry]
        if added:
            self.conn.execute(m.insert(), added)
