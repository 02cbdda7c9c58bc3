"""Published data-plane generations: one row per target ("router:<uuid>", "host:<uuid>"), and its lock.

Publishers of one target serialise on its row (`lock`), never on a network row: publishing a
router must not wait for, or hold up, the allocations of its networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from nicstack.db import prepared
from nicstack.db import tables as t
from nicstack.db.rows import now

g = t.dataplane_generations
# Every job and metadata pass locks its targets: statements built once, run on the prepared path.
_GET = select(g.c.target, g.c.generation, g.c.digest, g.c.documents).where(g.c.target == bindparam("t"))
_LOCK = _GET.with_for_update(key_share=True)
_MAKE = g.insert().values(target=bindparam("t"), generation=0, digest="", updated=bindparam("at"))
# Two first publications of one target must not both insert: the second one waits on the row instead.
_MAKE_ONCE = pg_insert(g).values(target=bindparam("t"), generation=0, digest="", updated=bindparam("at")) \
    .on_conflict_do_nothing(index_elements=["target"])
_ADVANCE = g.update().where(g.c.target == bindparam("t")).values(
    generation=bindparam("n"), digest=bindparam("d"), documents=bindparam("docs"), updated=bindparam("at"))


@dataclass(frozen=True, slots=True)
class Generation:
    """What a target was last given: its number, its content's digest and (routers) its documents."""

    target: str
    generation: int
    digest: str
    documents: str | None


class GenerationRepository:
    """Published generations, read and written through one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, target: str) -> Generation | None:
        row = prepared.first(self.conn, _GET, {"t": target})
        return _generation(row) if row else None

    def lock(self, target: str) -> Generation:
        """The target's row, locked until the transaction ends; made (generation 0) when it has none yet."""
        if self.conn.dialect.name == "postgresql":
            prepared.execute(self.conn, _MAKE_ONCE, {"t": target, "at": now()})
        else:
            # SQLite: a write transaction (BEGIN IMMEDIATE) holds the database's one write lock already.
            found = self.get(target)
            if found is not None:
                return found
            prepared.execute(self.conn, _MAKE, {"t": target, "at": now()})
        row = prepared.first(self.conn, _LOCK, {"t": target})
        assert row is not None
        return _generation(row)

    def advance(self, target: str, generation: int, digest: str, documents: str | None = None) -> None:
        prepared.execute(self.conn, _ADVANCE, {"t": target, "n": generation, "d": digest, "docs": documents,
                                               "at": now()})

    def all(self) -> list[Generation]:
        rows = self.conn.execute(select(g.c.target, g.c.generation, g.c.digest, g.c.documents).order_by(g.c.target))
        return [Generation(r[0], int(r[1]), r[2], r[3]) for r in rows]


def _generation(row: dict[str, Any]) -> Generation:
    return Generation(row["target"], int(row["generation"]), row["digest"], row["documents"])
