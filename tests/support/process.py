"""Run `nicstack serve` as a real subprocess, as an operator would, and stop it again."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from nicstack.domain.credentials import new_key
from tests.support.client import Client

STARTUP_TIMEOUT = 60.0
_LIMITED = ("import os, resource, sys; n = int(sys.argv[1]); resource.setrlimit(resource.RLIMIT_NOFILE, (n, n)); "
            "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])")
STOP_TIMEOUT = 15.0


@dataclass
class Served:
    """A running `nicstack serve` process, with the root admin's known credentials."""

    url: str
    process: subprocess.Popen[bytes]
    api_key: str
    secret_key: str
    password: str
    log: Path
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    verify: str | bool = True

    @property
    def admin(self) -> Client:
        return Client(self.url, self.api_key, self.secret_key)

    def output(self) -> str:
        """What the server printed so far (stdout and stderr)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def demo_keys(self) -> tuple[str, str]:
        """The demo user's keys, as `nicstack serve --demo` prints them for the README's tour."""
        found = dict(line.strip().removeprefix("export ").split("=", 1) for line in self.output().splitlines()
                     if line.strip().startswith("export CLOUDSTACK_"))
        return found["CLOUDSTACK_KEY"], found["CLOUDSTACK_SECRET"]

    def demo_login(self) -> tuple[str, str]:
        """The web UI's username and password that `nicstack serve --demo` prints."""
        found = re.search(r"Web UI: open (\S+) and sign in as (\S+) with password (\S+)", self.output())
        assert found, f"no web UI credentials in the server's output:\n{self.output()}"
        assert found.group(1) == self.url.removesuffix("/client/api") + "/", "the printed web UI address"
        return found.group(2), found.group(3)

    @property
    def demo(self) -> Client:
        return Client(self.url, *self.demo_keys())

    def restart(self, down_for: float = 0.0, timeout: float = STARTUP_TIMEOUT) -> None:
        """Stop the server, stay down `down_for` seconds, and start it again on the same port and database."""
        stop(self.process)
        time.sleep(down_for)
        self.process = _start(self.command, self.env, self.log)
        _await(self, timeout)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _answers(url: str, verify: str | bool = True) -> bool:
    """True once anything answers HTTP on the endpoint (an unsigned call is a 401 envelope)."""
    try:
        requests.get(url, params={"command": "listCapabilities", "response": "json"}, timeout=2, verify=verify)
    except requests.RequestException:
        return False
    return True


def stop(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """Terminate the process (SIGTERM, then SIGKILL if it lingers) and reap it."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def new_admin_keys() -> tuple[str, str, str]:
    """A fresh api key, secret key and password for the root admin."""
    return "test-admin-" + secrets.token_urlsafe(24), new_key(), "pw-" + secrets.token_urlsafe(12)


@contextmanager
def serving(
    directory: Path, *extra: str, keys: tuple[str, str, str] | None = None, timeout: float = STARTUP_TIMEOUT,
    tls: tuple[Path, Path] | None = None,
    max_descriptors: int | None = None,
) -> Iterator[Served]:
    """Start `python -m nicstack.cli serve` on a free port with a SQLite file in `directory`.

    The root admin's keys and password are fixed through NICSTACK_ADMIN_* so the caller
    knows them (`keys`: api key, secret key, password; random when not given; they only
    take effect on the database's first start, so pass the same ones to restart a server on
    the same `directory`); `extra` is appended to the command line (e.g. "--demo"). The
    process is stopped when the block ends, whether it ended well or not. `tls` (certificate, key)
    serves HTTPS; `max_descriptors` lowers the server's open file limit (RLIMIT_NOFILE), as a
    small container's would be.
    """
    directory.mkdir(parents=True, exist_ok=True)
    host, port = "127.0.0.1", free_port()
    url = f"{'https' if tls else 'http'}://{host}:{port}/client/api"
    api_key, secret_key, password = keys or new_admin_keys()
    env = {
        **os.environ,
        "NICSTACK_ADMIN_API_KEY": api_key,
        "NICSTACK_ADMIN_SECRET_KEY": secret_key,
        "NICSTACK_ADMIN_PASSWORD": password,
    }
    env.pop("NICSTACK_DATABASE_URL", None)
    command = [
        sys.executable, "-m", "nicstack.cli", "serve", "--host", host, "--port", str(port),
        "--database-url", f"sqlite:///{directory}/nicstack.db", *extra,
    ]
    if tls:
        command += ["--ssl-certfile", str(tls[0]), "--ssl-keyfile", str(tls[1])]
    log = directory / f"server-{port}.log"
    if max_descriptors is not None:
        # Set in a small launcher that then becomes the server: preexec_fn is unsafe with threads.
        command = [sys.executable, "-c", _LIMITED, str(max_descriptors), *command[1:]]
    served = Served(url, _start(command, env, log), api_key, secret_key, password, log, command, env,
                    str(tls[0]) if tls else True)
    try:
        _await(served, timeout)
        yield served
    finally:
        stop(served.process)


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _await(served: Served, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _answers(served.url, served.verify):
        if served.process.poll() is not None:
            raise RuntimeError(
                f"nicstack serve exited with status {served.process.returncode} before answering:\n{served.output()}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"nicstack serve did not answer on {served.url} within {timeout} s:\n{served.output()}")
        time.sleep(0.1)
