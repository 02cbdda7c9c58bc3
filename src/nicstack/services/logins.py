"""Use cases of password logins: find the user, open a session, count failures and disable the
user after `incorrect.login.attempts.allowed` of them in a row, as CloudStack does.

The password check sits between the steps (`password_matches`), not inside a transaction: it is
~50 ms of CPU, and the server runs it off the request loop (api/logins.py).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from functools import cache

from sqlalchemy import delete, select

from nicstack.db import tables as t
from nicstack.db.repos.accounts import caller_of
from nicstack.db.rows import now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_access
from nicstack.domain.credentials import SESSION_LIFETIME, check_password, hash_password
from nicstack.domain.errors import AuthenticationFailed, PermissionDenied, UnknownEntity
from nicstack.domain.kinds import Role
from nicstack.domain.model import User
from nicstack.domain.policy import LOGIN_ATTEMPTS_KEY, attempts_after_failure

log = logging.getLogger("nicstack.auth")


@dataclass(frozen=True, slots=True)
class Session:
    key: str
    csrf_token: str
    user: User
    timeout: int


def login_path(text: str) -> str:
    """A login domain as typed ("/", "/child/", "ROOT/child", "child") as a stored path."""
    parts = [p for p in text.strip().split("/") if p]
    if parts and parts[0].upper() == "ROOT":
        parts = parts[1:]
    return "/" + "".join(f"{p}/" for p in parts)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def find_user(uow: SqlUnitOfWork, username: str, domain: str, domain_uuid: str | None) -> User | None:
    """The user logging in, or None; AuthenticationFailed for a domain uuid that names nothing."""
    with uow.reading():
        where = uow.accounts.domain_by(uuid=domain_uuid) if domain_uuid else None
        if domain_uuid and where is None:
            raise AuthenticationFailed
        path = where.path if where is not None else login_path(domain)
        found = [u for u in uow.accounts.users_by(username=username) if u.account.domain_path == path]
    return found[0] if found else None


def password_matches(user: User | None, password: str) -> bool:
    """The PBKDF2 check; hashed even for an unknown user, so timing does not tell which names exist."""
    return check_password(password, user.password_hash if user else _dummy_hash()) and user is not None


def _state(uow: SqlUnitOfWork, user: User) -> tuple[str | None, int]:
    """The user's state and failure count, read again inside the write (another login may have
    disabled the user meanwhile)."""
    users = t.users.c
    row = uow.conn.execute(select(users.state, users.login_attempts).where(users.id == user.id)).first()
    return (row.state, row.login_attempts) if row is not None else (None, 0)


def open_session(uow: SqlUnitOfWork, user: User) -> Session:
    """After a good password: reset the failure count and open a session (AuthenticationFailed if disabled)."""
    with uow:
        state, attempts = _state(uow, user)
        if state != "enabled" or user.account.state != "enabled":
            raise AuthenticationFailed
        if attempts:
            uow.conn.execute(t.users.update().where(t.users.c.id == user.id).values(login_attempts=0))
        stamp = now()
        uow.conn.execute(delete(t.sessions).where(t.sessions.c.expires <= stamp))
        key, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        uow.conn.execute(
            t.sessions.insert().values(key=key, user_id=user.id, csrf_token=csrf, expires=stamp + SESSION_LIFETIME)
        )
        uow.events.record(caller_of(user), "USER.LOGIN", f"User {user.username} logged in")
        return Session(key, csrf, user, int(SESSION_LIFETIME.total_seconds()))


def count_failure(uow: SqlUnitOfWork, user: User) -> bool:
    """After a wrong password: count it; True when this failure disabled the user.

    Only an enabled user is counted, as in CloudStack: a disabled one stays as it is.
    """
    with uow:
        state, made = _state(uow, user)
        if state != "enabled":
            return False
        attempts, disable = attempts_after_failure(made, uow.settings.int_value(LOGIN_ATTEMPTS_KEY))
        values: dict[str, object] = {"login_attempts": attempts}
        if disable:
            values["state"] = "disabled"
            uow.events.record(caller_of(user), "USER.DISABLE",
                              f"User {user.username} disabled after {attempts} failed login attempts in a row",
                              level="WARN")
        uow.conn.execute(t.users.update().where(t.users.c.id == user.id).values(**values))
    if disable:
        log.warning("user %s (%s) disabled after %d failed login attempts", user.username, user.uuid, attempts)
    return disable


def login(uow: SqlUnitOfWork, username: str, password: str, domain: str, domain_uuid: str | None) -> Session:
    """The whole login on the calling thread; AuthenticationFailed for any mismatch."""
    user = find_user(uow, username, domain, domain_uuid)
    if not password_matches(user, password):
        if user is not None:
            count_failure(uow, user)
        raise AuthenticationFailed
    assert user is not None
    return open_session(uow, user)


def enable_user(uow: SqlUnitOfWork, caller: Caller, user_uuid: str) -> User:
    """Enable a user (one disabled by failed logins, say) and clear its failure count.

    UnknownEntity when the caller may not see the user, PermissionDenied for a domain admin and
    a root admin's user.
    """
    with uow:
        found = uow.accounts.users_by(uuid=user_uuid)
        target = found[0] if found else None
        if target is None or not may_access(caller, target.account.id, target.account.domain_path):
            raise UnknownEntity("id", user_uuid)
        if target.account.role is Role.ROOT_ADMIN and not caller.is_root_admin:
            raise PermissionDenied(f"A domain admin may not enable root admin user {user_uuid}")
        uow.conn.execute(t.users.update().where(t.users.c.id == target.id).values(state="enabled", login_attempts=0))
        uow.events.record(caller, "USER.ENABLE", f"User {target.username} enabled",
                          account_id=target.account.id, domain_id=target.account.domain_id)
        return uow.accounts.users_by(uuid=user_uuid)[0]
