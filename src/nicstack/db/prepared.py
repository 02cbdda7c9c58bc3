"""SQLAlchemy Core statements compiled once and run on the driver's cursor: the hot path.

`Connection.execute` spends several times what SQLite itself spends on a small statement
(measured: 29 us against 10 us) deriving cache keys, dispatching events and building a
result object. The statements of `addIpToNic` and its job run thousands of times a
second, so they are compiled once per dialect and run on the DB-API connection of the
caller's transaction. Values still go through each column type's bind and result
processors, so rows read or written here are the same as through SQLAlchemy, and a
unique-key violation is raised as SQLAlchemy's `IntegrityError` as before.

An expanding (`IN`) parameter's list is padded to a power of two with its last value (the same
`IN`), so a statement has a plan per few list sizes, not one per size. Limits, checked when a
statement is first prepared: no expanding parameter in `execute_many`, and result columns with
distinct names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ClauseElement, Insert
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]


class NotPreparable(Exception):
    """A statement the prepared path cannot run as written."""


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    order: tuple[str, ...] | None  # positional paramstyles: bind names in placeholder order
    literals: dict[str, Any]  # values compiled into the statement itself
    binders: dict[str, Processor]
    keys: tuple[str, ...]  # result column names
    readers: tuple[Processor | None, ...]
    expanding: tuple[str, ...] = ()  # IN-list parameters
    lists: Mapping[str, Sequence[Any]] = field(default_factory=dict)  # IN lists written in it (`in_([...])`)
    expansion: Mapping[str, Sequence[str]] | None = None  # per IN-list parameter, its values' bind names


# (statement id, dialect, insert column keys, IN-list sizes) -> (statement, plan); the statement is kept so
# its id cannot be reused by another object. Statements are module constants: this stays small.
_plans: dict[tuple[int, str, tuple[str, ...], tuple[int, ...]], tuple[ClauseElement, _Plan]] = {}
# Far more plans than the module constants make: a statement built per call (`table.insert()` in a
# function) would be compiled every time and kept forever. Refused, so the suite finds it.
_MAX_PLANS = 2000


def _prepare(stmt: ClauseElement, dialect: Dialect, column_keys: tuple[str, ...], sizes: tuple[int, ...] = ()
             ) -> _Plan:
    """The statement's plan; with `sizes`, the plan for IN lists of those sizes (in `expanding` order)."""
    found = _plans.get((id(stmt), dialect.name, column_keys, sizes))
    if found is not None and found[0] is stmt:
        return found[1]
    if len(_plans) >= _MAX_PLANS:
        raise NotPreparable(f"{_MAX_PLANS} statements prepared: build statements once, as module constants")
    compiled = stmt.compile(dialect=dialect, column_keys=list(column_keys) or None)
    assert isinstance(compiled, SQLCompiler)
    binds = compiled.binds
    # `binds` may hold a bind under two keys (an anonymous one too): the compiled SQL names each once.
    expanding = tuple(dict.fromkeys(compiled.bind_names[bind] for bind in binds.values() if bind.expanding))
    binders: dict[str, Processor] = {}
    for name, bind in binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and not bind.expanding:
            binders[name] = process
    sql, order = compiled.string, tuple(compiled.positiontup or ()) if compiled.positional else None
    expansion = None
    if sizes:
        lists = dict(zip(expanding, ([None] * size for size in sizes), strict=True))
        required = {compiled.bind_names[bind]: None for bind in binds.values() if bind.required and not bind.expanding}
        state = compiled.construct_expanded_state({**required, **lists})
        sql, expansion = state.statement, state.parameter_expansion
        order = tuple(state.positiontup or ()) if compiled.positional else None
        binders |= state.processors
    literals = {name: bind.effective_value for name, bind in binds.items() if not bind.required and not bind.expanding}
    columns = list(getattr(stmt, "exported_columns", ()))
    keys = [str(c.key) for c in columns]
    if len(set(keys)) != len(keys):
        raise NotPreparable(f"result columns need distinct names (label them): {keys}")
    plan = _Plan(
        sql=sql,
        order=order,
        literals=literals,
        binders=binders,
        keys=tuple(keys),
        readers=tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns),
        expanding=expanding,
        expansion=expansion,
        lists={name: list(binds[name].effective_value or ()) for name in expanding if not binds[name].required},
    )
    _plans[(id(stmt), dialect.name, column_keys, sizes)] = (stmt, plan)
    return plan


def _padded(values: Sequence[Any]) -> list[Any]:
    """An IN list padded to a power of two with its last value: the same IN, from few plans."""
    if not values:
        return []
    return [*values, *[values[-1]] * ((1 << (len(values) - 1).bit_length()) - len(values))]


def _expand(stmt: ClauseElement, dialect: Dialect, column_keys: tuple[str, ...], plan: _Plan,
            params: Mapping[str, Any]) -> tuple[_Plan, Mapping[str, Any]]:
    """The plan for the sizes of the call's IN lists, and the call's parameters with each list's values named."""
    lists = {name: _padded(params[name] if name in params else plan.lists[name]) for name in plan.expanding}
    sized = _prepare(stmt, dialect, column_keys, tuple(len(values) for values in lists.values()))
    assert sized.expansion is not None
    named = {key: value for key, value in params.items() if key not in lists}
    for name, values in lists.items():
        named.update(zip(sized.expansion.get(name, ()), values, strict=True))
    return sized, named


def _arguments(plan: _Plan, params: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
    values = {**plan.literals, **params}
    for name, process in plan.binders.items():
        values[name] = process(values[name])
    return [values[name] for name in plan.order] if plan.order is not None else values


def _run(conn: Connection, stmt: ClauseElement, params: Mapping[str, Any], column_keys: tuple[str, ...] = ()) -> Any:
    plan = _prepare(stmt, conn.dialect, column_keys)
    if plan.expanding:
        plan, params = _expand(stmt, conn.dialect, column_keys, plan, params)
    arguments = _arguments(plan, params)
    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        return plan, driver.execute(plan.sql, arguments)
    except conn.dialect.loaded_dbapi.IntegrityError as exc:
        raise IntegrityError(plan.sql, arguments, exc) from exc


def _row(plan: _Plan, raw: Sequence[Any]) -> dict[str, Any]:
    return {
        key: reader(value) if reader is not None else value
        for key, reader, value in zip(plan.keys, plan.readers, raw, strict=True)
    }


def rows(conn: Connection, stmt: ClauseElement, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    plan, cursor = _run(conn, stmt, params or {})
    return [_row(plan, raw) for raw in cursor.fetchall()]


def first(conn: Connection, stmt: ClauseElement, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    plan, cursor = _run(conn, stmt, params or {})
    raw = cursor.fetchone()
    return _row(plan, raw) if raw is not None else None


def tuples(conn: Connection, stmt: ClauseElement, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """The rows as tuples in the statement's column order: no dict per row, for reads of many rows."""
    plan, cursor = _run(conn, stmt, params or {})
    raw = cursor.fetchall()
    if not any(plan.readers):
        # sqlite3 and psycopg fetch tuples already: handed on without a copy of each row.
        return raw if not raw or type(raw[0]) is tuple else [tuple(row) for row in raw]
    return [tuple(reader(value) if reader is not None else value for reader, value in zip(plan.readers, row,
                                                                                          strict=True))
            for row in raw]


def scalar(conn: Connection, stmt: ClauseElement, params: Mapping[str, Any] | None = None) -> Any:
    """The first column of the first row, or None."""
    found = first(conn, stmt, params)
    return next(iter(found.values())) if found is not None else None


def execute(conn: Connection, stmt: ClauseElement, params: Mapping[str, Any] | None = None) -> int:
    """Run an UPDATE or DELETE; returns the number of rows it matched."""
    _plan, cursor = _run(conn, stmt, params or {})
    return int(cursor.rowcount)


@functools.cache
def _insert_returning_id(table: Table) -> ClauseElement:
    return table.insert().returning(table.c.id)


def insert(conn: Connection, table: Table, values: Mapping[str, Any]) -> int:
    """Insert one row into a table with an integer `id`; returns the new id."""
    _plan, cursor = _run(conn, _insert_returning_id(table), values, tuple(sorted(values)))
    return int(cursor.fetchone()[0])


def execute_many(conn: Connection, stmt: ClauseElement, params: Sequence[Mapping[str, Any]]) -> None:
    """Run one statement for each parameter set in one driver call (an INSERT's rows, an UPDATE's).

    An INSERT's sets all name the same columns. The driver's executemany is one C loop on SQLite
    and one pipeline on PostgreSQL, where SQLAlchemy's spends most of its time building parameters.
    """
    if not params:
        return
    columns = tuple(sorted(params[0])) if isinstance(stmt, Insert) else ()
    plan = _prepare(stmt, conn.dialect, columns)
    if plan.expanding:
        raise NotPreparable(f"expanding parameters are not supported in execute_many: {plan.sql}")
    arguments = [_arguments(plan, p) for p in params]
    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        driver.cursor().executemany(plan.sql, arguments)
    except conn.dialect.loaded_dbapi.IntegrityError as exc:
        raise IntegrityError(plan.sql, arguments, exc) from exc
