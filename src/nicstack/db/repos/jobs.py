"""Async job rows: created with the request's transaction, finished by a worker."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, func, select

from nicstack.db import prepared
from nicstack.db import tables as t
from nicstack.db.rows import new_uuid, now
from nicstack.domain.access import Caller
from nicstack.domain.kinds import JobStatus


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    uuid: str
    cmd: str
    params: dict[str, Any]
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
class Outcome:
    job_id: int
    status: JobStatus
    code: int
    result: dict[str, Any]


def _query() -> Any:
    return select(
        *t.async_jobs.c, t.users.c.uuid.label("user_uuid"), t.accounts.c.uuid.label("account_uuid")
    ).select_from(
        t.async_jobs.join(t.users, t.users.c.id == t.async_jobs.c.user_id).join(
            t.accounts, t.accounts.c.id == t.async_jobs.c.account_id
        )
    )


def _job(m: Any) -> Job:
    return Job(
        m["id"], m["uuid"], m["cmd"], json.loads(m["params"]), m["user_id"], m["user_uuid"], m["account_id"],
        m["account_uuid"], JobStatus(m["status"]), m["result_code"],
        json.loads(m["result"]) if m["result"] else None, m["instance_type"], m["instance_uuid"],
        m["created"], m["completed"],
    )


_BY_IDS = _query().where(t.async_jobs.c.id.in_(bindparam("ids", expanding=True)))


_FINISH = (
    t.async_jobs.update()
    .where(t.async_jobs.c.id == bindparam("job_id"), t.async_jobs.c.status == int(JobStatus.PENDING))
    .values(status=bindparam("new_status"), result_code=bindparam("code"), result=bindparam("body"),
            completed=bindparam("stamp"))
)


class JobRepository:
    """Async job rows: created with the request's transaction, finished by a worker."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def create(self, caller: Caller, cmd: str, params: dict[str, Any], server: str,
        instance: tuple[str, str] | None = None,
    ) -> tuple[int, str]:
        job_uuid = new_uuid()
        job_id = prepared.insert(
            self.conn,
            t.async_jobs,
            {"uuid": job_uuid, "user_id": caller.user_id, "account_id": caller.account_id, "cmd": cmd,
             "params": json.dumps(params), "instance_type": instance[0] if instance else None,
             "instance_uuid": instance[1] if instance else None, "server": server,
             "status": int(JobStatus.PENDING), "result_code": 0, "result": None, "completed": None, "created": now()},
        )
        return job_id, job_uuid

    def by_uuid(self, job_uuid: str) -> Job | None:
        row = self.conn.execute(_query().where(t.async_jobs.c.uuid == job_uuid)).first()
        return _job(row._mapping) if row else None

    def by_ids(self, ids: Iterable[int]) -> list[Job]:
        return [_job(r._mapping) for r in self.conn.execute(_BY_IDS, {"ids": list(ids)})]

    def listing(self, account_ids: list[int] | None, page: tuple[int, int] | None) -> tuple[list[Job], int]:
        query = _query()
        if account_ids is not None:
            query = query.where(t.async_jobs.c.account_id.in_(account_ids))
        total = self.conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        query = query.order_by(t.async_jobs.c.id.desc())
        if page:
            query = query.limit(page[1]).offset(page[0])
        return [_job(r._mapping) for r in self.conn.execute(query)], total

    def finish(self, outcomes: Iterable[Outcome]) -> None:
        """Record the outcomes of a batch of jobs in one executemany."""
        stamp = now()
        rows = [
            {"job_id": o.job_id, "new_status": int(o.status), "code": o.code, "body": json.dumps(o.result),
             "stamp": stamp}
            for o in outcomes
        ]
        if rows:
            self.conn.execute(_FINISH, rows)

    def heartbeat(self, server: str) -> None:
        updated = self.conn.execute(t.servers.update().where(t.servers.c.name == server).values(last_seen=now()))
        if updated.rowcount == 0:
            self.conn.execute(t.servers.insert().values(name=server, last_seen=now()))

    def fail_orphans(self, server: str, stale_after: timedelta, *, at_start: bool) -> int:
        """Finish as failed the pending jobs of dead servers, and at start those of our previous life."""
        dead = select(t.servers.c.name).where(t.servers.c.last_seen < now() - stale_after, t.servers.c.name != server)
        owners: ColumnElement[bool] = t.async_jobs.c.server.in_(dead)
        if at_start:
            owners = owners | (t.async_jobs.c.server == server)
        text = "The management server running this job stopped before the job finished; run the command again"
        result = json.dumps({"uuidList": [], "errorcode": 530, "errortext": text})
        updated = self.conn.execute(
            t.async_jobs.update()
            .where(t.async_jobs.c.status == int(JobStatus.PENDING), owners)
            .values(status=int(JobStatus.FAILED), result_code=530, result=result, completed=now())
        )
        return int(updated.rowcount)
