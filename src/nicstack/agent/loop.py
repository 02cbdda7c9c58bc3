"""The agent's loop: long-poll the target's generation, apply it, report it; survive everything else.

Each round asks for the documents newer than the generation held (the server answers as soon as
one is published, or after the heartbeat interval), applies what came (a host's change lines
when it holds the previous generation, whole documents otherwise), and reports the generation and
digest it holds, or the error that stopped it. A report is also the heartbeat, sent at least every
`heartbeat` seconds. Every `check` seconds the applier compares the kernel with what it applied;
drift, a failed apply, a restart or a generation the server does not know make the next round
fetch and apply the whole documents. Unreachable servers and failures are retried with backoff.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nicstack.agent.appliers import Applied, Applier, Update
from nicstack.agent.client import Api, ApiError, TransportError
from nicstack.agent.shell import ApplyError
from nicstack.render.router import RouterDocuments, generation_key

log = logging.getLogger("nicstack.agent")
# What reportAppliedConfig takes of an error text (the failing lines are at its start).
ERROR_LENGTH = 4000


@dataclass(frozen=True, slots=True)
class Target:
    """What the agent serves: a router (`networkid` or `vpcid`) or a host (`hostid`)."""

    kind: str
    params: Mapping[str, str]

    @property
    def command(self) -> str:
        return "getRouterConfig" if self.kind == "router" else "getHostConfig"

    def update(self, answer: Mapping[str, Any], since: int | None) -> Update | None:
        """The generation an answer carries, or None when it is the one held (`since`)."""
        config = answer["routerconfig" if self.kind == "router" else "hostconfig"]
        generation = int(config["generation"])
        if not config.get("full") and generation == since:
            return None
        if self.kind == "router":
            docs = RouterDocuments(config["iptables"], config["haproxy"], config["addresses"], config["metadata"])
            digest = generation_key(docs)
            if digest != config["digest"]:
                raise ApplyError(f"the documents of generation {generation} do not match their digest")
            return Update(generation, digest, dict(docs.items()))
        digest = config.get("digest") or ""
        if config.get("full"):
            return Update(generation, digest, config["documents"])
        changes = config.get("changes", {})
        return Update(generation, digest, changes={"ipset": changes.get("ipset", ""),
                                                   "ebtables": changes.get("ebtables", "")}, since=since)


@dataclass
class Settings:
    heartbeat: float = 10.0
    check: float = 30.0
    backoff_min: float = 0.2
    backoff_max: float = 15.0


@dataclass
class Agent:
    api: Api
    target: Target
    applier: Applier
    name: str
    settings: Settings = field(default_factory=Settings)
    clock: Callable[[], float] = time.monotonic
    held: Applied | None = None
    error: str | None = None
    _full: bool = True
    _force: bool = False
    _reported: float = float("-inf")
    _checked: float = 0.0
    _failures: int = 0

    def round(self, wait: float) -> Applied | None:
        """One fetch, apply and report; returns what it applied. Raises ApplyError, ApiError, TransportError."""
        since = None if self._full or self.held is None else self.held.generation
        answer = self.api.call(self.target.command, {"sincegeneration": since, **self.target.params},
                               wait=wait if since is not None else 0)
        update = self.target.update(answer, since)
        applied = None
        if update is not None:
            started = self.clock()
            try:
                applied = self.applier.apply(update, force=self._force)
            except ApplyError as exc:
                self.error = str(exc)
                self._full = True
                self._report()
                raise
            seconds = self.clock() - started
            self.held, self.error, self._full, self._force = applied, None, False, False
            log.info("applied generation %d of %s in %.1f ms: %s", applied.generation, self.target.kind,
                     seconds * 1000, ", ".join(applied.did) or "nothing to change")
        if applied is not None or self.clock() - self._reported >= self.settings.heartbeat:
            self._report()
        return applied

    def _report(self) -> None:
        held = self.held
        try:
            self.api.call("reportAppliedConfig", {
                "generation": held.generation if held else 0, "digest": held.digest if held else "",
                "agent": self.name, "error": self.error[:ERROR_LENGTH] if self.error else None, **self.target.params,
            })
            self._reported = self.clock()
        except ApiError as exc:
            # The server does not know what we hold (a restored database): start again from the whole documents.
            log.warning("report refused: %s", exc.text)
            self._full = True

    def check(self) -> None:
        """Compare the kernel with what was applied; on drift, the next round re-applies everything."""
        self._checked = self.clock()
        reason = self.applier.drifted()
        if reason is not None:
            log.warning("drift on %s: %s; re-applying the whole documents", self.target.kind, reason)
            self._full = self._force = True

    def run(self, *, once: bool = False, stop: threading.Event | None = None) -> int:
        """Serve until `stop` is set (with `once`: apply the current generation, report, return 0 or 1)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                self.round(0 if once else self._wait())
                self._failures = 0
                if once:
                    return 0
                if self.clock() - self._checked >= self.settings.check:
                    self.check()
            except (ApplyError, ApiError, TransportError) as exc:
                self._failures += 1
                delay = self._backoff()
                log.warning("%s (attempt %d, again in %.1f s)", exc, self._failures, delay)
                if once:
                    return 1
                stop.wait(delay)
        return 0

    def _wait(self) -> float:
        """The long poll's wait: until the next heartbeat is due (at least one second)."""
        return max(1.0, self.settings.heartbeat - (self.clock() - self._reported))

    def _backoff(self) -> float:
        base = min(self.settings.backoff_max, self.settings.backoff_min * 2 ** min(self._failures - 1, 10))
        return float(base * random.uniform(0.5, 1.0))
