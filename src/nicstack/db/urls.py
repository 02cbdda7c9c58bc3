"""Database URLs as people type them: checked, and written the way SQLAlchemy needs them.

`postgresql://` (and `postgres://`) mean psycopg 3, the driver nicstack ships with; SQLite paths
become absolute (with `~` expanded), so the file in use can be printed and found again.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

FORMS = "sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
_POSTGRES = ("postgresql", "postgres")
_OTHER_SQL = ("mysql", "mariadb", "oracle", "mssql", "cockroachdb")


class BadDatabaseUrl(ValueError):
    """A URL nicstack cannot use; the message says why and what to write instead."""


def _shown(url: str) -> str:
    """The URL for a message, without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url


def normalize(url: str) -> str:
    """The URL nicstack connects with; raises BadDatabaseUrl naming what is wrong."""
    text = url.strip()
    if "://" not in text:
        raise BadDatabaseUrl(f"{text!r} is not a database URL: write {FORMS}")
    try:
        parsed = make_url(text)
        port = parsed.port
    except (ArgumentError, ValueError):
        raise BadDatabaseUrl(f"{_shown(text)!r} is not a well-formed database URL: write {FORMS}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite":
        return _sqlite(parsed, driver)
    if backend in _POSTGRES:
        if driver not in ("", "psycopg"):
            raise BadDatabaseUrl(f"nicstack talks to PostgreSQL through psycopg 3, not {driver}: write "
                                 "postgresql://... (or postgresql+psycopg://...)")
        if port is not None and not 1 <= port <= 65535:
            raise BadDatabaseUrl(f"port {port} in {_shown(text)} is not a port: give 1-65535 (PostgreSQL's is 5432)")
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend in _OTHER_SQL:
        raise BadDatabaseUrl(f"{backend} is not supported: nicstack stores its data in SQLite or PostgreSQL; "
                             f"write {FORMS}")
    raise BadDatabaseUrl(f"{backend}:// is not a kind of database nicstack knows: write {FORMS}")


def _sqlite(parsed: URL, driver: str) -> str:
    if driver not in ("", "pysqlite"):
        raise BadDatabaseUrl(f"nicstack opens SQLite through Python's sqlite3, not {driver}: write sqlite:///PATH")
    if parsed.host:
        raise BadDatabaseUrl(f"sqlite://{parsed.host}/... names a host, and SQLite is a local file: write "
                             "sqlite:///relative/path or sqlite:////absolute/path (three or four slashes)")
    if not parsed.database or parsed.database == ":memory:":
        raise BadDatabaseUrl("an in-memory SQLite database would be gone when the process ends: write "
                             "sqlite:///PATH to a file")
    path = Path(parsed.database).expanduser().absolute()
    return f"sqlite:///{path}"


def sqlite_file(url: str) -> Path | None:
    """The file of a (normalized) SQLite URL; None for other databases."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def describe(url: str) -> str:
    """What to print of the database in use: the SQLite file, or the URL without its password."""
    path = sqlite_file(url)
    return f"SQLite file {path}" if path is not None else f"PostgreSQL {_shown(url)}"
