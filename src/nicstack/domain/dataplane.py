"""What is published for a data-plane target, what its agent reports, and what that means at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# An agent reports at least this often; one silent for DOWN_AFTER is shown as down.
HEARTBEAT = timedelta(seconds=10)
DOWN_AFTER = 3 * HEARTBEAT


class DataplaneState(StrEnum):
    NO_AGENT = "NoAgent"
    DOWN = "Down"
    FAILED = "Failed"
    PENDING = "Pending"
    APPLIED = "Applied"


@dataclass(frozen=True, slots=True)
class Report:
    """The last report of a target's agent: what it holds, when it last applied cleanly, its last error."""

    generation: int
    digest: str
    agent: str
    heartbeat: datetime
    ok_at: datetime | None
    error: str | None
    error_at: datetime | None


@dataclass(frozen=True, slots=True)
class TargetState:
    """What is published for a target (generation 0: nothing yet) and what its agent last reported."""

    target: str
    published: int
    digest: str | None
    report: Report | None

    def summary(self, at: datetime) -> DataplaneState:
        """Down beats failed beats pending: a silent agent's last word says nothing of now."""
        r = self.report
        if r is None:
            return DataplaneState.NO_AGENT
        if at - r.heartbeat > DOWN_AFTER:
            return DataplaneState.DOWN
        if r.error_at is not None and (r.ok_at is None or r.error_at >= r.ok_at):
            return DataplaneState.FAILED
        return DataplaneState.APPLIED if r.generation >= self.published else DataplaneState.PENDING
