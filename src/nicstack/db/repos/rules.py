"""Port forwarding and firewall rules on public IPs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, Table, func, select

from nicstack.db import tables as t
from nicstack.db.repos.public_ips import owner_of
from nicstack.db.rows import new_uuid, now
from nicstack.domain.rules import FirewallRule, PortForwardingRule, RuleBase, split_cidrs
from nicstack.domain.vocabulary import Protocol

pf = t.port_forwarding_rules
fw = t.firewall_rules


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


def page_query(conn: Connection, query: Select[Any], order: Any, page: tuple[int, int] | None) -> tuple[list[Any], int]:
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    query = query.order_by(order)
    if page:
        query = query.limit(page[1]).offset(page[0])
    return [row._mapping for row in conn.execute(query)], total


def insert(conn: Connection, table: Table, **values: Any) -> int:
    key = conn.execute(
        table.insert().values(uuid=new_uuid(), created=now(), state="Active", **values)
    ).inserted_primary_key
    assert key is not None
    return int(key[0])


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


def port_forwards(conn: Connection, *where: Any) -> list[PortForwardingRule]:
    return [_pf(row._mapping) for row in conn.execute(_pf_query().where(*where).order_by(pf.c.id))]


def port_forward_by(conn: Connection, **where: Any) -> PortForwardingRule | None:
    found = port_forwards(conn, *(pf.c[key] == value for key, value in where.items()))
    return found[0] if found else None


def port_forward_listing(
    conn: Connection, where: list[Any], page: tuple[int, int] | None
) -> tuple[list[PortForwardingRule], int]:
    rows, total = page_query(conn, _pf_query().where(*where), pf.c.id, page)
    return [_pf(m) for m in rows], total


def update_port_forward(conn: Connection, rule_id: int, **values: Any) -> None:
    conn.execute(pf.update().where(pf.c.id == rule_id).values(**values))


def delete_port_forwards(conn: Connection, *where: Any) -> None:
    """Delete matching PF rules and the firewall rules opened with them (their foreign key needs it first)."""
    ids = select(pf.c.id).where(*where)
    conn.execute(fw.delete().where(fw.c.related_pf_id.in_(ids)))
    conn.execute(pf.delete().where(*where))


# -- firewall --------------------------------------------------------------------------


def _fw_query() -> Select[Any]:
    return select(*fw.c, *base_columns(fw)).select_from(base_join(fw))


def _fw(m: Any) -> FirewallRule:
    return FirewallRule(
        base_of(m), Protocol(m["protocol"]), m["start_port"], m["end_port"], m["icmp_type"], m["icmp_code"],
        split_cidrs(m["cidr_list"]), m["related_pf_id"],
    )


def firewall_rules(conn: Connection, *where: Any) -> list[FirewallRule]:
    return [_fw(row._mapping) for row in conn.execute(_fw_query().where(*where).order_by(fw.c.id))]


def firewall_rule_by(conn: Connection, **where: Any) -> FirewallRule | None:
    found = firewall_rules(conn, *(fw.c[key] == value for key, value in where.items()))
    return found[0] if found else None


def firewall_listing(
    conn: Connection, where: list[Any], page: tuple[int, int] | None
) -> tuple[list[FirewallRule], int]:
    rows, total = page_query(conn, _fw_query().where(*where), fw.c.id, page)
    return [_fw(m) for m in rows], total


def delete_firewall_rules(conn: Connection, *where: Any) -> None:
    conn.execute(fw.delete().where(*where))
