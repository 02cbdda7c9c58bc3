"""The running server's shared parts: database, identity, and the async job worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta

from nicstack import logs
from nicstack.api.auth import KeyCache
from nicstack.api.context import Context
from nicstack.api.registry import COMMANDS
from nicstack.db.database import Database
from nicstack.db.repos.accounts import caller_of
from nicstack.db.repos.jobs import Outcome
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.errors import CloudError
from nicstack.domain.kinds import JobStatus

log = logging.getLogger("nicstack.jobs")

HEARTBEAT = timedelta(seconds=5)
STALE = timedelta(seconds=30)
BATCH = 200
# Inline, a batch holds up the requests behind it: a smaller one keeps that under ~10 ms.
INLINE_BATCH = 32
INLINE_GATHER = 0.005  # seconds


@dataclass
class Runtime:
    """The server's shared parts and its job worker.

    `inline` (SQLite): handlers run on the event loop's thread and the worker is a task of
    the same loop (`work_on_loop`), so one thread does everything. SQLite runs in-process
    and takes one writer at a time, so threads buy no parallelism there, while handing
    the GIL and the writer lock between them cost more than the work itself (measured:
    addIpToNic 2.1 ms of server CPU per request with 8 handler threads, 0.95 ms inline).
    Otherwise (PostgreSQL) handlers run in threads and the worker in its own thread, so
    database round trips overlap.
    """

    db: Database
    server: str
    inline: bool = False
    keys: KeyCache = field(init=False)
    _queue: queue.Queue[int | None] = field(default_factory=queue.Queue)
    _pending: deque[int] = field(default_factory=deque)
    _wake: asyncio.Event | None = None
    _thread: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _last_heartbeat: float = 0.0

    def __post_init__(self) -> None:
        self.keys = KeyCache(self.db)

    def start(self) -> None:
        """Fail what a previous life left pending, then run the worker thread (not inline)."""
        with SqlUnitOfWork(self.db) as uow:
            uow.jobs.heartbeat(self.server)
            failed = uow.jobs.fail_orphans(self.server, STALE, at_start=True)
        self._last_heartbeat = time.monotonic()
        if failed:
            log.warning("failed %d job(s) left pending by a stopped server", failed)
        if not self.inline:
            self._thread = threading.Thread(target=self._run, name="nicstack-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        if self._thread:
            self._thread.join(timeout=10)

    def enqueue(self, job_ids: list[int]) -> None:
        if not self.inline:
            for job_id in job_ids:
                self._queue.put(job_id)
            return
        # Inline handlers run on the loop's thread: the event is safe to set from here.
        self._pending.extend(job_ids)
        if job_ids and self._wake is not None:
            self._wake.set()

    async def work_on_loop(self) -> None:
        """The inline job worker: runs batches between requests until cancelled."""
        self._wake = asyncio.Event()
        if self._pending:
            self._wake.set()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), HEARTBEAT.total_seconds())
            self._wake.clear()
            if self._pending:
                # Requests keep being served meanwhile; a batch of many jobs costs about what
                # one costs (one read, one write), so gathering them first is cheaper.
                await asyncio.sleep(INLINE_GATHER)
            while self._pending:
                batch = [self._pending.popleft() for _ in range(min(INLINE_BATCH, len(self._pending)))]
                self._run_batch(batch)
                self._housekeeping_when_due()
                await asyncio.sleep(0)  # requests waiting meanwhile go before the next batch
            self._housekeeping_when_due()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                first = self._queue.get(timeout=HEARTBEAT.total_seconds())
            except queue.Empty:
                self._housekeeping_when_due()
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
            # Under steady load the queue never runs dry: the heartbeat must not wait for it,
            # or other servers would take this one for dead and fail its jobs.
            self._housekeeping_when_due()

    def _housekeeping_when_due(self) -> None:
        if time.monotonic() - self._last_heartbeat >= HEARTBEAT.total_seconds():
            self._last_heartbeat = time.monotonic()
            self._housekeeping()

    def _housekeeping(self) -> None:
        try:
            with SqlUnitOfWork(self.db) as uow:
                uow.jobs.heartbeat(self.server)
                uow.jobs.fail_orphans(self.server, STALE, at_start=False)
        except Exception:
            log.exception("job housekeeping failed")

    def _run_batch(self, job_ids: list[int]) -> None:
        # One read for the batch and one write for all outcomes: the worker keeps up with
        # a thousand jobs a second without holding the writer lock per job.
        try:
            uow = SqlUnitOfWork(self.db)
            with uow.reading():
                pending = [j for j in uow.jobs.by_ids(job_ids) if j.status is JobStatus.PENDING]
                users = {uid: uow.accounts.user_by_id(uid) for uid in {j.user_id for j in pending}}
            outcomes = []
            durations = []
            for job in pending:
                started = time.perf_counter()
                user = users[job.user_id]
                command = COMMANDS.get(job.cmd)
                if user is None or command is None or command.job is None:
                    outcomes.append(_failure(job.id, CloudError(f"Job {job.uuid} cannot run: {job.cmd}")))
                    durations.append(0.0)
                    continue
                ctx = Context(self, caller_of(user), job.cmd)
                try:
                    result = command.job(ctx, job.params)
                    outcomes.append(Outcome(job.id, JobStatus.SUCCEEDED, 0, result))
                except CloudError as exc:
                    outcomes.append(_failure(job.id, exc))
                except Exception as exc:
                    log.exception("job %s (%s) failed", job.uuid, job.cmd)
                    outcomes.append(_failure(job.id, CloudError(f"Internal error running {job.cmd}: {exc}")))
                durations.append((time.perf_counter() - started) * 1000)
            with uow:
                uow.jobs.finish(outcomes)
            for job, outcome, ms in zip(pending, outcomes, durations, strict=True):
                logs.job_finished(job.uuid, job.cmd, 1, outcome.status is JobStatus.SUCCEEDED, outcome.result, ms)
        except Exception:
            log.exception("job batch failed")


def _failure(job_id: int, exc: CloudError) -> Outcome:
    body = {"uuidList": [], "errorcode": exc.code, "cserrorcode": exc.cs_code, "errortext": exc.text}
    return Outcome(job_id, JobStatus.FAILED, exc.code, body)

