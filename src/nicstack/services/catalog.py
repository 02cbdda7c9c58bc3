"""Read-only catalogue views clients ask for: disk offerings (seeded), OS types, hypervisors.

OS types are those of the templates plus CloudStack's generic ones, with name-based uuids, so an
id stays the same across restarts without a table.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.errors import UnknownEntity
from nicstack.domain.kinds import Hypervisor
from nicstack.services import lookup

_NAMESPACE = uuid.UUID("0b8e33c4-53a4-4d69-8a8e-8f1e1f7f2c55")
GENERIC_OS_TYPES = ("Other (64-bit)", "Other Linux (64-bit)", "Other PV (64-bit)")


@dataclass(frozen=True, slots=True)
class OsType:
    uuid: str
    description: str

    @property
    def category(self) -> str:
        return "Other" if self.description.startswith("Other") else self.description.split()[0]


def list_disk_offerings(uow: SqlUnitOfWork, uuid_: str | None, name: str | None, keyword: str | None,
                        zone_uuid: str | None = None) -> list[dict[str, Any]]:
    """Every zone has every disk offering; an unknown zone is refused as such."""
    d = t.disk_offerings
    query = select(d).order_by(d.c.id)
    if uuid_ is not None:
        query = query.where(d.c.uuid == uuid_)
    if name is not None:
        query = query.where(d.c.name == name)
    with uow.reading():
        if zone_uuid is not None:
            lookup.zone(uow, zone_uuid)
        found = [dict(r._mapping) for r in uow.conn.execute(query)]
    if uuid_ is not None and not found:
        raise UnknownEntity("id", uuid_)
    return [o for o in found if not keyword or keyword.lower() in o["name"].lower()]


def list_os_types(uow: SqlUnitOfWork, uuid_: str | None, description: str | None, keyword: str | None
                  ) -> list[OsType]:
    with uow.reading():
        used = {r[0] for r in uow.conn.execute(select(t.templates.c.os_type))}
    found = [OsType(str(uuid.uuid5(_NAMESPACE, name)), name) for name in sorted(used | set(GENERIC_OS_TYPES))]
    if uuid_ is not None:
        found = [o for o in found if o.uuid == uuid_]
        if not found:
            raise UnknownEntity("id", uuid_)
    if description is not None:
        found = [o for o in found if o.description == description]
    return [o for o in found if not keyword or keyword.lower() in o.description.lower()]


def list_hypervisors(uow: SqlUnitOfWork, zone_uuid: str | None) -> list[str]:
    """The hypervisors of the zone's hosts (of every zone's); KVM when there are none yet, as nicstack places on
    KVM by default."""
    h = t.hosts
    query = select(h.c.hypervisor).where(h.c.removed.is_(None)).distinct()
    with uow.reading():
        if zone_uuid is not None:
            query = query.where(h.c.zone_id == lookup.zone(uow, zone_uuid).id)
        found = {r[0] for r in uow.conn.execute(query)}
    return sorted(found or {str(Hypervisor.KVM)})
