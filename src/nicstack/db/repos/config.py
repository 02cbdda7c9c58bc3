"""Global configuration values, defaults from domain.policy."""

from __future__ import annotations

import time

from sqlalchemy import Connection, Engine, bindparam, select

from nicstack.db import tables as t
from nicstack.domain.policy import SETTINGS, SETTINGS_BY_NAME

# (database, setting) -> (expires, value). Settings are read on hot paths (the per-NIC limit on
# every addIpToNic); a change made through this process is seen at once, one made by another
# server within _TTL seconds, as CloudStack's own configuration cache does.
_TTL = 2.0
_cache: dict[tuple[str, str], tuple[float, str]] = {}
_VALUE = select(t.configuration.c.value).where(t.configuration.c.name == bindparam("name"))


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def forget(engine: Engine, name: str) -> None:
    _cache.pop((_url(engine), name), None)


def current(engine: Engine, name: str) -> str:
    """A setting's value for hot paths outside a transaction: a connection only when the cached value is stale."""
    hit = _cache.get((_url(engine), name))
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    with engine.connect() as conn:
        return SettingsRepository(conn).value(name)


class SettingsRepository:
    """Global configuration values, defaults from domain.policy."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def value(self, name: str) -> str:
        key = (_url(self.conn.engine), name)
        hit = _cache.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        stored = self.conn.execute(_VALUE, {"name": name}).scalar()
        found = stored if stored is not None else SETTINGS_BY_NAME[name].default
        _cache[key] = (now + _TTL, found)
        return found

    def int_value(self, name: str) -> int:
        return int(self.value(name))

    def all_values(self) -> dict[str, str]:
        stored = dict(self.conn.execute(select(t.configuration.c.name, t.configuration.c.value)).tuples().all())
        return {s.name: stored.get(s.name) or s.default for s in SETTINGS}

    def set_value(self, name: str, new: str) -> None:
        forget(self.conn.engine, name)
        updated = self.conn.execute(t.configuration.update().where(t.configuration.c.name == name).values(value=new))
        if updated.rowcount == 0:
            self.conn.execute(t.configuration.insert().values(name=name, value=new))
