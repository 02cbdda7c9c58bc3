"""Load balancer rules and their members (VM + guest address)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, Select, select

from nicstack.db import tables as t
from nicstack.db.repos.rules import base_columns, base_join, base_of, page_query
from nicstack.domain.rules import LbMember, LoadBalancerRule, split_cidrs
from nicstack.domain.vocabulary import Algorithm, Protocol

lb = t.load_balancing_rules
m_ = t.load_balancer_vm_map


def _query() -> Select[Any]:
    return select(
        *lb.c, *base_columns(lb), t.zones.c.uuid.label("zone_uuid"), t.zones.c.name.label("zone_name"),
    ).select_from(base_join(lb).join(t.zones, t.zones.c.id == t.networks.c.zone_id))


def _rule(m: Any) -> LoadBalancerRule:
    return LoadBalancerRule(
        base_of(m), m["name"], Algorithm(m["algorithm"]), Protocol(m["protocol"]), m["public_port"],
        m["private_port"], m["zone_uuid"], m["zone_name"], m["description"], split_cidrs(m["cidr_list"]),
    )


def rules_with_member(vm_id: int) -> Any:
    """A subquery of the ids of rules that map the VM (listLoadBalancerRules virtualmachineid)."""
    return select(m_.c.load_balancer_id).where(m_.c.instance_id == vm_id)


class LoadBalancerRepository:
    """Load balancer rules and their members (VM + guest address)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def rules(self, *where: Any) -> list[LoadBalancerRule]:
        return [_rule(row._mapping) for row in self.conn.execute(_query().where(*where).order_by(lb.c.id))]

    def rule_by(self, **where: Any) -> LoadBalancerRule | None:
        found = self.rules(*(lb.c[key] == value for key, value in where.items()))
        return found[0] if found else None

    def listing(self, where: list[Any], page: tuple[int, int] | None) -> tuple[list[LoadBalancerRule], int]:
        rows, total = page_query(self.conn, _query().where(*where), lb.c.id, page)
        return [_rule(m) for m in rows], total

    def update(self, rule_id: int, **values: Any) -> None:
        self.conn.execute(lb.update().where(lb.c.id == rule_id).values(**values))

    def delete(self, *where: Any) -> None:
        """Delete matching rules with their member rows and the firewall rules opened with them."""
        ids = select(lb.c.id).where(*where)
        self.conn.execute(t.firewall_rules.delete().where(t.firewall_rules.c.related_lb_id.in_(ids)))
        self.conn.execute(m_.delete().where(m_.c.load_balancer_id.in_(ids)))
        self.conn.execute(lb.delete().where(*where))

    def members(self, rule_ids: list[int]) -> dict[int, list[LbMember]]:
        """Members per rule, in mapping order."""
        if not rule_ids:
            return {}
        rows = self.conn.execute(
            select(m_.c.load_balancer_id, m_.c.instance_id, m_.c.instance_ip, t.vms.c.uuid)
            .select_from(m_.join(t.vms, t.vms.c.id == m_.c.instance_id))
            .where(m_.c.load_balancer_id.in_(rule_ids))
            .order_by(m_.c.id)
        )
        found: dict[int, list[LbMember]] = defaultdict(list)
        for row in rows:
            member = LbMember(row.load_balancer_id, row.instance_id, row.uuid, row.instance_ip)
            found[row.load_balancer_id].append(member)
        return found

    def add_member(self, rule_id: int, vm_id: int, address: str, allocation_id: int) -> None:
        self.conn.execute(m_.insert().values(load_balancer_id=rule_id, instance_id=vm_id, instance_ip=address,
                                             allocation_id=allocation_id))

    def remove_member(self, rule_id: int, vm_id: int, address: str | None = None) -> int:
        """Remove one VM's mapping (one address, or all of them); returns how many rows went."""
        where = [m_.c.load_balancer_id == rule_id, m_.c.instance_id == vm_id]
        if address is not None:
            where.append(m_.c.instance_ip == address)
        return int(self.conn.execute(m_.delete().where(*where)).rowcount)
