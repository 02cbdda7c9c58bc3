"""What a handler gets: the running server, the caller, and a unit of work for its use case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller

if TYPE_CHECKING:
    from nicstack.api.runtime import Runtime


@dataclass
class Context:
    runtime: Runtime
    caller: Caller
    command: str
    uow: SqlUnitOfWork = field(init=False)

    def __post_init__(self) -> None:
        self.uow = self.runtime.unit_of_work()
