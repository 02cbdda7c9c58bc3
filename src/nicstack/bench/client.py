"""A signed CloudStack client on one keep-alive connection, and the server run as a subprocess."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from nicstack.api.signature import signed_query, wire_values
from nicstack.domain.credentials import new_key


class BenchError(Exception):
    """A step of the benchmark could not run; the text says what failed and where."""


class ApiError(BenchError):
    def __init__(self, command: str, status: int, body: Any) -> None:
        inner: Any = next(iter(body.values()), {}) if isinstance(body, dict) else {}
        self.status = status
        self.text = str(inner.get("errortext", body)) if isinstance(inner, dict) else str(body)
        super().__init__(f"{command} answered HTTP {status}: {self.text}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Keys:
    url: str
    api_key: str
    secret_key: str


class Client:
    """One keep-alive connection; not thread-safe (give each thread its own)."""

    def __init__(self, keys: Keys, timeout: float = 60) -> None:
        self.keys = keys
        parts = urlsplit(keys.url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def raw(self, command: str, **params: Any) -> tuple[int, Any]:
        query = signed_query(self.keys.api_key, self.keys.secret_key, command, wire_values(params))
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self._conn.request("GET", f"{self.path}?{query}")
                reply = self._conn.getresponse()
                body = reply.read()
                break
            except (OSError, http.client.HTTPException):
                # The server may close an idle keep-alive connection: retry once on a new one.
                self.close()
                if attempt == 2:
                    raise
        try:
            return reply.status, json.loads(body)
        except ValueError:
            return reply.status, body.decode(errors="replace")

    def call(self, command: str, **params: Any) -> dict[str, Any]:
        """The inside of the response envelope; ApiError on an error status."""
        status, body = self.raw(command, **params)
        if status != 200 or not isinstance(body, dict) or len(body) != 1:
            raise ApiError(command, status, body)
        inner: dict[str, Any] = next(iter(body.values()))
        return inner

    def wait(self, jobid: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.call("queryAsyncJobResult", jobid=jobid)
            if job.get("jobstatus") != 0:
                return job
            if time.monotonic() > deadline:
                raise BenchError(f"job {jobid} still pending after {timeout} s")
            time.sleep(0.02)

    def run(self, command: str, **params: Any) -> dict[str, Any]:
        """Call an async command and return its job result; ApiError when the job failed."""
        job = self.wait(self.call(command, **params)["jobid"])
        if job["jobstatus"] != 1:
            raise ApiError(command, int(job.get("jobresultcode", 0)), {"job": job.get("jobresult")})
        result: dict[str, Any] = job["jobresult"]
        return result

    def items(self, command: str, key: str, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call(command, **params).get(key, [])
        return found

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise BenchError(f"/proc/{pid}/status has no {field}")


class ServerProcess:
    """`nicstack serve` on a SQLite file in a subprocess, with admin keys we chose."""

    def __init__(self, workdir: Path, database: Path | str, admin: tuple[str, str] | None = None) -> None:
        """`database`: a SQLite file, or a database URL; `admin`: the (api key, secret key) a previous
        server on this database bootstrapped."""
        self.workdir = workdir
        self.database_url = database if isinstance(database, str) else f"sqlite:///{database}"
        self.port = free_port()
        api_key, secret_key = admin or (new_key(), new_key())
        self.keys = Keys(f"http://127.0.0.1:{self.port}/client/api", api_key, secret_key)
        self.log_path = workdir / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise BenchError("the server is not running")
        return self.proc.pid

    def start(self, timeout: float = 60) -> None:
        env = {**os.environ, "NICSTACK_ADMIN_API_KEY": self.keys.api_key,
               "NICSTACK_ADMIN_SECRET_KEY": self.keys.secret_key}
        cmd = [sys.executable, "-m", "nicstack.cli", "serve", "--port", str(self.port),
               "--database-url", self.database_url]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        client = Client(self.keys, timeout=5)
        deadline = time.monotonic() + timeout
        try:
            while True:
                if self.proc.poll() is not None:
                    raise BenchError(f"the server exited with status {self.proc.returncode}: {self.log_tail()}")
                try:
                    client.call("listCapabilities")
                    return
                except (OSError, http.client.HTTPException):
                    pass
                if time.monotonic() > deadline:
                    raise BenchError(f"the server did not answer within {timeout} s: {self.log_tail()}")
                time.sleep(0.1)
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no server log)"
        return " | ".join(text[-lines:]) or "(empty server log)"

    def peak_rss_kb(self) -> int:
        """VmHWM: the most resident memory the server has had so far."""
        return _status_kb(self.pid, "VmHWM")

    def rss_kb(self) -> int:
        return _status_kb(self.pid, "VmRSS")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used (all its threads)."""
        text = Path(f"/proc/{self.pid}/stat").read_text()
        # The command name may hold spaces: the fields after it are what we index.
        fields = text[text.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
