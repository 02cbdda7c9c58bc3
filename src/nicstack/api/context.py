"""What a handler gets: the caller, a unit of work, and hooks into the running server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller

if TYPE_CHECKING:
    from nicstack.api.runtime import Runtime


@dataclass
class Context:
    runtime: Runtime
    caller: Caller
    command: str
    # Jobs created by the handler's transaction; the server queues them once it committed.
    new_jobs: list[int] = field(default_factory=list)
    uow: SqlUnitOfWork = field(init=False)

    def __post_init__(self) -> None:
        self.uow = SqlUnitOfWork(self.runtime.db)

    def start_job(self, uow: SqlUnitOfWork, params: dict[str, Any], instance: tuple[str, str] | None = None) -> str:
        """Create this command's job inside the caller's transaction; returns the job uuid."""
        job_id, job_uuid = uow.jobs.create(self.caller, self.command, params, self.runtime.server, instance)
        self.new_jobs.append(job_id)
        return job_uuid
