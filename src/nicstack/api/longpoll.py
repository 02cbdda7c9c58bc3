"""Long polls: requests parked until a data-plane target's published generation passes the one they hold.

An agent asks for its documents with the generation it holds and a wait; when nothing newer is
published the request is parked here instead of answered. One poller per server reads the
published generations of every parked target in one indexed query every `INTERVAL` seconds
(any server may have published them: jobs run anywhere) and wakes the requests whose target moved.
Parked requests hold no transaction, no thread and no lock: on the inline (SQLite) server the
poll's query runs between requests on the event loop, elsewhere in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from anyio import to_thread

log = logging.getLogger("nicstack.api")

# How stale a parked request's view may get: part of the time from a job's end to an agent's apply.
INTERVAL = 0.005
MAX_WAIT = 60.0

Read = Callable[[set[str]], Mapping[str, int]]


@dataclass(eq=False)
class _Parked:
    targets: Mapping[str, int]
    woken: asyncio.Event = field(default_factory=asyncio.Event)


class GenerationWatch:
    """Parks waiters; `read(targets)` returns the published generation of each target that has one."""

    def __init__(self, read: Read, *, in_thread: bool, interval: float = INTERVAL) -> None:
        self._read = read
        self._in_thread = in_thread
        self._interval = interval
        self._parked: set[_Parked] = set()
        self._poller: asyncio.Task[None] | None = None

    async def wait(self, targets: Mapping[str, int], timeout: float) -> bool:
        """Return True once a target's generation passes the given one, False after `timeout` seconds."""
        parked = _Parked(dict(targets))
        self._parked.add(parked)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="nicstack-longpoll")
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(parked.woken.wait(), min(timeout, MAX_WAIT))
            return parked.woken.is_set()
        finally:
            self._parked.discard(parked)

    async def _poll(self) -> None:
        while self._parked:
            wanted = {target for parked in self._parked for target in parked.targets}
            try:
                current = await to_thread.run_sync(self._read, wanted) if self._in_thread else self._read(wanted)
            except Exception:
                # A database hiccup must not strand the parked requests: they time out and answer then.
                log.exception("long poll: cannot read the published generations")
                current = {}
            for parked in self._parked:
                if any(current.get(target, 0) > held for target, held in parked.targets.items()):
                    parked.woken.set()
            await asyncio.sleep(self._interval)
