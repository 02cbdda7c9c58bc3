"""Zones, pods, hosts and the offerings and templates VMs and networks are made from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, Table, select

from nicstack.db import tables as t
from nicstack.db.rows import new_uuid, now
from nicstack.domain.kinds import GuestType, Hypervisor, ZoneType
from nicstack.domain.model import Host, NetworkOffering, Pod, Zone


def _where(query: Select[Any], table: Table, where: dict[str, Any], *, skip_none: bool = False) -> Select[Any]:
    """Equality filters on `table`'s columns.

    Lookups (`*_by`) keep None as IS NULL, so `zone_by(uuid=None)` finds nothing rather than
    the first zone; listings skip None so callers can pass optional filters straight through.
    """
    for key, value in where.items():
        if value is not None or not skip_none:
            query = query.where(table.c[key] == value)
    return query


# -- zones -----------------------------------------------------------------------------


def _zone(m: Any) -> Zone:
    return Zone(
        m["id"], m["uuid"], m["name"], ZoneType(m["network_type"]), bool(m["security_groups_enabled"]),
        m["allocation_state"], m["dns1"], m["internal_dns1"], m["guest_cidr"],
    )


def _zones_query() -> Select[Any]:
    return select(t.zones).where(t.zones.c.removed.is_(None)).order_by(t.zones.c.id)


# -- pods ------------------------------------------------------------------------------


def _pod(m: Any) -> Pod:
    return Pod(
        m["id"], m["uuid"], m["name"], m["zone_id"], m["zone_uuid"], m["zone_name"], m["gateway"],
        m["netmask"], m["start_ip"], m["end_ip"], m["allocation_state"],
    )


def _pods_query() -> Select[Any]:
    return (
        select(t.pods, t.zones.c.uuid.label("zone_uuid"), t.zones.c.name.label("zone_name"))
        .select_from(t.pods.join(t.zones, t.zones.c.id == t.pods.c.zone_id))
        .where(t.pods.c.removed.is_(None), t.zones.c.removed.is_(None))
        .order_by(t.pods.c.id)
    )


# -- hosts -----------------------------------------------------------------------------


def _host(m: Any) -> Host:
    return Host(
        m["id"], m["uuid"], m["name"], m["zone_id"], m["zone_uuid"], m["zone_name"], m["pod_id"],
        m["pod_uuid"], m["pod_name"], Hypervisor(m["hypervisor"]), m["ip_address"], m["state"],
        m["resource_state"], m["created"],
    )


def _hosts_query() -> Select[Any]:
    return (
        select(
            t.hosts, t.zones.c.uuid.label("zone_uuid"), t.zones.c.name.label("zone_name"),
            t.pods.c.uuid.label("pod_uuid"), t.pods.c.name.label("pod_name"),
        )
        .select_from(
            t.hosts.join(t.zones, t.zones.c.id == t.hosts.c.zone_id).join(t.pods, t.pods.c.id == t.hosts.c.pod_id)
        )
        .where(t.hosts.c.removed.is_(None))
        .order_by(t.hosts.c.id)
    )


# -- network offerings -----------------------------------------------------------------


def _network_offering(m: Any) -> NetworkOffering:
    services = tuple(s for s in m["services"].split(",") if s)
    return NetworkOffering(
        m["id"], m["uuid"], m["name"], m["display_text"], GuestType(m["guest_type"]), services,
        bool(m["specify_vlan"]), bool(m["specify_ip_ranges"]), bool(m["for_vpc"]), bool(m["is_default"]),
        m["state"], m["created"], bool(m["egress_default_allow"]),
    )


def _offerings_query() -> Select[Any]:
    return select(t.network_offerings).order_by(t.network_offerings.c.id)


# -- service offerings and templates: plain row dicts (column names as keys) ------------


class InfraRepository:
    """Zones, pods, hosts and the offerings and templates VMs and networks are made from."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _insert(self, table: Table, values: dict[str, Any]) -> int:
        key = self.conn.execute(table.insert().values(**values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def zone_by(self, **where: Any) -> Zone | None:
        row = self.conn.execute(_where(_zones_query(), t.zones, where)).first()
        return _zone(row._mapping) if row else None

    def zones(self, **where: Any) -> list[Zone]:
        return [_zone(r._mapping) for r in self.conn.execute(_where(_zones_query(), t.zones, where, skip_none=True))]

    def create_zone(self, **values: Any) -> int:
        return self._insert(t.zones, {"uuid": new_uuid(), "created": now(), **values})

    def pod_by(self, **where: Any) -> Pod | None:
        row = self.conn.execute(_where(_pods_query(), t.pods, where)).first()
        return _pod(row._mapping) if row else None

    def pods(self, **where: Any) -> list[Pod]:
        return [_pod(r._mapping) for r in self.conn.execute(_where(_pods_query(), t.pods, where, skip_none=True))]

    def create_pod(self, **values: Any) -> int:
        return self._insert(t.pods, {"uuid": new_uuid(), "created": now(), **values})

    def host_by(self, **where: Any) -> Host | None:
        row = self.conn.execute(_where(_hosts_query(), t.hosts, where)).first()
        return _host(row._mapping) if row else None

    def hosts(self, **where: Any) -> list[Host]:
        return [_host(r._mapping) for r in self.conn.execute(_where(_hosts_query(), t.hosts, where, skip_none=True))]

    def hosts_in_zone(self, zone_id: int, hypervisor: Hypervisor | None = None) -> list[Host]:
        return self.hosts(zone_id=zone_id, hypervisor=str(hypervisor) if hypervisor else None)

    def create_host(self, **values: Any) -> int:
        return self._insert(t.hosts, {"uuid": new_uuid(), "created": now(), **values})

    def network_offering_by(self, **where: Any) -> NetworkOffering | None:
        row = self.conn.execute(_where(_offerings_query(), t.network_offerings, where)).first()
        return _network_offering(row._mapping) if row else None

    def network_offerings(self, **where: Any) -> list[NetworkOffering]:
        query = _where(_offerings_query(), t.network_offerings, where, skip_none=True)
        return [_network_offering(r._mapping) for r in self.conn.execute(query)]

    def create_network_offering(self, *, services: tuple[str, ...], **values: Any) -> int:
        row = {"uuid": new_uuid(), "created": now(), "services": ",".join(services), **values}
        return self._insert(t.network_offerings, row)

    def service_offering_by(self, **where: Any) -> dict[str, Any] | None:
        row = self.conn.execute(_where(select(t.service_offerings), t.service_offerings, where)).first()
        return dict(row._mapping) if row else None

    def service_offerings(self, **where: Any) -> list[dict[str, Any]]:
        query = select(t.service_offerings).order_by(t.service_offerings.c.id)
        query = _where(query, t.service_offerings, where, skip_none=True)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def create_service_offering(self, **values: Any) -> int:
        return self._insert(t.service_offerings, {"uuid": new_uuid(), "created": now(), **values})

    def template_by(self, **where: Any) -> dict[str, Any] | None:
        row = self.conn.execute(_where(select(t.templates), t.templates, where)).first()
        return dict(row._mapping) if row else None

    def templates(self, **where: Any) -> list[dict[str, Any]]:
        query = _where(select(t.templates).order_by(t.templates.c.id), t.templates, where, skip_none=True)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def create_template(self, **values: Any) -> int:
        return self._insert(t.templates, {"uuid": new_uuid(), "created": now(), **values})
