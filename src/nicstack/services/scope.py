"""Which owners a listing shows: CloudStack's list scoping (own account, or what listall/domainid/account widen)."""

from __future__ import annotations

from dataclasses import dataclass

from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, Scope, may_access, may_use_domain
from nicstack.domain.errors import UnknownEntity


@dataclass(frozen=True, slots=True)
class OwnerFilter:
    """The owner parameters of a list command, as the caller gave them."""

    account: str | None = None
    domain_uuid: str | None = None
    list_all: bool = False


def list_scope(uow: SqlUnitOfWork, caller: Caller, owner: OwnerFilter) -> Scope:
    """CloudStack's list scoping: own account unless listall/domainid/account widen it.

    Raises UnknownEntity for a domain or account the caller may not see (as for one that does not exist).
    """
    domain_path = None
    if owner.domain_uuid is not None:
        domain = uow.accounts.domain_by(uuid=owner.domain_uuid)
        if domain is None or not may_use_domain(caller, domain.path):
            raise UnknownEntity("domainid", owner.domain_uuid)
        domain_path = domain.path
    if owner.account:
        path = domain_path or caller.domain_path
        found = [a for a in uow.accounts.accounts(None, None, owner.account) if a.domain_path == path]
        if not found or not may_access(caller, found[0].id, found[0].domain_path):
            raise UnknownEntity("account", owner.account)
        return Scope(found[0].id, None)
    if not caller.is_admin:
        return Scope(caller.account_id, None)
    if domain_path is not None:
        return Scope(None, domain_path)
    if owner.list_all:
        return Scope(None, None if caller.is_root_admin else caller.domain_path)
    return Scope(caller.account_id, None)
