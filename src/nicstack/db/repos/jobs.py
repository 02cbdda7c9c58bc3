"""The job queue's rows: created with the change's transaction, claimed under a lease, finished one by one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from nicstack.db import prepared
from nicstack.db import tables as t
from nicstack.db.rows import now
from nicstack.domain.kinds import JobStatus

j = t.async_jobs


@dataclass(frozen=True, slots=True)
class Job:
    """A job as clients see it (queryAsyncJobResult, listAsyncJobs)."""

    id: int
    uuid: str
    cmd: str
    user_id: int
    user_uuid: str
    account_id: int
    account_uuid: str
    status: JobStatus
    result_code: int
    result: dict[str, Any] | None
    instance_type: str | None
    instance_uuid: str | None
    created: datetime
    completed: datetime | None


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job a worker holds the lease of: what it needs to run it."""

    id: int
    uuid: str
    cmd: str
    params: str
    user_id: int | None
    attempts: int
    created_by: str


def _query() -> Any:
    # Inner joins: a job no user asked for (a data-plane publication) is nobody's to list.
    return select(
        *j.c, t.users.c.uuid.label("user_uuid"), t.accounts.c.uuid.label("account_uuid")
    ).select_from(
        j.join(t.users, t.users.c.id == j.c.user_id).join(t.accounts, t.accounts.c.id == j.c.account_id)
    )


def _job(m: Any) -> Job:
    return Job(
        m["id"], m["uuid"], m["cmd"], m["user_id"], m["user_uuid"], m["account_id"], m["account_uuid"],
        JobStatus(m["status"]), m["result_code"], json.loads(m["result"]) if m["result"] else None,
        m["instance_type"], m["instance_uuid"], m["created"], m["completed"],
    )


_PENDING = int(JobStatus.PENDING)
_DUE = (
    select(j.c.id)
    .where(j.c.status == _PENDING, j.c.available_at <= bindparam("now"),
           (j.c.lease_until.is_(None)) | (j.c.lease_until < bindparam("now")))
    .order_by(j.c.id)
    .limit(bindparam("limit"))
)
_TAKEN = (j.c.id, j.c.uuid, j.c.cmd, j.c.params, j.c.user_id, j.c.attempts, j.c.created_by)
_LEASE = {"claimed_by": bindparam("me"), "lease_until": bindparam("until"), "attempts": j.c.attempts + 1}
# SQLite (one writer): one statement takes the lease of the due jobs and returns them.
_CLAIM = j.update().where(j.c.id.in_(_DUE.scalar_subquery())).values(_LEASE).returning(*_TAKEN)
# PostgreSQL: the due rows locked with SKIP LOCKED first, so servers claiming at once take different jobs.
# (Not as a subquery of the update, which the planner may run more than once.)
_DUE_SKIP_LOCKED = _DUE.with_for_update(skip_locked=True)
_TAKE = j.update().where(j.c.id.in_(bindparam("ids", expanding=True))).values(_LEASE).returning(*_TAKEN)
_FINISH = (
    j.update()
    .where(j.c.id == bindparam("job_id"), j.c.status == _PENDING, j.c.claimed_by == bindparam("me"))
    .values(status=bindparam("new_status"), result_code=bindparam("code"), result=bindparam("body"),
            completed=bindparam("stamp"), lease_until=None)
)


class JobRepository:
    """The job queue's rows, read and written through one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def create(
        self, uuid: str, user_id: int | None, account_id: int | None, cmd: str, params: str, created_by: str,
        instance: tuple[str, str] | None,
    ) -> int:
        stamp = now()
        return prepared.insert(
            self.conn, j,
            {"uuid": uuid, "user_id": user_id, "account_id": account_id, "cmd": cmd, "params": params,
             "instance_type": instance[0] if instance else None, "instance_uuid": instance[1] if instance else None,
             "created_by": created_by, "status": _PENDING, "attempts": 0, "claimed_by": None, "lease_until": None,
             "available_at": stamp, "last_error": None, "result_code": 0, "result": None, "completed": None,
             "created": stamp},
        )

    def by_uuid(self, job_uuid: str) -> Job | None:
        row = self.conn.execute(_query().where(j.c.uuid == job_uuid)).first()
        return _job(row._mapping) if row else None

    def listing(self, account_ids: list[int] | None, page: tuple[int, int] | None) -> tuple[list[Job], int]:
        query = _query()
        if account_ids is not None:
            query = query.where(j.c.account_id.in_(account_ids))
        total = self.conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        query = query.order_by(j.c.id.desc())
        if page:
            query = query.limit(page[1]).offset(page[0])
        return [_job(r._mapping) for r in self.conn.execute(query)], total

    def claim(self, me: str, lease_until: datetime, limit: int) -> list[ClaimedJob]:
        """Take the lease of up to `limit` due jobs, oldest first; jobs other servers hold are skipped."""
        values = {"now": now(), "limit": limit, "me": me, "until": lease_until}
        if self.conn.dialect.name == "postgresql":
            ids = [row[0] for row in self.conn.execute(_DUE_SKIP_LOCKED, values)]
            rows = self.conn.execute(_TAKE, {**values, "ids": ids}).tuples().all() if ids else []
        else:
            rows = prepared.tuples(self.conn, _CLAIM, values)
        # RETURNING gives no order: oldest first.
        return sorted((ClaimedJob(*row) for row in rows), key=lambda job: job.id)

    def renew(self, me: str, ids: list[int], lease_until: datetime) -> None:
        if ids:
            self.conn.execute(j.update().where(j.c.id.in_(ids), j.c.claimed_by == me, j.c.status == _PENDING)
                              .values(lease_until=lease_until))

    def finish(self, job_id: int, me: str, status: JobStatus, code: int, body: dict[str, Any]) -> bool:
        """Record the outcome, if the job is still ours and pending; False when another server has it now."""
        values = {"job_id": job_id, "me": me, "new_status": int(status), "code": code, "body": json.dumps(body),
                  "stamp": now()}
        return prepared.execute(self.conn, _FINISH, values) == 1

    def retry_later(self, job_id: int, me: str, available_at: datetime, error: str) -> None:
        """Give the job back to the queue, due again at `available_at` (backoff)."""
        self.conn.execute(
            j.update().where(j.c.id == job_id, j.c.claimed_by == me, j.c.status == _PENDING)
            .values(claimed_by=None, lease_until=None, available_at=available_at, last_error=error[:4000])
        )

    def queue_depth(self) -> tuple[int, datetime | None]:
        """How many jobs are pending, and when the oldest of them was created."""
        row = self.conn.execute(select(func.count(), func.min(j.c.created)).where(j.c.status == _PENDING)).one()
        return int(row[0]), row[1]
