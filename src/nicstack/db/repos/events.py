"""The event log that listEvents shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from nicstack.db import prepared
from nicstack.db import tables as t
from nicstack.db.rows import new_uuid, now
from nicstack.domain.access import Caller

_INSERT = t.events.insert()


class EventRepository:
    """The event log that listEvents shows."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, caller: Caller, type_: str, description: str, *, level: str = "INFO",
        state: str = "Completed", account_id: int | None = None, domain_id: int | None = None,
    ) -> None:
        """Store one event, owned by the resource's account (default: the caller's)."""
        prepared.insert(
            self.conn,
            t.events,
            {"uuid": new_uuid(), "type": type_, "level": level, "state": state, "description": description,
             "user_id": caller.user_id, "account_id": account_id if account_id is not None else caller.account_id,
             "domain_id": domain_id if domain_id is not None else caller.domain_id, "created": now()},
        )

    def record_many(self, caller: Caller, type_: str, descriptions: Sequence[str], *, account_id: int,
                    domain_id: int) -> None:
        """Events of one type owned by one account, in one statement (one per address of a bulk change)."""
        if len(descriptions) == 1:  # the hot path: one address, on the prepared statement
            self.record(caller, type_, descriptions[0], account_id=account_id, domain_id=domain_id)
            return
        stamp = now()
        prepared.execute_many(self.conn, _INSERT, [
            {"uuid": new_uuid(), "type": type_, "level": "INFO", "state": "Completed", "description": text,
             "user_id": caller.user_id, "account_id": account_id, "domain_id": domain_id, "created": stamp}
            for text in descriptions])

    def query(self, where: list[Any], page: tuple[int, int] | None) -> tuple[list[dict[str, Any]], int]:
        base = (
            select(
                t.events.c.uuid, t.events.c.type, t.events.c.level, t.events.c.state, t.events.c.description,
                t.events.c.created, t.accounts.c.name.label("account"), t.domains.c.uuid.label("domainid"),
                t.domains.c.name.label("domain"), t.users.c.username,
            )
            .select_from(
                t.events.join(t.accounts, t.accounts.c.id == t.events.c.account_id)
                .join(t.domains, t.domains.c.id == t.events.c.domain_id)
                .outerjoin(t.users, t.users.c.id == t.events.c.user_id)
            )
            .where(*where)
        )

        total = self.conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        ordered = base.order_by(t.events.c.id.desc())
        if page:
            ordered = ordered.limit(page[1]).offset(page[0])
        return [dict(r._mapping) for r in self.conn.execute(ordered)], total
