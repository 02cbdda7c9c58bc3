"""Port forwarding and firewall rules on public IPs."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import ip_address
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, exists, func, literal, select, union_all

from nicstack.db import prepared
from nicstack.db import tables as t
from nicstack.db.repos.public_ips import owner_of
from nicstack.db.rows import new_uuid, now
from nicstack.domain.rules import (
    EgressRule,
    FirewallRule,
    IpForwardingRule,
    PortForwardingRule,
    RuleBase,
    split_cidrs,
)
from nicstack.domain.vocabulary import Protocol
from nicstack.ipam.addresses import int_to_key

pf = t.port_forwarding_rules
fw = t.firewall_rules
ipf = t.ip_forwarding_rules
eg = t.egress_firewall_rules


def base_columns(table: Table) -> list[Any]:
    """The public IP, network and owner columns every rule listing joins in."""
    return [
        t.public_ips.c.uuid.label("ip_uuid"), t.public_ips.c.public_ip_address.label("ip_address"),
        t.networks.c.uuid.label("network_uuid"), t.accounts.c.name.label("account_name"),
        t.domains.c.uuid.label("domain_uuid"), t.domains.c.name.label("domain_name"),
        t.domains.c.path.label("domain_path"),
    ]


def base_join(table: Table) -> Any:
    return (
        table.join(t.public_ips, t.public_ips.c.id == table.c.ip_address_id)
        .join(t.networks, t.networks.c.id == table.c.network_id)
        .join(t.accounts, t.accounts.c.id == table.c.account_id)
        .join(t.domains, t.domains.c.id == table.c.domain_id)
    )


def base_of(m: Any) -> RuleBase:
    owner = owner_of(m)
    assert owner is not None
    return RuleBase(
        m["id"], m["uuid"], m["ip_address_id"], m["ip_uuid"], m["ip_address"], m["network_id"], m["network_uuid"],
        m["state"], owner, m["created"],
    )


# -- port forwarding -------------------------------------------------------------------


def _pf_query() -> Select[Any]:
    vm = t.vms
    return select(
        *pf.c, *base_columns(pf), vm.c.uuid.label("vm_uuid"), vm.c.name.label("vm_name"),
        vm.c.display_name.label("vm_display_name"),
    ).select_from(base_join(pf).join(vm, vm.c.id == pf.c.instance_id))


def _pf(m: Any) -> PortForwardingRule:
    return PortForwardingRule(
        base_of(m), Protocol(m["protocol"]), m["public_port_start"], m["public_port_end"], m["private_port_start"],
        m["private_port_end"], m["instance_id"], m["vm_uuid"], m["vm_name"], m["vm_display_name"],
        m["dest_ip_address"], split_cidrs(m["cidr_list"]),
    )


# -- firewall --------------------------------------------------------------------------


def _fw_query() -> Select[Any]:
    return select(*fw.c, *base_columns(fw)).select_from(base_join(fw))


def _fw(m: Any) -> FirewallRule:
    return FirewallRule(
        base_of(m), Protocol(m["protocol"]), m["start_port"], m["end_port"], m["icmp_type"], m["icmp_code"],
        split_cidrs(m["cidr_list"]), m["related_pf_id"], m["related_ipf_id"],
    )


# -- egress ----------------------------------------------------------------------------


def _eg_query() -> Select[Any]:
    return select(
        *eg.c, t.networks.c.uuid.label("network_uuid"), t.accounts.c.name.label("account_name"),
        t.domains.c.uuid.label("domain_uuid"), t.domains.c.name.label("domain_name"),
        t.domains.c.path.label("domain_path"),
    ).select_from(
        eg.join(t.networks, t.networks.c.id == eg.c.network_id)
        .join(t.accounts, t.accounts.c.id == eg.c.account_id)
        .join(t.domains, t.domains.c.id == eg.c.domain_id)
    )


def _eg(m: Any) -> EgressRule:
    owner = owner_of(m)
    assert owner is not None
    return EgressRule(
        m["id"], m["uuid"], m["network_id"], m["network_uuid"], Protocol(m["protocol"]), m["start_port"],
        m["end_port"], m["icmp_type"], m["icmp_code"], split_cidrs(m["cidr_list"]), split_cidrs(m["dest_cidr_list"]),
        m["state"], owner, m["created"],
    )


# -- IP forwarding ---------------------------------------------------------------------


def _ipf_query() -> Select[Any]:
    vm, pub = t.vms, t.public_ips
    # The target is the public IP's static NAT, joined by its VM (outer: an IP loses it with its rules).
    return select(
        *ipf.c, *base_columns(ipf), vm.c.uuid.label("vm_uuid"), vm.c.name.label("vm_name"),
        vm.c.display_name.label("vm_display_name"), pub.c.vm_ip_address.label("dest_ip"),
    ).select_from(base_join(ipf).outerjoin(vm, vm.c.id == pub.c.vm_id))


def _ipf(m: Any) -> IpForwardingRule:
    return IpForwardingRule(
        base_of(m), Protocol(m["protocol"]), m["start_port"], m["end_port"], m["vm_uuid"], m["vm_name"],
        m["vm_display_name"], m["dest_ip"],
    )


def page_query(conn: Connection, query: Select[Any], order: Any, page: tuple[int, int] | None) -> tuple[list[Any], int]:
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    query = query.order_by(order)
    if page:
        query = query.limit(page[1]).offset(page[0])
    return [row._mapping for row in conn.execute(query)], total


_lb_members = t.load_balancer_vm_map
# The rules on a moved address: port forwarding, load-balancer memberships and static NAT follow it.
_RETARGET = (
    pf.update().where(pf.c.allocation_id == bindparam("allocation_id")).values(instance_id=bindparam("vm_id")),
    _lb_members.update().where(_lb_members.c.allocation_id == bindparam("allocation_id"))
    .values(instance_id=bindparam("vm_id")),
    t.public_ips.update().where(t.public_ips.c.allocation_id == bindparam("allocation_id"),
                                t.public_ips.c.is_static_nat.is_(True)).values(vm_id=bindparam("vm_id")),
)


def _targeted() -> Select[Any]:
    # One family per statement: the unique key (network, family, address) then finds each address.
    a, pub, m = t.ip_allocations, t.public_ips, t.load_balancer_vm_map
    return select(a.c.addr).where(
        a.c.network_id == bindparam("network_id"), a.c.family == bindparam("family"),
        a.c.addr.in_(bindparam("keys", expanding=True)),
        exists().where(pf.c.allocation_id == a.c.id)
        | exists().where(pub.c.allocation_id == a.c.id, pub.c.is_static_nat.is_(True))
        | exists().where(m.c.allocation_id == a.c.id))


_TARGETED = _targeted()


class RuleRepository:
    """Port forwarding and firewall rules on public IPs."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert(self, table: Table, **values: Any) -> int:
        key = self.conn.execute(
            table.insert().values(uuid=new_uuid(), created=now(), state="Active", **values)
        ).inserted_primary_key
        assert key is not None
        return int(key[0])

    def port_forwards(self, *where: Any) -> list[PortForwardingRule]:
        return [_pf(row._mapping) for row in self.conn.execute(_pf_query().where(*where).order_by(pf.c.id))]

    def port_forward_by(self, **where: Any) -> PortForwardingRule | None:
        found = self.port_forwards(*(pf.c[key] == value for key, value in where.items()))
        return found[0] if found else None

    def port_forward_listing(self, where: list[Any], page: tuple[int, int] | None
    ) -> tuple[list[PortForwardingRule], int]:
        rows, total = page_query(self.conn, _pf_query().where(*where), pf.c.id, page)
        return [_pf(m) for m in rows], total

    def update_port_forward(self, rule_id: int, **values: Any) -> None:
        self.conn.execute(pf.update().where(pf.c.id == rule_id).values(**values))

    def delete_port_forwards(self, *where: Any) -> None:
        """Delete matching PF rules and the firewall rules opened with them (their foreign key needs it first)."""
        ids = select(pf.c.id).where(*where)
        self.conn.execute(fw.delete().where(fw.c.related_pf_id.in_(ids)))
        self.conn.execute(pf.delete().where(*where))

    def ip_forwards(self, *where: Any) -> list[IpForwardingRule]:
        return [_ipf(row._mapping) for row in self.conn.execute(_ipf_query().where(*where).order_by(ipf.c.id))]

    def ip_forward_by(self, **where: Any) -> IpForwardingRule | None:
        found = self.ip_forwards(*(ipf.c[key] == value for key, value in where.items()))
        return found[0] if found else None

    def ip_forward_listing(self, where: list[Any], page: tuple[int, int] | None
    ) -> tuple[list[IpForwardingRule], int]:
        rows, total = page_query(self.conn, _ipf_query().where(*where), ipf.c.id, page)
        return [_ipf(m) for m in rows], total

    def delete_ip_forwards(self, *where: Any) -> None:
        """Delete matching IP forwarding rules and the firewall rules opened with them."""
        ids = select(ipf.c.id).where(*where)
        self.conn.execute(fw.delete().where(fw.c.related_ipf_id.in_(ids)))
        self.conn.execute(ipf.delete().where(*where))

    def egress_rules(self, *where: Any) -> list[EgressRule]:
        return [_eg(row._mapping) for row in self.conn.execute(_eg_query().where(*where).order_by(eg.c.id))]

    def egress_rule_by(self, **where: Any) -> EgressRule | None:
        found = self.egress_rules(*(eg.c[key] == value for key, value in where.items()))
        return found[0] if found else None

    def egress_listing(self, where: list[Any], page: tuple[int, int] | None) -> tuple[list[EgressRule], int]:
        rows, total = page_query(self.conn, _eg_query().where(*where), eg.c.id, page)
        return [_eg(m) for m in rows], total

    def delete_egress_rules(self, *where: Any) -> None:
        self.conn.execute(eg.delete().where(*where))

    def firewall_rules(self, *where: Any) -> list[FirewallRule]:
        return [_fw(row._mapping) for row in self.conn.execute(_fw_query().where(*where).order_by(fw.c.id))]

    def firewall_rule_by(self, **where: Any) -> FirewallRule | None:
        found = self.firewall_rules(*(fw.c[key] == value for key, value in where.items()))
        return found[0] if found else None

    def firewall_listing(self, where: list[Any], page: tuple[int, int] | None
    ) -> tuple[list[FirewallRule], int]:
        rows, total = page_query(self.conn, _fw_query().where(*where), fw.c.id, page)
        return [_fw(m) for m in rows], total

    def delete_firewall_rules(self, *where: Any) -> None:
        self.conn.execute(fw.delete().where(*where))

    def targeting(self, network_id: int, address: str) -> list[tuple[str, str]]:
        """Every rule whose guest address is `address` in the network: (what, which), in a stable order.

        One join on the address's allocation, which port forwarding rules, static NATs and load
        balancer members all point at.
        """
        parsed = ip_address(address)
        a, pub, lb, m = t.ip_allocations, t.public_ips, t.load_balancing_rules, t.load_balancer_vm_map
        held = (a.c.network_id == network_id) & (a.c.family == parsed.version) & (a.c.addr == int_to_key(int(parsed)))
        rules = union_all(
            select(literal("port forwarding rule").label("what"), pf.c.uuid.label("which"), pf.c.id.label("n"))
            .select_from(a.join(pf, pf.c.allocation_id == a.c.id)).where(held),
            select(literal("static NAT from public IP"), pub.c.public_ip_address, pub.c.id)
            .select_from(a.join(pub, pub.c.allocation_id == a.c.id)).where(held, pub.c.is_static_nat.is_(True)),
            select(literal("load balancer rule"), lb.c.uuid, lb.c.id)
            .select_from(a.join(m, m.c.allocation_id == a.c.id).join(lb, lb.c.id == m.c.load_balancer_id))
            .where(held),
        )
        kinds = ("port forwarding rule", "static NAT from public IP", "load balancer rule")
        rows = sorted(self.conn.execute(rules).tuples(), key=lambda r: (kinds.index(r[0]), r[2]))
        return [(str(what), str(which)) for what, which, _ in rows]

    def targeted(self, network_id: int, addresses: Iterable[str]) -> set[str]:
        """Which of `addresses` (texts, in the network) some rule targets: `targeting`'s question for many
        addresses in one query (listNics asks it for every secondary IP of a VM, which may hold hundreds)."""
        keys: dict[tuple[int, bytes], str] = {}
        for text in addresses:
            parsed = ip_address(text)
            keys[(parsed.version, int_to_key(int(parsed)))] = text
        if not keys:
            return set()
        found: set[str] = set()
        for family in sorted({f for f, _ in keys}):
            params = {"network_id": network_id, "family": family, "keys": [k for f, k in keys if f == family]}
            found |= {keys[(family, bytes(addr))] for (addr,) in prepared.tuples(self.conn, _TARGETED, params)}
        return found

    def retarget(self, allocation_id: int, vm_id: int) -> int:
        """Every rule on the allocation's address now points at `vm_id` (the address moved); how many."""
        params = {"allocation_id": allocation_id, "vm_id": vm_id}
        return sum(prepared.execute(self.conn, stmt, params) for stmt in _RETARGET)
