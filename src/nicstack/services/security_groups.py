"""Use cases of security groups: create, delete, list, authorize and revoke rules, and group membership.

Security groups isolate VMs in Basic zones and in shared networks with the SecurityGroup
service. Every account has a group named `default` (created with the account, or on first
need for accounts older than this feature); a VM deployed into such a network without
groups joins it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from nicstack.db.database import Database
from nicstack.db.repos import accounts, events
from nicstack.db.repos import security_groups as repo
from nicstack.domain.access import Caller, may_access, may_use_domain
from nicstack.domain.errors import ParameterError, ResourceInUse, UnknownEntity
from nicstack.domain.model import Account, Network
from nicstack.domain.security_groups import DEFAULT_GROUP, RuleShape, SecurityGroup, cidrs_of, group_name
from nicstack.domain.vocabulary import Direction
from nicstack.services import lookup
from nicstack.services.networks import owner_account
from nicstack.services.shared_networks import uses_security_groups

g = repo.g


@dataclass(frozen=True, slots=True)
class GroupRef:
    """Which group a command means: by id, or by name within an account (the caller's by default)."""

    uuid: str | None = None
    name: str | None = None
    account: str | None = None
    domain_uuid: str | None = None


@dataclass(frozen=True, slots=True)
class NewRules:
    group: GroupRef
    direction: Direction
    shape: RuleShape
    cidrs: tuple[str, ...] = ()
    peers: tuple[tuple[str, str], ...] = ()  # (account name, group name)


def _owner(conn: Connection, caller: Caller, account: str | None, domain_uuid: str | None) -> Account:
    """The named account (admin), else the caller's; a domainid the caller may not see is unknown either way."""
    if account is None and domain_uuid is not None:
        domain = accounts.domain_by(conn, uuid=domain_uuid)
        if domain is None or not may_use_domain(caller, domain.path):
            raise UnknownEntity("domainid", domain_uuid)
    return owner_account(conn, caller, account, domain_uuid)


def ensure_default(conn: Connection, account_id: int, domain_id: int) -> int:
    """The account's `default` group, created when missing."""
    found = repo.group_id_by_name(conn, account_id, DEFAULT_GROUP)
    if found is not None:
        return found
    return repo.create_group(conn, DEFAULT_GROUP, "Default Security Group", account_id, domain_id)


def _visible(conn: Connection, caller: Caller, uuid: str, param: str) -> SecurityGroup:
    found = repo.group_by(conn, g.c.uuid == uuid)
    if found is None or not may_access(caller, found.owner.account_id, found.owner.domain_path):
        raise UnknownEntity(param, uuid)
    return found


def _resolve(conn: Connection, caller: Caller, ref: GroupRef, param: str = "securitygroupid") -> SecurityGroup:
    if ref.uuid is not None:
        if ref.name is not None:
            raise ParameterError("securitygroupid and securitygroupname are mutually exclusive")
        return _visible(conn, caller, ref.uuid, param)
    if ref.name is None:
        raise ParameterError("Give securitygroupid or securitygroupname")
    owner = _owner(conn, caller, ref.account, ref.domain_uuid)
    if ref.name == DEFAULT_GROUP:
        ensure_default(conn, owner.id, owner.domain_id)
    found = repo.group_by(conn, g.c.account_id == owner.id, g.c.name == ref.name)
    if found is None:
        raise ParameterError(f"Unable to find security group {ref.name} of account {owner.name}")
    return found


def create_security_group(db: Database, caller: Caller, name: str, description: str | None,
                          account: str | None, domain_uuid: str | None) -> SecurityGroup:
    name = group_name(name)
    with db.write() as conn:
        owner = _owner(conn, caller, account, domain_uuid)
        ensure_default(conn, owner.id, owner.domain_id)
        if repo.group_id_by_name(conn, owner.id, name) is not None:
            raise ParameterError(f"A security group named {name} already exists in account {owner.name}")
        group_id = repo.create_group(conn, name, description, owner.id, owner.domain_id)
        events.record(conn, caller, "SG.CREATE", f"Created security group {name}", account_id=owner.id,
                      domain_id=owner.domain_id)
        found = repo.group_by(conn, g.c.id == group_id)
        assert found is not None
        return found


def delete_security_group(db: Database, caller: Caller, ref: GroupRef) -> SecurityGroup:
    """Delete a group that no VM is in and no other group's rule names; `default` stays."""
    with db.write() as conn:
        found = _resolve(conn, caller, ref, "id")
        if found.name == DEFAULT_GROUP:
            raise ParameterError(f"The default security group of account {found.owner.account_name} cannot be removed")
        if found.vm_uuids:
            raise ResourceInUse(f"Security group {found.name} is in use by {len(found.vm_uuids)} VM(s), e.g. "
                                f"{found.vm_uuids[0]}: move them to other groups first")
        rule = repo.referencing_rule(conn, found.id)
        if rule is not None:
            raise ResourceInUse(f"Security group {found.name} is named by rule {rule} of another group: revoke that "
                                "rule first")
        repo.delete_group(conn, found.id)
        events.record(conn, caller, "SG.DELETE", f"Deleted security group {found.name}",
                      account_id=found.owner.account_id, domain_id=found.owner.domain_id)
        return found


def list_security_groups(db: Database, caller: Caller, args: dict[str, Any], scope_where: list[Any]) -> list[
        SecurityGroup]:
    with db.read() as conn:
        where = list(scope_where)
        if "id" in args:
            where.append(g.c.id == _visible(conn, caller, args["id"], "id").id)
        if "securitygroupname" in args:
            where.append(g.c.name == args["securitygroupname"])
        if args.get("keyword"):
            where.append(g.c.name.contains(args["keyword"], autoescape=True))
        if "virtualmachineid" in args:
            vm = lookup.vm(conn, caller, args["virtualmachineid"])
            where.append(g.c.id.in_(select(repo.vm_map.c.security_group_id).where(repo.vm_map.c.vm_id == vm.id)))
        return repo.groups(conn, *where)


def _peer_group(conn: Connection, owner_domain_id: int, account_name: str, name: str) -> int:
    account = accounts.account_by(conn, name=account_name, domain_id=owner_domain_id)
    peer = repo.group_id_by_name(conn, account.id, name) if account else None
    if account is not None and peer is None and name == DEFAULT_GROUP:
        peer = ensure_default(conn, account.id, account.domain_id)
    if peer is None:
        raise ParameterError(f"Unable to find security group {name} of account {account_name} in the group's domain")
    return peer


def authorize(db: Database, caller: Caller, new: NewRules) -> tuple[SecurityGroup, list[int]]:
    """Add one rule per CIDR and per named group; refused whole when any of them exists already."""
    if not new.cidrs and not new.peers:
        raise ParameterError("A security group rule needs cidrlist or usersecuritygrouplist")
    with db.write() as conn:
        group = _resolve(conn, caller, new.group)
        peers = [(a, n, _peer_group(conn, group.owner.domain_id, a, n)) for a, n in new.peers]
        existing = {(r.direction, r.shape, r.cidr, r.peer_group_id) for r in group.rules}
        wanted = [(c, None) for c in cidrs_of(new.cidrs)] + [(None, pid) for _, _, pid in peers]
        added = []
        for cidr, peer in wanted:
            if (new.direction, new.shape, cidr, peer) in existing:
                raise ParameterError(f"Security group {group.name} already has this {new.direction} rule "
                                     f"({new.shape.protocol} {cidr or 'from a group'})")
            added.append(repo.add_rule(conn, group.id, new.direction, new.shape, cidr, peer))
        events.record(conn, caller, f"SG.AUTH.{new.direction.upper()}",
                      f"Authorized {len(added)} {new.direction} rule(s) in security group {group.name}",
                      account_id=group.owner.account_id, domain_id=group.owner.domain_id)
        updated = repo.group_by(conn, g.c.id == group.id)
        assert updated is not None
        return updated, added


def revoke(db: Database, caller: Caller, rule_uuid: str, direction: Direction) -> SecurityGroup:
    with db.write() as conn:
        found = repo.rule_owner(conn, rule_uuid)
        group = repo.group_by(conn, g.c.id == found[1]) if found else None
        if found is None or group is None or not may_access(caller, group.owner.account_id, group.owner.domain_path):
            raise UnknownEntity("id", rule_uuid)
        if found[2] != direction:
            other = "Egress" if direction is Direction.INGRESS else "Ingress"
            raise ParameterError(f"Rule {rule_uuid} is an {found[2]} rule: use revokeSecurityGroup{other}")
        repo.delete_rule(conn, found[0])
        events.record(conn, caller, f"SG.REVOKE.{direction.upper()}",
                      f"Revoked {direction} rule {rule_uuid} of security group {group.name}",
                      account_id=group.owner.account_id, domain_id=group.owner.domain_id)
        return group


def groups_for_vm(conn: Connection, caller: Caller, owner: Account, nets: Sequence[Network],
                  ids: Sequence[str], names: Sequence[str]) -> list[int]:
    """The groups a VM joins: those named (the owner's), else `default` when it is in a security-group network."""
    if ids and names:
        raise ParameterError("securitygroupids and securitygroupnames are mutually exclusive")
    guarded = [n for n in nets if uses_security_groups(n)]
    if not guarded:
        if ids or names:
            raise ParameterError("Security groups apply to VMs in security-group networks (Basic zones and shared "
                                 f"networks with security groups); network {nets[0].name if nets else '-'} has none")
        return []
    chosen = []
    for uuid in ids:
        group = _visible(conn, caller, uuid, "securitygroupids")
        if group.owner.account_id != owner.id:
            raise UnknownEntity("securitygroupids", uuid)
        chosen.append(group.id)
    for name in names:
        found = ensure_default(conn, owner.id, owner.domain_id) if name == DEFAULT_GROUP else (
            repo.group_id_by_name(conn, owner.id, name))
        if found is None:
            raise ParameterError(f"Unable to find security group {name} of account {owner.name}")
        chosen.append(found)
    return chosen or [ensure_default(conn, owner.id, owner.domain_id)]
