"""Resource tags, and the owners of the resources they may be put on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, and_, or_, select

from nicstack.db import tables as t
from nicstack.db.repos.rules import page_query
from nicstack.db.repos.tag_match import tagged
from nicstack.db.rows import new_uuid, now
from nicstack.domain.tags import ResourceTag

rt = t.resource_tags


def _resources() -> dict[str, list[tuple[Table, Any]]]:
    """Each taggable type's tables and the condition for one of its rows to exist still (CloudStack's
    FirewallRule covers ingress and egress rules)."""
    return {
        "UserVm": [(t.vms, t.vms.c.removed.is_(None))],
        "Network": [(t.networks, t.networks.c.removed.is_(None))],
        "Vpc": [(t.vpcs, t.vpcs.c.removed.is_(None))],
        "PublicIpAddress": [(t.public_ips, t.public_ips.c.state == "Allocated")],
        "PortForwardingRule": [(t.port_forwarding_rules, None)],
        "LoadBalancer": [(t.load_balancing_rules, None)],
        "FirewallRule": [(t.firewall_rules, None), (t.egress_firewall_rules, None)],
        "SecurityGroup": [(t.security_groups, None)],
    }


def _tag(m: Any) -> ResourceTag:
    return ResourceTag(m["key"], m["value"], m["resource_type"], m["resource_uuid"], m["customer"],
                       m["account_name"], m["domain_uuid"], m["domain_name"])


def _query() -> Any:
    return select(*rt.c, t.accounts.c.name.label("account_name"), t.domains.c.uuid.label("domain_uuid"),
                  t.domains.c.name.label("domain_name")).select_from(
        rt.join(t.accounts, t.accounts.c.id == rt.c.account_id).join(t.domains, t.domains.c.id == rt.c.domain_id))


class TagRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def owners(self, resource_type: str, uuids: list[str]) -> dict[str, tuple[int | None, int, str]]:
        """uuid -> (account id, domain id, domain path) of each existing resource of the type."""
        found: dict[str, tuple[int | None, int, str]] = {}
        if resource_type == "Nic":  # a NIC is its VM's
            n, v = t.nics, t.vms
            query = (select(n.c.uuid, v.c.account_id, v.c.domain_id, t.domains.c.path)
                     .select_from(n.join(v, v.c.id == n.c.vm_id).join(t.domains, t.domains.c.id == v.c.domain_id))
                     .where(n.c.uuid.in_(uuids), n.c.removed.is_(None), v.c.removed.is_(None)))
            return {r.uuid: (r.account_id, r.domain_id, r.path) for r in self.conn.execute(query)}
        for table, alive in _resources()[resource_type]:
            query = (select(table.c.uuid, table.c.account_id, table.c.domain_id, t.domains.c.path)
                     .select_from(table.join(t.domains, t.domains.c.id == table.c.domain_id))
                     .where(table.c.uuid.in_(uuids)))
            if alive is not None:
                query = query.where(alive)
            found |= {r.uuid: (r.account_id, r.domain_id, r.path) for r in self.conn.execute(query)}
        return found

    def insert(self, resource_type: str, resource_uuid: str, key: str, value: str, customer: str | None,
               account_id: int, domain_id: int) -> None:
        self.conn.execute(rt.insert().values(
            uuid=new_uuid(), created=now(), key=key, value=value, resource_type=resource_type,
            resource_uuid=resource_uuid, customer=customer, account_id=account_id, domain_id=domain_id))

    def keys_of(self, resource_type: str, uuids: list[str]) -> set[tuple[str, str]]:
        rows = self.conn.execute(select(rt.c.resource_uuid, rt.c.key).where(
            rt.c.resource_type == resource_type, rt.c.resource_uuid.in_(uuids)))
        return {(r.resource_uuid, r.key) for r in rows}

    def delete(self, resource_type: str, uuids: list[str], pairs: list[tuple[str, str | None]]) -> int:
        """Delete the resources' tags with these keys (and values, where given), or all of them without pairs."""
        where = [rt.c.resource_type == resource_type, rt.c.resource_uuid.in_(uuids)]
        if pairs:
            where.append(or_(*(and_(rt.c.key == k, *([rt.c.value == v] if v is not None else [])) for k, v in pairs)))
        return int(self.conn.execute(rt.delete().where(*where)).rowcount)

    def of(self, resource_type: str, uuids: list[str]) -> dict[str, list[ResourceTag]]:
        """The tags of each resource, by uuid, in key order."""
        found: dict[str, list[ResourceTag]] = {}
        if not uuids:
            return found
        query = _query().where(rt.c.resource_type == resource_type, rt.c.resource_uuid.in_(uuids)).order_by(rt.c.key)
        for row in self.conn.execute(query):
            found.setdefault(row.resource_uuid, []).append(_tag(row._mapping))
        return found

    def listing(self, where: list[Any], page: tuple[int, int] | None) -> tuple[list[ResourceTag], int]:
        rows, total = page_query(self.conn, _query().where(*where), rt.c.id, page)
        return [_tag(m) for m in rows], total

    @staticmethod
    def matching(resource_type: str, uuid_column: Any, pairs: list[tuple[str, str | None]]) -> list[Any]:
        return tagged(resource_type, uuid_column, pairs)

    @staticmethod
    def columns() -> Any:
        return rt.c

    @staticmethod
    def table() -> Table:
        return rt
