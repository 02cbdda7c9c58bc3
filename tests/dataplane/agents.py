"""Real agent processes against a real `nicstack serve`, and waiting, through the API, until they applied."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.client import Client
from tests.support.process import Served, stop

# Short intervals keep the tests quick; the defaults are the production ones.
FAST = ("--heartbeat", "1", "--check-interval", "2")
APPLY_TIMEOUT = 20.0


@dataclass
class AgentProcess:
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes]

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL: what a crash looks like."""
        self.process.kill()
        self.process.wait(10)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)


def agent_keys(admin: Client, **target: str) -> dict[str, Any]:
    """The agent credentials an operator creates for one router or host."""
    keys: dict[str, Any] = admin.call("createAgent", **target)["agent"]
    return keys


@contextmanager
def running_agent(served: Served, keys: dict[str, Any], kind: str, *args: str,
                  log: Path) -> Iterator[AgentProcess]:
    """`nicstack agent <kind> ...` as a process with the agent's own credentials in its environment."""
    env = {**os.environ, "NICSTACK_URL": served.url, "NICSTACK_API_KEY": keys["apikey"],
           "NICSTACK_SECRET_KEY": keys["secretkey"]}
    argv = [sys.executable, "-m", "nicstack.cli", "--log-level", "info", "agent", kind, *args, *FAST]
    with log.open("ab") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    agent = AgentProcess(argv, env, log, process)
    try:
        yield agent
    finally:
        stop(agent.process)


def config(admin: Client, target: Mapping[str, str]) -> dict[str, Any]:
    """The target's config as the root admin reads it (getRouterConfig with networkid/vpcid, getHostConfig)."""
    if "hostid" in target:
        found: dict[str, Any] = admin.call("getHostConfig", **target)["hostconfig"]
    else:
        found = admin.call("getRouterConfig", **target)["routerconfig"]
    return found


def wait_applied(admin: Client, target: Mapping[str, str], agent: AgentProcess | None = None,
                 timeout: float = APPLY_TIMEOUT) -> dict[str, Any]:
    """Wait until the target's agent reports the generation the API publishes now; returns that config."""
    deadline = time.monotonic() + timeout
    while True:
        found = config(admin, target)
        if found.get("dataplanestate") == "Applied" and found.get("appliedgeneration") == found["generation"]:
            return found
        if time.monotonic() > deadline:
            shown = {k: v for k, v in found.items() if k not in ("iptables", "haproxy", "addresses", "documents")}
            log = agent.output()[-3000:] if agent is not None else ""
            raise AssertionError(f"{target} not applied within {timeout} s: {shown}\nagent log:\n{log}")
        time.sleep(0.05)
