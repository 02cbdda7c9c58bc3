"""The running server's shared parts: the database, the API key cache, and the job worker."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from nicstack.api.auth import KeyCache
from nicstack.api.registry import COMMANDS
from nicstack.db.database import Database
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.jobs.worker import QueueSettings, Worker


def answer_of(cmd: str, caller: Caller | None, value: object) -> dict[str, Any]:
    """A finished job's result in the wire's form: its command's answer for the step's value."""
    command = COMMANDS.get(cmd)
    if command is None or command.job is None:
        return {"success": True}
    return command.job(caller, value)


@dataclass
class Runtime:
    """The server's shared parts.

    `inline` (SQLite): handlers run on the event loop's thread and the worker is a task of the
    same loop (`worker.run_on_loop`, started by the ASGI lifespan), so one thread does
    everything. SQLite runs in-process and takes one writer at a time, so threads buy no
    parallelism there, while handing the GIL and the writer lock between them cost more than
    the work itself (measured: addIpToNic 2.1 ms of server CPU per request with 8 handler
    threads, 0.95 ms inline). Otherwise (PostgreSQL) handlers run in threads and the worker
    in its own thread, so database round trips overlap.
    """

    db: Database
    server: str
    inline: bool = False
    queue: QueueSettings = field(default_factory=QueueSettings)
    keys: KeyCache = field(init=False)
    worker: Worker = field(init=False)
    _thread: threading.Thread | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.keys = KeyCache(self.db)
        self.worker = Worker(self.db, self.server, answer_of, self.queue)

    def unit_of_work(self) -> SqlUnitOfWork:
        """A unit of work whose committed jobs this server starts running at once."""
        return SqlUnitOfWork(self.db, self.server, lambda _jobs: self.worker.wake())

    def start(self) -> None:
        """Run the worker thread (not inline: the ASGI lifespan runs the inline worker)."""
        if not self.inline:
            self._thread = threading.Thread(target=self.worker.run_in_thread, args=(self._stopping,),
                                            name="nicstack-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.worker.wake()
        if self._thread:
            self._thread.join(timeout=10)
