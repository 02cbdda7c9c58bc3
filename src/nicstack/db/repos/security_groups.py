"""Security groups, their rules, and which VMs are in them."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, Select, select
from sqlalchemy.orm import aliased

from nicstack.db import tables as t
from nicstack.db.repos.public_ips import owner_of
from nicstack.db.rows import new_uuid, now
from nicstack.domain.security_groups import RuleShape, SecurityGroup, SgRule
from nicstack.domain.vocabulary import Direction, Protocol

g = t.security_groups
rule_t = t.security_group_rules
vm_map = t.security_group_vm_map
_peer = aliased(t.security_groups)
_peer_account = aliased(t.accounts)


def _groups_query() -> Select[Any]:
    return (
        select(
            g, t.accounts.c.name.label("account_name"), t.domains.c.uuid.label("domain_uuid"),
            t.domains.c.name.label("domain_name"), t.domains.c.path.label("domain_path"),
        )
        .select_from(g.join(t.accounts, t.accounts.c.id == g.c.account_id).join(t.domains,
                                                                                  t.domains.c.id == g.c.domain_id))
        .order_by(g.c.id)
    )


class SecurityGroupRepository:
    """Security groups, their rules, and which VMs are in them."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _rules_of(self, group_ids: list[int]) -> dict[int, list[SgRule]]:
        query = (
            select(rule_t, _peer.c.uuid.label("peer_uuid"), _peer.c.name.label("peer_name"),
                   _peer_account.c.name.label("peer_account"))
            .select_from(rule_t.outerjoin(_peer, _peer.c.id == rule_t.c.allowed_group_id)
                         .outerjoin(_peer_account, _peer_account.c.id == _peer.c.account_id))
            .where(rule_t.c.security_group_id.in_(group_ids))
            .order_by(rule_t.c.id)
        )
        found: dict[int, list[SgRule]] = defaultdict(list)
        for row in self.conn.execute(query):
            m = row._mapping
            shape = RuleShape(Protocol(m["protocol"]), m["start_port"], m["end_port"], m["icmp_type"], m["icmp_code"])
            found[m["security_group_id"]].append(SgRule(
                m["id"], m["uuid"], m["security_group_id"], Direction(m["direction"]), shape, m["cidr"],
                m["allowed_group_id"], m["peer_uuid"], m["peer_name"], m["peer_account"],
            ))
        return found

    def _vms_of(self, group_ids: list[int]) -> dict[int, list[str]]:
        query = (
            select(vm_map.c.security_group_id, t.vms.c.uuid)
            .select_from(vm_map.join(t.vms, t.vms.c.id == vm_map.c.vm_id))
            .where(vm_map.c.security_group_id.in_(group_ids), t.vms.c.removed.is_(None))
            .order_by(t.vms.c.id)
        )
        found: dict[int, list[str]] = defaultdict(list)
        for group_id, vm_uuid in self.conn.execute(query).tuples():
            found[group_id].append(vm_uuid)
        return found

    def groups(self, *where: Any) -> list[SecurityGroup]:
        rows = [r._mapping for r in self.conn.execute(_groups_query().where(*where))]
        ids = [m["id"] for m in rows]
        rules, members = self._rules_of(ids), self._vms_of(ids)
        result = []
        for m in rows:
            owner = owner_of(m)
            assert owner is not None
            result.append(SecurityGroup(m["id"], m["uuid"], m["name"], m["description"], owner, m["created"],
                                        tuple(rules.get(m["id"], ())), tuple(members.get(m["id"], ()))))
        return result

    def group_by(self, *where: Any) -> SecurityGroup | None:
        found = self.groups(*where)
        return found[0] if found else None

    def create_group(self, name: str, description: str | None, account_id: int, domain_id: int) -> int:
        key = self.conn.execute(g.insert().values(uuid=new_uuid(), name=name, description=description,
                                                  account_id=account_id, domain_id=domain_id,
                                                  created=now())).inserted_primary_key
        assert key is not None
        return int(key[0])

    def group_id_by_name(self, account_id: int, name: str) -> int | None:
        query = select(g.c.id).where(g.c.account_id == account_id, g.c.name == name)
        found: int | None = self.conn.execute(query).scalar()
        return found

    def delete_group(self, group_id: int) -> None:
        self.conn.execute(rule_t.delete().where(rule_t.c.security_group_id == group_id))
        self.conn.execute(vm_map.delete().where(vm_map.c.security_group_id == group_id))
        self.conn.execute(g.delete().where(g.c.id == group_id))

    def add_rule(self, group_id: int, direction: Direction, shape: RuleShape, cidr: str | None,
                 peer_group_id: int | None) -> int:
        key = self.conn.execute(rule_t.insert().values(
            uuid=new_uuid(), security_group_id=group_id, direction=str(direction), protocol=shape.protocol,
            start_port=shape.start_port, end_port=shape.end_port, icmp_type=shape.icmp_type, icmp_code=shape.icmp_code,
            cidr=cidr, allowed_group_id=peer_group_id, created=now(),
        )).inserted_primary_key
        assert key is not None
        return int(key[0])

    def rule_owner(self, rule_uuid: str) -> tuple[int, int, str] | None:
        """(rule id, group id, direction) of a rule."""
        row = self.conn.execute(select(rule_t.c.id, rule_t.c.security_group_id, rule_t.c.direction)
                           .where(rule_t.c.uuid == rule_uuid)).first()
        return (row[0], row[1], row[2]) if row else None

    def delete_rule(self, rule_id: int) -> None:
        self.conn.execute(rule_t.delete().where(rule_t.c.id == rule_id))

    def referencing_rule(self, group_id: int) -> str | None:
        """The uuid of another group's rule naming this group, if any."""
        found: str | None = self.conn.execute(select(rule_t.c.uuid).where(
            rule_t.c.allowed_group_id == group_id, rule_t.c.security_group_id != group_id).limit(1)).scalar()
        return found

    def set_vm_groups(self, vm_id: int, group_ids: list[int]) -> None:
        self.conn.execute(vm_map.delete().where(vm_map.c.vm_id == vm_id))
        if group_ids:
            rows = [{"security_group_id": gid, "vm_id": vm_id} for gid in sorted(set(group_ids))]
            self.conn.execute(vm_map.insert(), rows)

    def groups_of_vms(self, vm_ids: list[int]) -> dict[int, list[tuple[int, str, str]]]:
        """Per VM: (group id, uuid, name) of its groups, by name."""
        if not vm_ids:
            return {}
        query = (select(vm_map.c.vm_id, g.c.id, g.c.uuid, g.c.name)
                 .select_from(vm_map.join(g, g.c.id == vm_map.c.security_group_id))
                 .where(vm_map.c.vm_id.in_(vm_ids)).order_by(g.c.name))
        found: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        for vm_id, group_id, uuid, name in self.conn.execute(query).tuples():
            found[vm_id].append((group_id, uuid, name))
        return found
