"""Others' latency while logins are attempted: the SQLite server must stay responsive.

A password check is ~50 ms of CPU. Checked on the SQLite server's one request loop, 18 wrong
logins a second raised everyone else's median latency from 5 ms to 28 ms; checked in a worker
thread (hashlib lets go of the GIL), the loop keeps serving. Other clients send listCapabilities
at a steady rate (so the figures measure the server's responsiveness, not its saturation);
each phase's latency is a ratio to the baseline phase of the same run, without logins.
"""

from __future__ import annotations

import http.client
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from nicstack.bench.client import Client, Keys, ServerProcess
from nicstack.bench.progress import Progress
from nicstack.bench.stats import percentile
from nicstack.domain.policy import LOGIN_ATTEMPTS_KEY, LOGIN_BURST_KEY

OTHERS = 4
OTHERS_INTERVAL = 0.01  # seconds between one client's requests: 400 req/s together
ISSUE_RATE = 18.0  # the wrong logins per second the issue measured
FLOOD_THREADS = 4
TARGET_RATIO = 2.0  # others' median latency at most twice the baseline's at the issue's login rate


@dataclass(frozen=True)
class LoginPhase:
    name: str
    throttle: bool
    attempts_per_s: float  # login requests answered per second
    checked: int  # answered 401: the password was checked
    throttled: int  # answered 429
    login_p50_ms: float
    others_rps: float
    others_p50_ms: float
    others_p99_ms: float
    others_errors: int
    p50_ratio: float  # to the baseline phase's
    p99_ratio: float


@dataclass(frozen=True)
class LoginResult:
    phases: list[LoginPhase]
    seconds: float
    target_ratio: float
    met: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class _Tally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, elapsed_ms: float) -> None:
        with self.lock:
            self.latencies_ms.append(elapsed_ms)
            self.statuses[status] = self.statuses.get(status, 0) + 1


def _others(keys: Keys, stop: threading.Event, tally: _Tally) -> None:
    client = Client(keys)
    try:
        while not stop.is_set():
            began = time.perf_counter()
            status, _ = client.raw("listCapabilities")
            elapsed = time.perf_counter() - began
            tally.add(status, elapsed * 1000)
            stop.wait(max(0.0, OTHERS_INTERVAL - elapsed))
    finally:
        client.close()


def _guesser(keys: Keys, username: str, interval: float, stop: threading.Event, tally: _Tally) -> None:
    client = Client(keys)
    body = urlencode({"command": "login", "response": "json", "username": username, "password": "wrong"})
    conn = http.client.HTTPConnection(client.host, client.port, timeout=60)
    try:
        while not stop.is_set():
            began = time.perf_counter()
            conn.request("POST", client.path, body, {"Content-Type": "application/x-www-form-urlencoded"})
            reply = conn.getresponse()
            reply.read()
            elapsed = time.perf_counter() - began
            tally.add(reply.status, elapsed * 1000)
            stop.wait(max(0.0, interval - elapsed))
    finally:
        conn.close()


def _phase(keys: Keys, username: str, name: str, guessers: int, rate: float | None, seconds: float,
           throttle: bool, baseline: tuple[float, float] | None) -> LoginPhase:
    stop = threading.Event()
    others, logins = _Tally(), _Tally()
    interval = guessers / rate if rate else 0.0
    threads = [threading.Thread(target=_others, args=(keys, stop, others)) for _ in range(OTHERS)]
    threads += [threading.Thread(target=_guesser, args=(keys, username, interval, stop, logins))
                for _ in range(guessers)]
    with Progress(name, seconds) as bar:
        began = time.monotonic()
        for thread in threads:
            thread.start()
        while (elapsed := time.monotonic() - began) < seconds:
            bar.update(elapsed)
            time.sleep(0.05)
        stop.set()
        for thread in threads:
            thread.join(60)
    p50, p99 = percentile(others.latencies_ms, 0.5), percentile(others.latencies_ms, 0.99)
    base50, base99 = baseline or (p50, p99)
    return LoginPhase(
        name=name, throttle=throttle, attempts_per_s=len(logins.latencies_ms) / seconds,
        checked=logins.statuses.get(401, 0), throttled=logins.statuses.get(429, 0),
        login_p50_ms=percentile(logins.latencies_ms, 0.5), others_rps=len(others.latencies_ms) / seconds,
        others_p50_ms=p50, others_p99_ms=p99,
        others_errors=sum(n for status, n in others.statuses.items() if status != 200),
        p50_ratio=p50 / base50 if base50 else math.nan, p99_ratio=p99 / base99 if base99 else math.nan,
    )


def run(workdir: Path, quick: bool) -> LoginResult:
    seconds = 2.0 if quick else 5.0
    notes: list[str] = []
    with ServerProcess(workdir, workdir / "logins.db") as server:
        admin = Client(server.keys)
        username = "bench-guessed"
        admin.call("createAccount", accounttype=0, username=username, password="the-right-one",
                   email="guessed@example.com", firstname="Bench", lastname="Guessed")
        # Each guess must cost its password check, and the guessed user must stay enabled.
        admin.call("updateConfiguration", name=LOGIN_ATTEMPTS_KEY, value="0")
        admin.call("updateConfiguration", name=LOGIN_BURST_KEY, value="0")
        keys = server.keys
        base = _phase(keys, username, "baseline: no logins", 0, None, seconds, False, None)
        ref = (base.others_p50_ms, base.others_p99_ms)
        steady = _phase(keys, username, f"wrong logins at {ISSUE_RATE:g}/s", 2, ISSUE_RATE, seconds, False, ref)
        flood = _phase(keys, username, f"wrong logins, {FLOOD_THREADS} guessers flat out", FLOOD_THREADS, None,
                       seconds, False, ref)
        admin.call("updateConfiguration", name=LOGIN_BURST_KEY, value="10")
        throttled = _phase(keys, username, "the same, default throttle", FLOOD_THREADS, None, seconds, True, ref)
        admin.close()
    phases = [base, steady, flood, throttled]
    notes += [f"{p.name}: {p.others_errors} of the other clients' requests failed" for p in phases if p.others_errors]
    if steady.checked == 0:
        notes.append("no login was checked at the steady rate: the phase measured nothing")
    met = steady.p50_ratio <= TARGET_RATIO
    return LoginResult(phases, seconds, TARGET_RATIO, met, notes)
