"""The parameters of a long poll on a data-plane target, and the decision to park a request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicstack.api.longpoll import MAX_WAIT
from nicstack.api.params import Param, int_param
from nicstack.api.replies import ObjectReply, WaitReply
from nicstack.db.uow import SqlUnitOfWork
from nicstack.services import agents

LONG_POLL: tuple[Param, ...] = (
    int_param("sincegeneration", "The generation the caller holds"),
    int_param("wait", f"With sincegeneration: wait up to this many seconds (at most {int(MAX_WAIT)}) for a newer "
              "generation before answering", maximum=int(MAX_WAIT)),
)


def waiting(
    uow: SqlUnitOfWork, target: str, args: dict[str, Any], answer: Callable[[], ObjectReply]
) -> WaitReply | None:
    """A WaitReply when the caller holds the newest generation and asked to wait; None: answer now.

    A caller holding a generation that is not the newest one (older, or unknown after a database
    restore) is answered at once, so that it resynchronises.
    """
    since, wait = args.get("sincegeneration"), args.get("wait", 0)
    if since is None or not wait:
        return None
    if agents.published(uow, {target}).get(target, 0) != since:
        return None
    return WaitReply({target: since}, float(wait), answer)
