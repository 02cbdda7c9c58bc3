"""Run one router's metadata service in its namespace and give it each new document without a gap.

The document is written beside the live one and renamed over it: the service (`metadata_server`)
sees the old file or the new one, never half of one, and answers from the new one within its watch
interval. The service itself is one process per router, started in the router's namespace, listening
on the guest side's addresses; it is restarted only when that set of addresses changes. Like haproxy,
it outlives the agent (guests keep their answers while the agent restarts); the agent that starts
next finds it by its pid file and replaces it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from ipaddress import IPv4Address
from pathlib import Path

from nicstack.agent.shell import ApplyError, Shell
from nicstack.render.metadata import parse_metadata

PORT = 80
START_TIMEOUT = 10.0


class MetadataProcess:
    def __init__(self, shell: Shell, run_dir: Path, port: int = PORT) -> None:
        self.shell = shell
        self.dir = run_dir
        self.port = port
        self.document = run_dir / "metadata.json"
        self.log = run_dir / "metadata.log"
        self.pid_file = run_dir / "metadata.pid"
        # The process this agent started: kept so that it is reaped when it stops.
        self._process: subprocess.Popen[bytes] | None = None
        self._listening: tuple[IPv4Address, ...] = ()

    def apply(self, document: str, listen: list[IPv4Address]) -> str:
        """Serve `document` on `listen`; returns what it did ("unchanged", "started", "updated", "restarted").

        Raises ApplyError, the previous document still serving, when the new one is not valid.
        """
        try:
            parse_metadata(document)
        except ValueError as exc:
            raise ApplyError(str(exc)) from None
        self.dir.mkdir(parents=True, exist_ok=True)
        same = self.document.exists() and self.document.read_text() == document
        if not same:
            candidate = self.dir / "metadata.json.new"
            candidate.write_text(document)
            candidate.chmod(0o600)  # user data may hold secrets: only the service reads it
            os.replace(candidate, self.document)
        wanted = tuple(listen)
        if self.running() and wanted == self._listening:
            return "unchanged" if same else "updated"
        restarted = self.running()
        self.stop()
        self._start(wanted)
        return "restarted" if restarted else "started"

    def running(self) -> bool:
        """True while the process this agent started serves (one left by an earlier agent is replaced)."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop the service, this agent's or one an earlier agent left running."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(START_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        else:
            pid = self._left_running()
            if pid is not None:
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + START_TIMEOUT
            while pid is not None and _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
        self.pid_file.unlink(missing_ok=True)

    def _left_running(self) -> int | None:
        """The pid of a service an earlier agent started, if it still runs (a stale pid file may name a
        process that reused the pid: only ours counts)."""
        try:
            pid = int(self.pid_file.read_text())
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        return pid if b"nicstack.agent.metadata_server" in command else None

    def _start(self, listen: tuple[IPv4Address, ...]) -> None:
        argv = [sys.executable, "-m", "nicstack.agent.metadata_server", "--document", str(self.document)]
        for address in listen:
            argv += ["--listen", f"{address}:{self.port}"]
        ready = self.dir / "metadata.ready"
        ready.unlink(missing_ok=True)
        argv += ["--ready-file", str(ready)]
        with self.log.open("ab") as out:
            # Its own session: the service outlives an agent restart, and keeps answering meanwhile.
            self._process = subprocess.Popen(self.shell.argv(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                             start_new_session=True)
        self.pid_file.write_text(str(self._process.pid))
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ApplyError(f"the metadata service did not start: {self._last_lines()}")
            time.sleep(0.02)
        self._listening = listen

    def _last_lines(self) -> str:
        if not self.log.exists():
            return "no output"
        return " | ".join(line.strip() for line in self.log.read_text(errors="replace").splitlines()[-5:]) or \
            "no output"


def _alive(pid: int) -> bool:
    """True while the process exists and is no zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
