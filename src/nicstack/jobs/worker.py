"""The job worker: claim due jobs under a lease, run each in a transaction of its own, finish each on its own.

A job's step and its outcome commit together, so a job that published is never recorded as
failed, and a server that dies mid-job loses nothing: its lease expires, another server
claims the job and runs the (idempotent) step again. Before each batch the worker publishes the
routers' metadata of the VMs that committed changes queued (the queue is in the database, beside
the jobs: any server's next pass takes it). A step that keeps failing is retried
with a doubling backoff and ends failed, with a text that says so, after `max_attempts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from nicstack import logs
from nicstack.db.database import Database
from nicstack.db.repos.accounts import caller_of
from nicstack.db.repos.jobs import ClaimedJob
from nicstack.db.rows import now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.codec import decode
from nicstack.domain.errors import CloudError, InternalError
from nicstack.domain.jobs import JobPlan
from nicstack.domain.kinds import JobStatus
from nicstack.services.publication import Publications, publish_queued, run_job
from nicstack.services.routers import RouterPublished

log = logging.getLogger("nicstack.jobs")

# What a finished job answers, in the wire's form: given the command, the caller and the step's value.
Render = Callable[[str, Caller | None, object], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class QueueSettings:
    lease: timedelta = timedelta(seconds=30)
    poll: float = 1.0  # seconds between looks at the queue when nothing woke the worker
    batch: int = 32
    max_attempts: int = 5
    backoff: float = 0.5  # seconds before the first retry; doubles each time, up to backoff_cap
    backoff_cap: float = 30.0
    gather: float = 0.005  # inline: wait this long after a wake-up, so one claim takes many jobs
    metadata_batch: int = 256  # queued VMs whose routers' metadata one pass publishes


class _LeaseLost(Exception):
    """The job is no longer ours: our lease expired and another server finished it."""


class Worker:
    """Runs due jobs of one server (named `name` in the queue)."""

    def __init__(self, db: Database, name: str, render: Render, settings: QueueSettings | None = None) -> None:
        self.db = db
        self.name = name
        self.render = render
        self.settings = settings or QueueSettings()
        self._wake_loop: asyncio.Event | None = None
        self._wake_thread = threading.Event()

    def run_due(self) -> int:
        """Claim one batch of due jobs, publish the metadata queued, run the jobs; returns how many were claimed."""
        lease = self.settings.lease
        uow = SqlUnitOfWork(self.db)
        with uow:
            claimed = uow.jobs.claim(self.name, now() + lease, self.settings.batch)
        # The claimed jobs' changes queued their VMs' metadata when they committed: published first, so
        # a job that has ended has its metadata out, and one pass serves the whole batch.
        self.publish_metadata()
        callers: dict[int, Caller | None] = {}  # a batch's jobs come from few users: each read once
        renewed = time.monotonic()
        for index, job in enumerate(claimed):
            if time.monotonic() - renewed > lease.total_seconds() / 2:
                with uow:
                    uow.jobs.renew(self.name, [j.id for j in claimed[index:]], now() + lease)
                renewed = time.monotonic()
            self._run(job, callers)
        return len(claimed)

    def publish_metadata(self) -> None:
        """The routers' metadata of every VM queued, by these jobs or any server's (one that died included).

        Once per batch, not in each job: the batch's jobs on the VMs of one network cost the router one
        rendering of each VM and one generation. A pass that fails leaves its VMs queued for the next one.
        """
        while True:
            taken, done = publish_queued(SqlUnitOfWork(self.db), self.settings.metadata_batch)
            _log_routers(done)
            if taken < self.settings.metadata_batch:
                return

    def _run(self, job: ClaimedJob, callers: dict[int, Caller | None]) -> None:
        uow = SqlUnitOfWork(self.db)
        try:
            with uow:
                caller = None
                if job.user_id is not None:
                    if job.user_id not in callers:
                        user = uow.accounts.user_by_id(job.user_id)
                        callers[job.user_id] = caller_of(user) if user is not None else None
                    caller = callers[job.user_id]
                plan = decode(json.loads(job.params))
                if not isinstance(plan, JobPlan):
                    raise InternalError(f"Job {job.uuid} ({job.cmd}) carries no plan this server can run")
                ran = run_job(uow, caller, plan)
                body = self.render(job.cmd, caller, ran.value)
                if not uow.jobs.finish(job.id, self.name, JobStatus.SUCCEEDED, 0, body):
                    raise _LeaseLost
            # Told only once committed: a rolled-back step published nothing.
            _log_publications(ran.published)
            logs.job_finished(job.uuid, job.cmd, job.attempts, True, body)
        except _LeaseLost:
            log.info("job %s (%s) was finished by another server", job.uuid, job.cmd)
        except CloudError as exc:
            log.info("job %s (%s) failed: %s", job.uuid, job.cmd, exc.text)
            self._finish_failed(job, exc)
        except Exception:
            log.exception("job %s (%s) attempt %d failed", job.uuid, job.cmd, job.attempts)
            self._retry_or_fail(job)

    def _finish_failed(self, job: ClaimedJob, exc: CloudError) -> None:
        uow = SqlUnitOfWork(self.db)
        with uow:
            finished = uow.jobs.finish(job.id, self.name, JobStatus.FAILED, exc.code, exc.envelope())
        if finished:
            logs.job_finished(job.uuid, job.cmd, job.attempts, False, exc.envelope())

    def _retry_or_fail(self, job: ClaimedJob) -> None:
        settings = self.settings
        if job.attempts >= settings.max_attempts:
            self._finish_failed(job, InternalError(
                f"Internal error running {job.cmd} (job {job.uuid}): it failed {job.attempts} times; the server "
                "log has the details"))
            return
        delay = min(settings.backoff * 2 ** (job.attempts - 1), settings.backoff_cap)
        uow = SqlUnitOfWork(self.db)
        with uow:
            uow.jobs.retry_later(job.id, self.name, now() + timedelta(seconds=delay),
                                 f"attempt {job.attempts} failed; retried in {delay:.1f} s")

    # -- running it ---------------------------------------------------------------------

    def wake(self) -> None:
        """New jobs were committed: look at the queue now instead of at the next poll."""
        if self._wake_loop is not None:
            self._wake_loop.set()  # inline: called on the loop's own thread
        self._wake_thread.set()

    async def run_on_loop(self) -> None:
        """The inline worker (SQLite): a task of the server's loop, running jobs between requests."""
        self._wake_loop = asyncio.Event()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_loop.wait(), self.settings.poll)
            if self._wake_loop.is_set():
                self._wake_loop.clear()
                # Requests keep being served meanwhile; one claim for many jobs costs what one costs.
                await asyncio.sleep(self.settings.gather)
            while self._run_guarded():
                await asyncio.sleep(0)  # requests waiting meanwhile go before the next batch

    def run_in_thread(self, stopping: threading.Event) -> None:
        """The threaded worker (PostgreSQL): its own thread, so database round trips overlap requests."""
        while not stopping.is_set():
            self._wake_thread.wait(self.settings.poll)
            self._wake_thread.clear()
            while not stopping.is_set() and self._run_guarded():
                pass

    def _run_guarded(self) -> bool:
        """One batch; True when it was full, so more jobs may be due. Jobs committed meanwhile woke the
        worker already: a look at an empty queue after every batch would cost a claim and a pass."""
        try:
            return self.run_due() >= self.settings.batch
        except Exception:
            # The database may be away for a moment: the next poll tries again.
            log.exception("claiming jobs failed")
            return False


def _log_publications(done: Publications) -> None:
    for host in done.hosts:
        if host.changes is not None:
            size = "full" if host.changes.full else len(host.changes.changes)
            logs.published(f"host:{host.host.uuid}", host.generation, host.digest, {"changes": size})
    _log_routers(done.routers)


def _log_routers(done: tuple[RouterPublished, ...]) -> None:
    for router in done:
        if router.changed:
            logs.published(router.target, router.generation, router.digest)
