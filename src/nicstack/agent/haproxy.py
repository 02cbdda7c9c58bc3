"""Run one router's haproxy in master-worker mode and change its configuration without dropping a connection.

A new configuration is written as a candidate beside the live one and checked with `haproxy -c`;
only a valid candidate is renamed over the live file, and the master is told to reload: its new
worker takes the listening sockets over from the old one, which finishes its connections. A
refused candidate or a failed reload leaves the previous configuration serving, and the error
carries haproxy's own words. Everything lives in the router's run directory (`$NICSTACK_RUN_DIR`
in the rendered configuration): the live file, the master's CLI socket, the pid file, the admin
socket, the saved server state and haproxy's log.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from nicstack.agent.shell import ApplyError, Shell
from nicstack.render.haproxy import RUN_DIR

START_TIMEOUT = 10.0
_MASTER_LINE = re.compile(r"^\d+\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Reloads:
    done: int
    failed: int


class Haproxy:
    def __init__(self, shell: Shell, run_dir: Path, binary: str = "haproxy") -> None:
        self.shell = shell
        self.dir = run_dir
        self.binary = binary
        self.config = run_dir / "haproxy.cfg"
        self.master_socket = run_dir / "master.sock"
        self.admin_socket = run_dir / "haproxy.sock"
        self.state_file = run_dir / "haproxy.state"
        self.log = run_dir / "haproxy.log"
        # The master this agent started: kept so that it is reaped when it stops.
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, RUN_DIR: str(self.dir)}

    def apply(self, text: str) -> str:
        """Make haproxy serve `text`; returns what it did ("unchanged", "started", "reloaded").

        Raises ApplyError with haproxy's message when the configuration is invalid or the reload fails.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        running = self.reloads() is not None
        if running and self.config.exists() and self.config.read_text() == text:
            return "unchanged"
        candidate = self.dir / "haproxy.cfg.new"
        candidate.write_text(text)
        candidate.chmod(0o600)
        status, output = self.shell.probe([self.binary, "-c", "-f", str(candidate)], env=self.env)
        if status != 0:
            candidate.replace(self.dir / "haproxy.cfg.failed")
            raise ApplyError(f"haproxy -c refused the new configuration, the previous one keeps serving: "
                             f"{_alerts(output.splitlines())}")
        candidate.replace(self.config)
        if not running:
            self._start()
            return "started"
        self._reload()
        return "reloaded"

    def digest(self) -> str | None:
        """The digest of the configuration haproxy serves, None when it does not run."""
        if self.reloads() is None or not self.config.exists():
            return None
        return hashlib.sha256(self.config.read_bytes()).hexdigest()

    def reloads(self) -> Reloads | None:
        """The master's reload counters, None when no master answers."""
        found = _MASTER_LINE.search(self._master("show proc") or "")
        return Reloads(int(found[1]), int(found[2])) if found else None

    def stop(self) -> None:
        """Stop the master and its workers (the router is going away) and wait until they are gone."""
        pid_file = self.dir / "haproxy.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError, IndexError):
            return
        deadline = time.monotonic() + START_TIMEOUT
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if self._process is not None and self._process.pid == pid:
            self._process.wait(START_TIMEOUT)
            self._process = None

    def _start(self) -> None:
        self.master_socket.unlink(missing_ok=True)
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            # Its own session: the master outlives an agent restart, and keeps serving meanwhile.
            process = self._process = subprocess.Popen(
                self.shell.argv([self.binary, "-W", "-f", str(self.config), "-S", str(self.master_socket)]),
                env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while self.reloads() is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise ApplyError(f"haproxy did not start: {self._news(offset)}")
            time.sleep(0.02)

    def _reload(self) -> None:
        before = self.reloads()
        assert before is not None
        self._save_server_state()
        offset = self.log.stat().st_size if self.log.exists() else 0
        self._master("reload")
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            now = self.reloads()
            if now is not None and now.done > before.done:
                break
            if time.monotonic() > deadline:
                raise ApplyError(f"haproxy did not confirm the reload in {START_TIMEOUT:.0f} s: {self._news(offset)}")
            time.sleep(0.01)
        if now.failed > before.failed:
            raise ApplyError(f"haproxy could not reload, the previous configuration keeps serving: "
                             f"{self._news(offset)}")

    def _save_server_state(self) -> None:
        # The new worker starts with the servers' health as the old one saw it, not all "up".
        state = _ask(self.admin_socket, "show servers state")
        if state is not None:
            self.state_file.write_text(state)

    def _master(self, command: str) -> str | None:
        return _ask(self.master_socket, command)

    def _news(self, offset: int) -> str:
        """What haproxy logged since `offset`: its alerts, else its last lines."""
        if not self.log.exists():
            return "no output"
        with self.log.open("rb") as log:
            log.seek(offset)
            return _alerts(log.read().decode(errors="replace").splitlines())


def _alerts(lines: list[str]) -> str:
    """haproxy's alerts (its errors), else its last lines: what an operator must read."""
    alerts = [" ".join(line.split()) for line in lines if "ALERT" in line]
    return " | ".join((alerts or [" ".join(line.split()) for line in lines])[-5:]) or "no output"


def _alive(pid: int) -> bool:
    """True while the process exists and is no zombie (a master this agent started is its child)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _ask(path: Path, command: str, timeout: float = 2.0) -> str | None:
    """One command to an haproxy CLI socket; None when nothing answers there."""
    if not path.exists():
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(path))
            conn.sendall(command.encode() + b"\n")
            conn.shutdown(socket.SHUT_WR)  # the end of the command: the master answers only then
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
    except OSError:
        return None
    return b"".join(chunks).decode(errors="replace")
