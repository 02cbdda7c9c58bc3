"""The guest address allocations of a network with the kind of each, for the address-usage view."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select

from nicstack.db import tables as t
from nicstack.ipam.addresses import int_to_key, key_to_int

_a = t.ip_allocations
_KINDS_BETWEEN = (
    select(_a.c.addr, _a.c.kind)
    .where(_a.c.network_id == bindparam("net"), _a.c.family == bindparam("family"),
           _a.c.addr >= bindparam("low"), _a.c.addr <= bindparam("high"))
    .order_by(_a.c.addr)
    .limit(bindparam("limit"))
)


@dataclass
class KindsInNetwork:
    """ipam.usage.UsedKinds over one network and family; `names` maps stored kinds to shown ones
    (a kind missing from it is shown as `other`)."""

    conn: Connection
    network_id: int
    family: int
    names: Mapping[str, str]
    other: str

    def used_between(self, low: int, high: int, limit: int) -> Sequence[tuple[int, str]]:
        rows = self.conn.execute(_KINDS_BETWEEN, {"net": self.network_id, "family": self.family,
                                                  "low": int_to_key(low), "high": int_to_key(high), "limit": limit})
        return [(key_to_int(addr), self.names.get(kind, self.other)) for addr, kind in rows]
