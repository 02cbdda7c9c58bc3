"""Small helpers shared by the repositories."""

from __future__ import annotations

import functools
import uuid as uuidlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam


def new_uuid() -> str:
    return str(uuidlib.uuid4())


def now() -> datetime:
    """UTC wall time without tzinfo: what every DateTime column stores."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@functools.cache
def lookup_statement(base: Callable[[], Select[Any]], table: Table, keys: tuple[str, ...]) -> Select[Any]:
    """`base()` filtered on `table.<key> = :w_<key>` for each key, built once per key set.

    SQLAlchemy derives a cache key from every statement it executes; for the wide joined
    selects of the lookups that costs more than running the query, unless the statement
    object is reused. Bind the values with `lookup_params`.
    """
    query = base()
    for key in keys:
        query = query.where(table.c[key] == bindparam(f"w_{key}"))
    return query


def lookup_params(where: dict[str, Any]) -> dict[str, Any]:
    return {f"w_{key}": value for key, value in where.items()}
