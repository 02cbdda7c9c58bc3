"""Use cases of security groups: create, delete, list, authorize and revoke rules, and group membership.

Security groups isolate VMs in Basic zones and in shared networks with the SecurityGroup
service. Every account has a group named `default` (created with the account, or on first
need for accounts older than this feature); a VM deployed into such a network without
groups joins it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.repos.audience import owned_by
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_access, may_use_domain
from nicstack.domain.errors import ParameterError, ResourceInUse, UnknownEntity
from nicstack.domain.jobs import Started
from nicstack.domain.model import Account, Network
from nicstack.domain.security_groups import (
    DEFAULT_GROUP,
    Authorized,
    RuleShape,
    SecurityGroup,
    cidrs_of,
    group_name,
)
from nicstack.domain.vocabulary import Direction
from nicstack.services import lookup
from nicstack.services.networks import owner_account
from nicstack.services.scope import OwnerFilter, list_scope
from nicstack.services.shared_networks import uses_security_groups

g = t.security_groups


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


def _owner(uow: SqlUnitOfWork, caller: Caller, account: str | None, domain_uuid: str | None) -> Account:
    """The named account (admin), else the caller's; a domainid the caller may not see is unknown either way."""
    if account is None and domain_uuid is not None:
        domain = uow.accounts.domain_by(uuid=domain_uuid)
        if domain is None or not may_use_domain(caller, domain.path):
            raise UnknownEntity("domainid", domain_uuid)
    return owner_account(uow, caller, account, domain_uuid)


def ensure_default(uow: SqlUnitOfWork, account_id: int, domain_id: int) -> int:
    """The account's `default` group, created when missing."""
    found = uow.security_groups.group_id_by_name(account_id, DEFAULT_GROUP)
    if found is not None:
        return found
    return uow.security_groups.create_group(DEFAULT_GROUP, "Default Security Group", account_id, domain_id)


def _visible(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str) -> SecurityGroup:
    found = uow.security_groups.group_by(g.c.uuid == uuid)
    if found is None or not may_access(caller, found.owner.account_id, found.owner.domain_path):
        raise UnknownEntity(param, uuid)
    return found


def _resolve(uow: SqlUnitOfWork, caller: Caller, ref: GroupRef, param: str = "securitygroupid") -> SecurityGroup:
    if ref.uuid is not None:
        if ref.name is not None:
            raise ParameterError("securitygroupid and securitygroupname are mutually exclusive")
        return _visible(uow, caller, ref.uuid, param)
    if ref.name is None:
        raise ParameterError("Give securitygroupid or securitygroupname")
    owner = _owner(uow, caller, ref.account, ref.domain_uuid)
    if ref.name == DEFAULT_GROUP:
        ensure_default(uow, owner.id, owner.domain_id)
    found = uow.security_groups.group_by(g.c.account_id == owner.id, g.c.name == ref.name)
    if found is None:
        raise ParameterError(f"Unable to find security group {ref.name} of account {owner.name}")
    return found


def create_security_group(uow: SqlUnitOfWork, caller: Caller, name: str, description: str | None,
                          account: str | None, domain_uuid: str | None) -> SecurityGroup:
    name = group_name(name)
    with uow:
        owner = _owner(uow, caller, account, domain_uuid)
        ensure_default(uow, owner.id, owner.domain_id)
        if uow.security_groups.group_id_by_name(owner.id, name) is not None:
            raise ParameterError(f"A security group named {name} already exists in account {owner.name}")
        group_id = uow.security_groups.create_group(name, description, owner.id, owner.domain_id)
        uow.events.record(caller, "SG.CREATE", f"Created security group {name}", account_id=owner.id,
                      domain_id=owner.domain_id)
        found = uow.security_groups.group_by(g.c.id == group_id)
        assert found is not None
        return found


def delete_security_group(uow: SqlUnitOfWork, caller: Caller, ref: GroupRef) -> SecurityGroup:
    """Delete a group that no VM is in and no other group's rule names; `default` stays."""
    with uow:
        found = _resolve(uow, caller, ref, "id")
        if found.name == DEFAULT_GROUP:
            raise ParameterError(f"The default security group of account {found.owner.account_name} cannot be removed")
        if found.vm_uuids:
            raise ResourceInUse(f"Security group {found.name} is in use by {len(found.vm_uuids)} VM(s), e.g. "
                                f"{found.vm_uuids[0]}: move them to other groups first")
        rule = uow.security_groups.referencing_rule(found.id)
        if rule is not None:
            raise ResourceInUse(f"Security group {found.name} is named by rule {rule} of another group: revoke that "
                                "rule first")
        uow.security_groups.delete_group(found.id)
        uow.events.record(caller, "SG.DELETE", f"Deleted security group {found.name}",
                      account_id=found.owner.account_id, domain_id=found.owner.domain_id)
        return found


@dataclass(frozen=True, slots=True)
class SecurityGroupFilter:
    """listSecurityGroups: `owner`'s groups (or the one group `uuid`, wherever the caller sees it) matching the rest."""

    owner: OwnerFilter = field(default_factory=OwnerFilter)
    uuid: str | None = None
    name: str | None = None
    keyword: str | None = None  # within the name; empty: any
    vm_uuid: str | None = None  # the groups of this VM
    tags: tuple[tuple[str, str | None], ...] = ()  # every (key, value) pair; a None value: any


def list_security_groups(uow: SqlUnitOfWork, caller: Caller, wanted: SecurityGroupFilter) -> list[SecurityGroup]:
    """Raises UnknownEntity for an owner, group or VM the caller may not see (in that order)."""
    with uow.reading():
        owner = replace(wanted.owner, list_all=True) if wanted.uuid is not None else wanted.owner
        where = owned_by(list_scope(uow, caller, owner), g.c.account_id)
        if wanted.uuid is not None:
            where.append(g.c.id == _visible(uow, caller, wanted.uuid, "id").id)
        if wanted.name is not None:
            where.append(g.c.name == wanted.name)
        if wanted.keyword:
            where.append(g.c.name.contains(wanted.keyword, autoescape=True))
        if wanted.vm_uuid is not None:
            vm = lookup.vm(uow, caller, wanted.vm_uuid)
            members = t.security_group_vm_map
            where.append(g.c.id.in_(select(members.c.security_group_id).where(members.c.vm_id == vm.id)))
        where += uow.tags.matching("SecurityGroup", g.c.uuid, list(wanted.tags))
        return uow.security_groups.groups(*where)


def _peer_group(uow: SqlUnitOfWork, owner_domain_id: int, account_name: str, name: str) -> int:
    account = uow.accounts.account_by(name=account_name, domain_id=owner_domain_id)
    peer = uow.security_groups.group_id_by_name(account.id, name) if account else None
    if account is not None and peer is None and name == DEFAULT_GROUP:
        peer = ensure_default(uow, account.id, account.domain_id)
    if peer is None:
        raise ParameterError(f"Unable to find security group {name} of account {account_name} in the group's domain")
    return peer


def authorize(uow: SqlUnitOfWork, caller: Caller, new: NewRules) -> Started[Authorized]:
    """Add one rule per CIDR and per named group; refused whole when any of them exists already."""
    if not new.cidrs and not new.peers:
        raise ParameterError("A security group rule needs cidrlist or usersecuritygrouplist")
    with uow:
        group = _resolve(uow, caller, new.group)
        peers = [(a, n, _peer_group(uow, group.owner.domain_id, a, n)) for a, n in new.peers]
        existing = {(r.direction, r.shape, r.cidr, r.peer_group_id) for r in group.rules}
        wanted = [(c, None) for c in cidrs_of(new.cidrs)] + [(None, pid) for _, _, pid in peers]
        added = []
        for cidr, peer in wanted:
            if (new.direction, new.shape, cidr, peer) in existing:
                raise ParameterError(f"Security group {group.name} already has this {new.direction} rule "
                                     f"({new.shape.protocol} {cidr or 'from a group'})")
            added.append(uow.security_groups.add_rule(group.id, new.direction, new.shape, cidr, peer))
        uow.events.record(caller, f"SG.AUTH.{new.direction.upper()}",
                      f"Authorized {len(added)} {new.direction} rule(s) in security group {group.name}",
                      account_id=group.owner.account_id, domain_id=group.owner.domain_id)
        updated = uow.security_groups.group_by(g.c.id == group.id)
        assert updated is not None
        uow.outbox.group(group.id)
        done = Authorized(updated, tuple(added))
        command = f"authorizeSecurityGroup{new.direction.capitalize()}"
        return Started(uow.start_job(caller, command, result=done, instance=("SecurityGroup", group.uuid)), done)


def revoke(uow: SqlUnitOfWork, caller: Caller, rule_uuid: str, direction: Direction) -> str:
    with uow:
        found = uow.security_groups.rule_owner(rule_uuid)
        group = uow.security_groups.group_by(g.c.id == found[1]) if found else None
        if found is None or group is None or not may_access(caller, group.owner.account_id, group.owner.domain_path):
            raise UnknownEntity("id", rule_uuid)
        if found[2] != direction:
            other = "Egress" if direction is Direction.INGRESS else "Ingress"
            raise ParameterError(f"Rule {rule_uuid} is an {found[2]} rule: use revokeSecurityGroup{other}")
        uow.security_groups.delete_rule(found[0])
        uow.events.record(caller, f"SG.REVOKE.{direction.upper()}",
                      f"Revoked {direction} rule {rule_uuid} of security group {group.name}",
                      account_id=group.owner.account_id, domain_id=group.owner.domain_id)
        uow.outbox.group(group.id)
        command = f"revokeSecurityGroup{direction.capitalize()}"
        return uow.start_job(caller, command, instance=("SecurityGroup", group.uuid))


def groups_for_vm(uow: SqlUnitOfWork, caller: Caller, owner: Account, nets: Sequence[Network],
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
        group = _visible(uow, caller, uuid, "securitygroupids")
        if group.owner.account_id != owner.id:
            raise UnknownEntity("securitygroupids", uuid)
        chosen.append(group.id)
    for name in names:
        found = ensure_default(uow, owner.id, owner.domain_id) if name == DEFAULT_GROUP else (
            uow.security_groups.group_id_by_name(owner.id, name))
        if found is None:
            raise ParameterError(f"Unable to find security group {name} of account {owner.name}")
        chosen.append(found)
    return chosen or [ensure_default(uow, owner.id, owner.domain_id)]
