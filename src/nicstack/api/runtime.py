"""The running server's shared parts: database, identity, and the async job worker."""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from nicstack.api.auth import KeyCache
from nicstack.api.context import Context
from nicstack.api.registry import COMMANDS
from nicstack.db.database import Database
from nicstack.db.repos import accounts, jobs
from nicstack.db.repos.jobs import Outcome
from nicstack.domain.errors import CloudError
from nicstack.domain.kinds import JobStatus

log = logging.getLogger("nicstack.jobs")

HEARTBEAT = timedelta(seconds=5)
STALE = timedelta(seconds=30)
BATCH = 200


@dataclass
class Runtime:
    db: Database
    server: str
    keys: KeyCache = field(init=False)
    _queue: queue.Queue[int | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.keys = KeyCache(self.db)

    def start(self) -> None:
        """Fail what a previous life left pending, then run the worker thread."""
        with self.db.write() as conn:
            jobs.heartbeat(conn, self.server)
            failed = jobs.fail_orphans(conn, self.server, STALE, at_start=True)
        if failed:
            log.warning("failed %d job(s) left pending by a stopped server", failed)
        self._thread = threading.Thread(target=self._run, name="nicstack-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        if self._thread:
            self._thread.join(timeout=10)

    def enqueue(self, job_ids: list[int]) -> None:
        for job_id in job_ids:
            self._queue.put(job_id)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                first = self._queue.get(timeout=HEARTBEAT.total_seconds())
            except queue.Empty:
                self._housekeeping()
                continue
            if first is None:
                break
            batch = [first]
            while len(batch) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._stopping.set()
                    break
                batch.append(more)
            self._run_batch(batch)

    def _housekeeping(self) -> None:
        try:
            with self.db.write() as conn:
                jobs.heartbeat(conn, self.server)
                jobs.fail_orphans(conn, self.server, STALE, at_start=False)
        except Exception:
            log.exception("job housekeeping failed")

    def _run_batch(self, job_ids: list[int]) -> None:
        # One read for the batch and one write for all outcomes: the worker keeps up with
        # a thousand jobs a second without holding the writer lock per job.
        try:
            with self.db.read() as conn:
                pending = [j for j in jobs.by_ids(conn, job_ids) if j.status is JobStatus.PENDING]
                users = {uid: accounts.user_by_id(conn, uid) for uid in {j.user_id for j in pending}}
            outcomes = []
            for job in pending:
                user = users[job.user_id]
                command = COMMANDS.get(job.cmd)
                if user is None or command is None or command.job is None:
                    outcomes.append(_failure(job.id, CloudError(f"Job {job.uuid} cannot run: {job.cmd}")))
                    continue
                ctx = Context(self, accounts.caller_of(user), job.cmd)
                try:
                    result = command.job(ctx, job.params)
                    outcomes.append(Outcome(job.id, JobStatus.SUCCEEDED, 0, result))
                except CloudError as exc:
                    outcomes.append(_failure(job.id, exc))
                except Exception as exc:
                    log.exception("job %s (%s) failed", job.uuid, job.cmd)
                    outcomes.append(_failure(job.id, CloudError(f"Internal error running {job.cmd}: {exc}")))
            with self.db.write() as conn:
                jobs.finish(conn, outcomes)
        except Exception:
            log.exception("job batch failed")


def _failure(job_id: int, exc: CloudError) -> Outcome:
    body = {"uuidList": [], "errorcode": exc.code, "cserrorcode": exc.cs_code, "errortext": exc.text}
    return Outcome(job_id, JobStatus.FAILED, exc.code, body)

