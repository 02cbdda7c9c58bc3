"""The published metadata entries of each router, one row per (router, VM)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, bindparam, select

from nicstack.db import prepared
from nicstack.db import tables as t

m = t.router_metadata
# A VM's change runs these once per router of the VM (the hot path of every addIpToNic job).
_ONE = select(m.c.entry).where(m.c.target == bindparam("target"), m.c.vm_uuid == bindparam("vm_uuid"))
_DROP_ONE = m.delete().where(m.c.target == bindparam("target"), m.c.vm_uuid == bindparam("vm_uuid"))


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
        prepared.execute_many(self.conn, m.insert(), added)
