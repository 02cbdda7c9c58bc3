"""The login command, answered where it costs nothing to others: a per-source throttle on
failed logins (429 with Retry-After), then the PBKDF2 check in a worker thread.

A password check is ~50 ms of CPU. On the SQLite server every request runs on one event loop,
so checked inline, 18 guesses a second took the loop from everyone else (their median latency
went from 5 ms to 28 ms). hashlib releases the GIL while it hashes: in a thread, the loop
keeps serving, and at a lower priority the hashing yields the CPU to it on a busy machine.
The throttle bounds what one source can make the server hash at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from anyio import to_thread

from nicstack.api.runtime import Runtime
from nicstack.api.wire import SESSION_COOKIE, Answer, error_body, internal_error
from nicstack.db.repos import config
from nicstack.db.repos.accounts import caller_of
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.errors import AuthenticationFailed, CloudError, MissingParameter
from nicstack.domain.policy import LOGIN_BURST_KEY, LOGIN_RATE_KEY
from nicstack.domain.values import canonical_uuid, unsafe_character
from nicstack.services import logins

log = logging.getLogger("nicstack.auth")

KEY = "loginresponse"
# Longer values are not credentials anyone was given: refuse them before hashing.
MAX_FIELD = 1024
# Threads that may hash at once: all cores but one, so the request loop always has a core of
# its own however many logins arrive (the throttle bounds how many a guesser can make anyway).
HASH_THREADS = max(1, (os.cpu_count() or 2) - 1)
# The hashing threads' niceness: on a busy machine the scheduler runs the request loop first.
HASH_NICENESS = 10
# Sources remembered at most; beyond, the ones whose bucket is full again are forgotten first.
MAX_SOURCES = 10_000

P = ParamSpec("P")
T = TypeVar("T")


class Throttled(CloudError):
    """Too many failed logins from one source (CloudStack's API_LIMIT_EXCEED, RequestLimitException)."""

    code = 429
    cs_code = 4545

    def __init__(self, source: str, wait: float) -> None:
        self.retry_after = max(1, math.ceil(wait))
        super().__init__(f"Too many failed logins from {source}: retry after {self.retry_after} seconds")


@dataclass
class _Bucket:
    tokens: float
    at: float


class Throttle:
    """Per source address, a bucket of `burst` login attempts refilled at `per_minute`.

    An attempt takes a token before the password is checked (so parallel guesses take one each)
    and a good password gives it back: only failures spend the bucket.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def _refilled(self, bucket: _Bucket, burst: int, per_minute: int, now: float) -> None:
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.at) * per_minute / 60)
        bucket.at = now

    def take(self, source: str, burst: int, per_minute: int) -> float | None:
        """Take one attempt: None when admitted, else the seconds until one is free again."""
        if burst <= 0:
            return None
        per_minute = max(per_minute, 1)
        now = self._clock()
        bucket = self._buckets.get(source)
        if bucket is None:
            self._forget_some(burst, per_minute, now)
            bucket = self._buckets[source] = _Bucket(float(burst), now)
        self._refilled(bucket, burst, per_minute, now)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) * 60 / per_minute

    def give_back(self, source: str, burst: int) -> None:
        bucket = self._buckets.get(source)
        if bucket is not None:
            bucket.tokens = min(float(burst), bucket.tokens + 1)

    def _forget_some(self, burst: int, per_minute: int, now: float) -> None:
        if len(self._buckets) < MAX_SOURCES:
            return
        for source, bucket in list(self._buckets.items()):
            self._refilled(bucket, burst, per_minute, now)
            if bucket.tokens >= burst:
                del self._buckets[source]
        if len(self._buckets) >= MAX_SOURCES:  # a flood from many sources: keep the newest half
            by_age = sorted(self._buckets.items(), key=lambda item: item[1].at)
            self._buckets = dict(by_age[len(by_age) // 2:])


def _get(params: Mapping[str, str], name: str) -> str | None:
    """Parameter names are case-insensitive (`domainId` or `domainid`); the first spelling wins."""
    for key, value in params.items():
        if key.lower() == name.lower():
            return value
    return None


@dataclass(frozen=True, slots=True)
class _Credentials:
    username: str
    password: str
    domain: str
    domain_uuid: str | None


def _credentials(params: Mapping[str, str]) -> _Credentials:
    username, password = _get(params, "username"), _get(params, "password")
    if not username:
        raise MissingParameter("username")
    if not password:
        raise MissingParameter("password")
    domain, domain_uuid = _get(params, "domain") or "/", _get(params, "domainId") or None
    for value in (username, domain, domain_uuid or ""):
        # No account has such a name, and some databases refuse NUL in a query: say "no" early.
        if len(value) > MAX_FIELD or unsafe_character(value):
            raise AuthenticationFailed
    if len(password) > MAX_FIELD:
        raise AuthenticationFailed
    if domain_uuid is not None:
        try:
            domain_uuid = canonical_uuid(domain_uuid, "domainId")
        except CloudError:
            raise AuthenticationFailed from None
    return _Credentials(username, password, domain, domain_uuid)


def _lower_priority() -> None:
    """Linux gives each thread its own niceness; elsewhere the threads keep the process's."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)


class Logins:
    """The server's login handler and the throttle state it keeps between requests."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.throttle = Throttle()
        # Threads of their own: lowered once, they never run anything but password checks.
        self._hashers = ThreadPoolExecutor(HASH_THREADS, "nicstack-hash", initializer=_lower_priority)

    def close(self) -> None:
        self._hashers.shutdown(wait=False)

    async def answer(self, params: Mapping[str, str], source: str) -> Answer:
        """Answer `login`; never raises."""
        try:
            return await self._login(params, source)
        except Throttled as exc:
            return Answer(exc.code, error_body(KEY, exc, "login"), error=exc,
                          headers={"retry-after": str(exc.retry_after)})
        except CloudError as exc:
            return Answer(exc.code, error_body(KEY, exc, "login"), error=exc)
        except Exception:
            log.exception("login failed")
            return internal_error("login")

    async def _login(self, params: Mapping[str, str], source: str) -> Answer:
        given = _credentials(params)
        engine = self.runtime.db.engine
        burst, per_minute = int(config.current(engine, LOGIN_BURST_KEY)), int(config.current(engine, LOGIN_RATE_KEY))
        wait = self.throttle.take(source, burst, per_minute)
        if wait is not None:
            raise Throttled(source, wait)
        user = await self._on_database(logins.find_user, self._uow(), given.username, given.domain,
                                       given.domain_uuid)
        loop = asyncio.get_running_loop()
        good = await loop.run_in_executor(self._hashers, logins.password_matches, user, given.password)
        if not good or user is None:
            if user is not None:
                await self._on_database(logins.count_failure, self._uow(), user)
            raise AuthenticationFailed
        session = await self._on_database(logins.open_session, self._uow(), user)
        self.throttle.give_back(source, burst)
        body = {
            "timeout": session.timeout, "sessionkey": session.key, "username": user.username, "userid": user.uuid,
            "domainid": user.account.domain_uuid, "account": user.account.name, "type": str(int(user.account.role)),
            "firstname": user.firstname, "lastname": user.lastname, "registered": "false",
        }
        # The cookie carries the CSRF token, the parameter the session key: a forged cross-site
        # request has the cookie but cannot know the key (auth.by_session checks both).
        return Answer(200, {KEY: body}, {SESSION_COOKIE: session.csrf_token, "sessionkey": session.key},
                      caller=caller_of(user))

    def _uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.runtime.db)

    async def _on_database(self, step: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Inline (SQLite) on the loop, where its writes join the turn's commit; else in a thread."""
        if self.runtime.inline:
            return step(*args, **kwargs)
        return await to_thread.run_sync(lambda: step(*args, **kwargs))
