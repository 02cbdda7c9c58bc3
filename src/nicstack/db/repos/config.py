"""Global configuration values, defaults from domain.policy."""

from __future__ import annotations

from sqlalchemy import Connection, select

from nicstack.db import tables as t
from nicstack.domain.policy import SETTINGS, SETTINGS_BY_NAME


def value(conn: Connection, name: str) -> str:
    stored = conn.execute(select(t.configuration.c.value).where(t.configuration.c.name == name)).scalar()
    return stored if stored is not None else SETTINGS_BY_NAME[name].default


def int_value(conn: Connection, name: str) -> int:
    return int(value(conn, name))


def all_values(conn: Connection) -> dict[str, str]:
    stored = dict(conn.execute(select(t.configuration.c.name, t.configuration.c.value)).tuples().all())
    return {s.name: stored.get(s.name) or s.default for s in SETTINGS}


def set_value(conn: Connection, name: str, new: str) -> None:
    updated = conn.execute(t.configuration.update().where(t.configuration.c.name == name).values(value=new))
    if updated.rowcount == 0:
        conn.execute(t.configuration.insert().values(name=name, value=new))
