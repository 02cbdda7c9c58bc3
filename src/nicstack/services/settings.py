"""Use cases an operator reads and tunes: configuration settings, the event log, async job results."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_

from nicstack.db import tables as t
from nicstack.db.repos.config import forget
from nicstack.db.repos.jobs import Job
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_access
from nicstack.domain.errors import ParameterError, UnknownEntity
from nicstack.domain.policy import SETTINGS, SETTINGS_BY_NAME, Setting
from nicstack.services.scope import OwnerFilter, list_scope

_NON_NEGATIVE = re.compile(r"^\+?[0-9]{1,10}$")
MAX_INT = 2**31 - 1


# -- configuration ---------------------------------------------------------------------


def list_configurations(uow: SqlUnitOfWork, name: str | None, category: str | None) -> list[tuple[Setting, str]]:
    """Every setting with its value; `name` matches a part of the name, as CloudStack's LIKE."""
    with uow.reading():
        values = uow.settings.all_values()
    return [
        (s, values[s.name]) for s in sorted(SETTINGS, key=lambda s: s.name)
        if (name is None or name.lower() in s.name.lower())
        and (category is None or s.category.lower() == category.lower())
    ]


def checked_value(setting: Setting, value: str) -> str:
    """The value as stored; ParameterError naming it when it does not fit the setting's type."""
    if setting.kind is int:
        text = value.strip()
        if not _NON_NEGATIVE.match(text) or int(text) > MAX_INT:
            raise ParameterError(
                f"Invalid value {value!r} for configuration {setting.name}: "
                f"expected a whole number from 0 to {MAX_INT}"
            )
        return str(int(text))
    if setting.kind is bool:
        text = value.strip().lower()
        if text not in ("true", "false"):
            raise ParameterError(f"Invalid value {value!r} for configuration {setting.name}: expected true or false")
        return text
    return value


def update_configuration(uow: SqlUnitOfWork, caller: Caller, name: str, value: str) -> tuple[Setting, str]:
    setting = SETTINGS_BY_NAME.get(name.strip())
    if setting is None:
        raise ParameterError(f"Configuration setting {name!r} does not exist")
    stored = checked_value(setting, value)
    with uow:
        old = uow.settings.value(setting.name)
        uow.settings.set_value(setting.name, stored)
        uow.events.record(
            caller, "CONFIGURATION.VALUE.EDIT", f"Configuration {setting.name} changed from {old} to {stored}"
        )
    # Again after commit: a reader between set_value and the commit may have cached the old value.
    forget(uow.db.engine, setting.name)
    return setting, stored


# -- events ----------------------------------------------------------------------------

_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


def parse_date(text: str, param: str, *, end: bool = False) -> datetime:
    """A date as CloudStack accepts it; a bare day as an end date covers the whole day."""
    value = text.strip()
    for suffix in ("+0000", "Z", "+00:00"):
        value = value.removesuffix(suffix)
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed + timedelta(days=1, seconds=-1) if end and fmt == "%Y-%m-%d" else parsed
    raise ParameterError(f"Invalid value {text!r} for {param}: use yyyy-MM-dd or yyyy-MM-dd HH:mm:ss")


@dataclass(frozen=True, slots=True)
class EventFilter:
    """listEvents: the events of `owner`'s listing scope (or the one event `uuid`) matching the rest (None: any)."""

    owner: OwnerFilter = field(default_factory=OwnerFilter)
    uuid: str | None = None
    type: str | None = None  # in any case
    level: str | None = None  # in any case
    start: datetime | None = None  # parse_date(startdate)
    end: datetime | None = None  # parse_date(enddate, end=True)
    keyword: str | None = None  # within the description or the type; empty: any
    page: tuple[int, int] | None = None


def list_events(uow: SqlUnitOfWork, caller: Caller, wanted: EventFilter) -> tuple[list[dict[str, Any]], int]:
    """Events the listing scope covers, newest first, with the total across pages."""
    e = t.events.c
    where: list[ColumnElement[bool]] = []
    if wanted.type is not None:
        where.append(e.type == wanted.type.upper())
    if wanted.level is not None:
        where.append(e.level == wanted.level.upper())
    if wanted.start is not None:
        where.append(e.created >= wanted.start)
    if wanted.end is not None:
        where.append(e.created <= wanted.end)
    if wanted.keyword:
        pattern = f"%{wanted.keyword}%"
        where.append(or_(e.description.like(pattern), e.type.like(pattern)))
    with uow.reading():
        if wanted.uuid is not None:
            where.append(e.uuid == wanted.uuid)
        # One event by id: look in everything the caller may see, not only its own account.
        scope = list_scope(uow, caller, OwnerFilter(list_all=True) if wanted.uuid is not None else wanted.owner)
        if scope.account_id is not None:
            where.append(e.account_id == scope.account_id)
        elif scope.domain_path is not None:
            where.append(t.domains.c.path.startswith(scope.domain_path))
        rows, total = uow.events.query(where, wanted.page)
    if wanted.uuid is not None and not rows:
        raise UnknownEntity("id", wanted.uuid)
    return rows, total


# -- async jobs ------------------------------------------------------------------------


def query_job(uow: SqlUnitOfWork, caller: Caller, job_uuid: str) -> Job:
    """The job, when it is the caller's account's or an admin's within its domain subtree."""
    with uow.reading():
        job = uow.jobs.by_uuid(job_uuid)
        if job is None:
            raise UnknownEntity("jobid", job_uuid)
        if job.account_id != caller.account_id:
            owner = uow.accounts.account_by(id=job.account_id)
            if owner is None or not caller.is_admin or not may_access(caller, owner.id, owner.domain_path):
                raise UnknownEntity("jobid", job_uuid)
    return job


def list_jobs(
    uow: SqlUnitOfWork, caller: Caller, owner: OwnerFilter, page: tuple[int, int] | None
) -> tuple[list[Job], int]:
    with uow.reading():
        scope = list_scope(uow, caller, owner)
        account_ids: list[int] | None = None
        if scope.account_id is not None:
            account_ids = [scope.account_id]
        elif scope.domain_path is not None:
            account_ids = [a.id for a in uow.accounts.accounts(scope.domain_path, None, None)]
        return uow.jobs.listing(account_ids, page)
