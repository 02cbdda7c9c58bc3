"""Authenticate a request: API key + signature, or a UI session key."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from nicstack.api.signature import parse_expires, verify
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.repos.accounts import caller_of
from nicstack.db.rows import now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import AuthenticationFailed
from nicstack.domain.model import User

# No key nicstack issues is longer; longer values are refused before any lookup.
_MAX_CREDENTIAL = 1024


def _get(params: Mapping[str, str], name: str) -> str | None:
    """Look a parameter up case-insensitively (apiKey/apikey, signatureVersion/...)."""
    for key, value in params.items():
        if key.lower() == name:
            return value
    return None


def _plausible(value: str) -> bool:
    """Could nicstack have issued this key? Short and printable (PostgreSQL refuses NUL in text)."""
    return 0 < len(value) <= _MAX_CREDENTIAL and value.isprintable()


@dataclass(frozen=True, slots=True)
class ReplayPolicy:
    """How long a captured signed request stays usable (settings api.signature.expires.*).

    Off by default, as in CloudStack: libcloud signs without `expires`, and `cs` lets users
    choose how long a signature lives.
    """

    require_expires: bool = False
    max_ahead: timedelta | None = None  # None: `expires` may lie any time in the future


def by_signature(
    find_user: Callable[[str], User | None], params: Mapping[str, str], policy: ReplayPolicy = ReplayPolicy()
) -> Caller:
    """The caller whose key signed these parameters; AuthenticationFailed otherwise."""
    api_key, signature = _get(params, "apikey"), _get(params, "signature")
    if not api_key or not signature or not _plausible(api_key):
        raise AuthenticationFailed
    version, expires = _get(params, "signatureversion"), _get(params, "expires")
    if expires is None and (version == "3" or policy.require_expires):
        raise AuthenticationFailed
    if expires is not None:
        when = parse_expires(expires)
        now_ = datetime.now(UTC)
        if when is None or when <= now_ or (policy.max_ahead is not None and when > now_ + policy.max_ahead):
            raise AuthenticationFailed
    user = find_user(api_key)
    if user is None or user.secret_key is None or not verify(user.secret_key, params, signature):
        raise AuthenticationFailed
    if user.state != "enabled" or user.account.state != "enabled":
        raise AuthenticationFailed
    return caller_of(user)


def by_session(uow: SqlUnitOfWork, session_key: str, csrf: str | None) -> Caller:
    """The caller of a live UI session; the session key must come as a parameter (CSRF)."""
    if not _plausible(session_key):
        raise AuthenticationFailed
    row = uow.conn.execute(select(t.sessions).where(t.sessions.c.key == session_key)).first()
    if row is None or row.expires <= now():
        raise AuthenticationFailed
    # Bytes: compare_digest refuses str with non-ASCII characters (a cookie may carry any).
    if csrf is not None and not hmac.compare_digest(csrf.encode(), row.csrf_token.encode()):
        raise AuthenticationFailed
    user = uow.accounts.user_by_id(row.user_id)
    if user is None or user.state != "enabled" or user.account.state != "enabled":
        raise AuthenticationFailed
    return caller_of(user)


class KeyCache:
    """API key -> user for a few seconds: every request is signed, and a database round trip
    per request for the same few keys costs more than the command itself. A disabled user or a
    replaced key takes effect within `ttl` seconds; unknown keys are never cached."""

    def __init__(self, db: Database, ttl: float = 2.0) -> None:
        self._db = db
        self._ttl = ttl
        self._entries: dict[str, tuple[float, User]] = {}

    def user(self, api_key: str) -> User | None:
        now_ = time.monotonic()
        hit = self._entries.get(api_key)
        if hit is not None and hit[0] > now_:
            return hit[1]
        uow = SqlUnitOfWork(self._db)
        with uow.reading():
            user = uow.accounts.user_by_api_key(api_key)
        if user is None:
            self._entries.pop(api_key, None)
        else:
            self._entries[api_key] = (now_ + self._ttl, user)
        return user
