"""Guest IP ranges (vlan_ip_ranges with forvirtualnetwork=false) and the allocations inside them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, func, select

from nicstack.db import tables as t
from nicstack.db.rows import new_uuid, now
from nicstack.domain.ip_ranges import GuestRange
from nicstack.ipam.addresses import int_to_key

r = t.vlan_ip_ranges


def _query() -> Select[Any]:
    return (
        select(
            r, t.zones.c.uuid.label("zone_uuid"), t.zones.c.name.label("zone_name"),
            t.networks.c.uuid.label("network_uuid"), t.networks.c.name.label("network_name"),
            t.pods.c.uuid.label("pod_uuid"), t.pods.c.name.label("pod_name"),
            t.domains.c.uuid.label("domain_uuid"), t.domains.c.name.label("domain_name"),
        )
        .select_from(
            r.join(t.zones, t.zones.c.id == r.c.zone_id)
            .outerjoin(t.networks, t.networks.c.id == r.c.network_id)
            .outerjoin(t.pods, t.pods.c.id == r.c.pod_id)
            .outerjoin(t.domains, t.domains.c.id == r.c.domain_id)
        )
        .where(r.c.for_virtual_network.is_(False))
        .order_by(r.c.id)
    )


def _range(m: Any) -> GuestRange:
    return GuestRange(
        m["id"], m["uuid"], m["zone_id"], m["zone_uuid"], m["zone_name"], m["network_id"], m["network_uuid"],
        m["network_name"], m["pod_id"], m["pod_uuid"], m["pod_name"], m["vlan"], m["gateway"], m["netmask"],
        m["start_ip"], m["end_ip"], m["ip6_gateway"], m["ip6_cidr"], m["start_ipv6"], m["end_ipv6"],
        m["domain_uuid"], m["domain_name"], m["created"],
    )


class GuestRangeRepository:
    """Guest IP ranges (vlan_ip_ranges with forvirtualnetwork=false) and the allocations inside them."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def ranges(self, *where: Any) -> list[GuestRange]:
        return [_range(row._mapping) for row in self.conn.execute(_query().where(*where))]

    def of_network(self, network_id: int) -> list[GuestRange]:
        return self.ranges(r.c.network_id == network_id)

    def by_uuid(self, uuid: str) -> GuestRange | None:
        found = self.ranges(r.c.uuid == uuid)
        return found[0] if found else None

    def insert(self, **values: Any) -> int:
        key = self.conn.execute(
            r.insert().values(uuid=new_uuid(), created=now(), for_virtual_network=False, **values)
        ).inserted_primary_key
        assert key is not None
        return int(key[0])

    def delete(self, range_id: int) -> None:
        self.conn.execute(r.delete().where(r.c.id == range_id))

    def pod_of_nic(self, nic_id: int) -> int | None:
        """The pod of the VM a NIC belongs to (Basic zones draw its addresses from that pod's ranges)."""
        query = select(t.vms.c.pod_id).select_from(t.nics.join(t.vms, t.vms.c.id == t.nics.c.vm_id))
        pod: int | None = self.conn.execute(query.where(t.nics.c.id == nic_id)).scalar()
        return pod

    def used_between(self, network_id: int, family: int, low: int, high: int) -> int:
        """How many addresses of the network are held in [low, high] (one COUNT on the unique index)."""
        a = t.ip_allocations
        query = select(func.count()).select_from(a).where(
            a.c.network_id == network_id, a.c.family == family, a.c.addr >= int_to_key(low),
            a.c.addr <= int_to_key(high),
        )
        return int(self.conn.execute(query).scalar_one())

    def held(self, network_id: int, family: int, values: list[int]) -> set[int]:
        """Which of `values` are held in the network."""
        if not values:
            return set()
        a = t.ip_allocations
        keys = [int_to_key(v) for v in values]
        query = select(a.c.addr).where(a.c.network_id == network_id, a.c.family == family, a.c.addr.in_(keys))
        return {int.from_bytes(row[0], "big") for row in self.conn.execute(query)}
