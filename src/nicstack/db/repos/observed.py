"""What the health and metrics endpoints read from the database, at each check or scrape.

Read from the tables rather than from the server's memory, so the figures stay true whichever
server runs the jobs and publishes the data plane.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select, text

from nicstack.db import tables as t
from nicstack.domain.kinds import JobStatus


def ping(conn: Connection) -> None:
    """One round trip: raises when the database does not answer."""
    conn.execute(text("SELECT 1")).scalar_one()


def pending_jobs(conn: Connection) -> tuple[int, datetime | None]:
    """How many async jobs wait for a worker, and when the oldest of them was created."""
    j = t.async_jobs
    count, oldest = conn.execute(
        select(func.count(), func.min(j.c.created)).where(j.c.status == int(JobStatus.PENDING))
    ).one()
    return int(count), oldest


def published_generations(conn: Connection) -> list[tuple[str, int]]:
    """Each data-plane target ("router:<uuid>", "host:<uuid>") with its newest published generation."""
    g = t.dataplane_generations
    return [(row.target, int(row.generation)) for row in conn.execute(select(g.c.target, g.c.generation)
                                                                        .order_by(g.c.target))]


def applied_generations(conn: Connection) -> list[tuple[str, int, bool]]:
    """Each target an agent reports on, with the generation it holds and whether its last apply failed."""
    a = t.dataplane_applied
    rows = conn.execute(select(a.c.target, a.c.generation, a.c.ok_at, a.c.error_at).order_by(a.c.target))
    return [(r.target, int(r.generation), r.error_at is not None and (r.ok_at is None or r.error_at >= r.ok_at))
            for r in rows]
