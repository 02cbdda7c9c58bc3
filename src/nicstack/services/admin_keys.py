"""The root admin's credentials, for whoever runs the server and holds the database: show them,
rotate the keys, reset the password, and apply the ones the environment gives at start.

This is the recovery path when the keys printed on first start are lost: it needs access to the
database, not to the API. A running server takes new keys within its key cache's few seconds.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.seed import admin_user
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.credentials import check_password, hash_password, new_key

API_KEY = "NICSTACK_ADMIN_API_KEY"
SECRET_KEY = "NICSTACK_ADMIN_SECRET_KEY"
PASSWORD = "NICSTACK_ADMIN_PASSWORD"
VARIABLES = (API_KEY, SECRET_KEY, PASSWORD)
MAX_KEY = 255  # the users table's api_key and secret_key columns


@dataclass(frozen=True, slots=True)
class Keys:
    api_key: str
    secret_key: str


def keys(uow: SqlUnitOfWork) -> Keys | None:
    """The root admin's keys; None before the first server start gave it any."""
    with uow.reading():
        row = admin_user(uow.conn)
    return Keys(row.api_key, row.secret_key) if row.api_key and row.secret_key else None


def rotate(uow: SqlUnitOfWork) -> Keys:
    """Give the root admin new keys: the old ones stop working."""
    fresh = Keys(new_key(), new_key())
    with uow:
        row = admin_user(uow.conn)
        uow.conn.execute(t.users.update().where(t.users.c.id == row.id)
                     .values(api_key=fresh.api_key, secret_key=fresh.secret_key))
    return fresh


def reset_password(uow: SqlUnitOfWork, password: str | None = None) -> str:
    """Set the root admin's password (a generated one when None) and end its UI sessions; returns it."""
    chosen = password or secrets.token_urlsafe(12)
    with uow:
        row = admin_user(uow.conn)
        uow.conn.execute(t.users.update().where(t.users.c.id == row.id).values(password_hash=hash_password(chosen)))
        uow.conn.execute(t.sessions.delete().where(t.sessions.c.user_id == row.id))
    return chosen


@dataclass(frozen=True, slots=True)
class Applied:
    """What `apply_environment` did: the variables it stored, and those it refused with the reason."""

    stored: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()


def _unusable_key(value: str) -> str | None:
    if len(value) > MAX_KEY or not value.isprintable() or any(c.isspace() for c in value):
        return f"a key is at most {MAX_KEY} printable characters without spaces"
    return None


def apply_environment(uow: SqlUnitOfWork, env: Mapping[str, str]) -> Applied:
    """Store the credentials of NICSTACK_ADMIN_* that differ from the stored ones.

    The environment is what the operator declared (a unit file, a secret store): a key given there
    replaces the stored one, so that the declared key works, and the caller warns that it did. A
    value that cannot be a key (too long, or another user's) is refused and the stored one kept.
    """
    given = {name: env[name] for name in VARIABLES if env.get(name)}
    if not given:
        return Applied()
    stored: list[str] = []
    refused: list[tuple[str, str]] = []
    with uow:
        conn = uow.conn
        row = admin_user(conn)
        changes: dict[str, str] = {}
        for name, column, current in ((API_KEY, "api_key", row.api_key), (SECRET_KEY, "secret_key", row.secret_key)):
            value = given.get(name)
            if value is None or value == current:
                continue
            why = _unusable_key(value)
            if why is None and name == API_KEY and conn.execute(select(t.users.c.id).where(
                    t.users.c.api_key == value, t.users.c.id != row.id)).first() is not None:
                why = "another user has this API key"
            if why is None:
                changes[column] = value
                stored.append(name)
            else:
                refused.append((name, why))
        if PASSWORD in given and not check_password(given[PASSWORD], row.password_hash):
            changes["password_hash"] = hash_password(given[PASSWORD])
            stored.append(PASSWORD)
        if changes:
            conn.execute(t.users.update().where(t.users.c.id == row.id).values(**changes))
    return Applied(tuple(stored), tuple(refused))
