"""Use cases of identity: domains, accounts, users, API keys, and the end of a UI session (logins: logins.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, select

from nicstack.db import tables as t
from nicstack.db.rows import new_uuid, now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_access, may_use_domain
from nicstack.domain.credentials import hash_password, new_key
from nicstack.domain.errors import ParameterError, PermissionDenied, UnknownEntity
from nicstack.domain.kinds import Role
from nicstack.domain.model import Account, Domain, User
from nicstack.domain.security_groups import DEFAULT_GROUP
from nicstack.services.scope import OwnerFilter, list_scope


@dataclass(frozen=True, slots=True)
class DomainInfo:
    domain: Domain
    parent_name: str | None
    has_child: bool


@dataclass(frozen=True, slots=True)
class NewAccount:
    role: Role
    username: str
    password: str
    email: str
    firstname: str
    lastname: str
    account: str | None = None
    domain_uuid: str | None = None


@dataclass(frozen=True, slots=True)
class DomainFilter:
    """listDomains: the caller's domain (or the one `uuid`), its subtree with `subtree`, narrowed by the rest."""

    uuid: str | None = None
    subtree: bool = False  # listall or isrecursive
    name: str | None = None  # the whole name, in any case
    level: int | None = None
    keyword: str | None = None  # within the name, in any case; empty: any


@dataclass(frozen=True, slots=True)
class AccountFilter:
    """listAccounts: the one account `uuid`, or those of the listing scope, narrowed by the rest (None: any)."""

    uuid: str | None = None
    domain_uuid: str | None = None
    list_all: bool = False
    name: str | None = None  # the whole name, in any case
    account_type: int | None = None
    state: str | None = None
    keyword: str | None = None  # within the name, in any case; empty: any

    def matches(self, a: Account) -> bool:
        return (
            (self.name is None or a.name.lower() == self.name.lower())
            and (self.account_type is None or int(a.role) == self.account_type)
            and (self.state is None or a.state.lower() == self.state.lower())
            and (not self.keyword or self.keyword.lower() in a.name.lower())
        )


@dataclass(frozen=True, slots=True)
class UserFilter:
    """listUsers: the one user `uuid`, or those of `owner`'s listing scope, narrowed by the rest (None: any)."""

    owner: OwnerFilter = field(default_factory=OwnerFilter)
    uuid: str | None = None
    username: str | None = None
    account_type: int | None = None
    state: str | None = None
    keyword: str | None = None  # within the user name, in any case; empty: any

    def matches(self, u: User) -> bool:
        return (
            (self.username is None or u.username == self.username)
            and (self.account_type is None or int(u.account.role) == self.account_type)
            and (self.state is None or u.state.lower() == self.state.lower())
            and (not self.keyword or self.keyword.lower() in u.username.lower())
        )


def shown_path(path: str) -> str:
    """The stored path ("/", "/a/b/") as CloudStack shows it ("ROOT", "ROOT/a/b")."""
    return "ROOT" + path.rstrip("/") if path != "/" else "ROOT"


def visible_domain(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str) -> Domain:
    """The domain, if the caller administers (or belongs to) it; else the unknown-uuid answer."""
    found = uow.accounts.domain_by(uuid=uuid)
    if found is None or not may_use_domain(caller, found.path):
        raise UnknownEntity(param, uuid)
    return found


def _domain_or_own(uow: SqlUnitOfWork, caller: Caller, uuid: str | None, param: str) -> Domain:
    if uuid is not None:
        return visible_domain(uow, caller, uuid, param)
    own = uow.accounts.domain_by(id=caller.domain_id)
    assert own is not None
    return own


def _plain_name(name: str, what: str) -> str:
    cleaned = name.strip()
    if not cleaned or "/" in cleaned:
        raise ParameterError(f"Invalid {what} name {name!r}: it must be non-empty and contain no '/'")
    return cleaned


# -- domains ---------------------------------------------------------------------------


def create_domain(uow: SqlUnitOfWork, caller: Caller, name: str, parent_uuid: str | None) -> DomainInfo:
    """Create a child domain; a domain admin only inside its own subtree (ParameterError on duplicates)."""
    name = _plain_name(name, "domain")
    with uow:
        parent = _domain_or_own(uow, caller, parent_uuid, "parentdomainid")
        path = f"{parent.path}{name}/"
        taken = uow.conn.execute(
            select(t.domains.c.id).where(func.lower(t.domains.c.path) == path.lower(), t.domains.c.removed.is_(None))
        ).first()
        if taken is not None:
            raise ParameterError(f"Domain {name} already exists under {shown_path(parent.path)}")
        uow.conn.execute(
            t.domains.insert().values(
                uuid=new_uuid(), name=name, parent_id=parent.id, path=path, level=parent.level + 1, created=now()
            )
        )
        created = uow.accounts.domain_by(path=path)
        assert created is not None
        uow.events.record(caller, "DOMAIN.CREATE", f"Domain {shown_path(path)} created", domain_id=created.id)
        return DomainInfo(created, parent.name, False)


def list_domains(uow: SqlUnitOfWork, caller: Caller, wanted: DomainFilter) -> list[DomainInfo]:
    """Without id: the caller's domain, or with listall/isrecursive its whole subtree."""
    with uow.reading():
        everything = uow.accounts.domains()
        names = {d.uuid: d.name for d in everything}
        parents = {d.parent_uuid for d in everything}
        if wanted.uuid is not None:
            base = visible_domain(uow, caller, wanted.uuid, "id")
            chosen = [base]
            if wanted.subtree:
                chosen = [d for d in everything if d.path.startswith(base.path)]
        elif caller.is_admin and wanted.subtree:
            chosen = [d for d in everything if d.path.startswith(caller.domain_path)]
        else:
            chosen = [d for d in everything if d.path == caller.domain_path]
    if wanted.name is not None:
        chosen = [d for d in chosen if d.name.lower() == wanted.name.lower()]
    if wanted.level is not None:
        chosen = [d for d in chosen if d.level == wanted.level]
    if wanted.keyword:
        keyword = wanted.keyword.lower()
        chosen = [d for d in chosen if keyword in d.name.lower()]
    return [DomainInfo(d, names.get(d.parent_uuid or ""), d.uuid in parents) for d in chosen]


# -- accounts and users ----------------------------------------------------------------


def create_account(uow: SqlUnitOfWork, caller: Caller, spec: NewAccount) -> tuple[Account, list[User]]:
    """Create an account and its first user (ParameterError on duplicates, PermissionDenied on rank)."""
    name = _plain_name(spec.account or spec.username, "account")
    username = spec.username.strip()
    if spec.role is Role.ROOT_ADMIN and not caller.is_root_admin:
        raise PermissionDenied(f"Only a root admin may create root admin account {name}")
    with uow:
        domain = _domain_or_own(uow, caller, spec.domain_uuid, "domainid")
        where = shown_path(domain.path)
        clash = uow.conn.execute(
            select(t.accounts.c.id).where(
                t.accounts.c.domain_id == domain.id, func.lower(t.accounts.c.name) == name.lower(),
                t.accounts.c.removed.is_(None),
            )
        ).first()
        if clash is not None:
            raise ParameterError(f"Account {name} already exists in domain {where}")
        if any(u.account.domain_id == domain.id for u in uow.accounts.users_by(username=username)):
            raise ParameterError(f"User name {username} is already taken in domain {where}")
        inserted = uow.conn.execute(
            t.accounts.insert().values(
                uuid=new_uuid(), name=name, domain_id=domain.id, role=int(spec.role), state="enabled", created=now()
            )
        ).inserted_primary_key
        assert inserted is not None
        account_id = int(inserted[0])
        uow.conn.execute(
            t.users.insert().values(
                uuid=new_uuid(), account_id=account_id, username=username,
                password_hash=hash_password(spec.password), firstname=spec.firstname, lastname=spec.lastname,
                email=spec.email, state="enabled", created=now(),
            )
        )
        uow.events.record(
            caller, "ACCOUNT.CREATE", f"Account {name} created in domain {where}",
            account_id=account_id, domain_id=domain.id,
        )
        # Every account has a `default` security group, as in CloudStack.
        uow.security_groups.create_group(DEFAULT_GROUP, "Default Security Group", account_id, domain.id)
        created = uow.accounts.account_by(id=account_id)
        assert created is not None
        return created, uow.accounts.users_by(account_id=account_id)


def list_accounts(uow: SqlUnitOfWork, caller: Caller, wanted: AccountFilter) -> list[tuple[Account, list[User]]]:
    """The accounts the listing scope covers, each with its users (CloudStack's scoping rules)."""
    with uow.reading():
        if wanted.uuid is not None:
            one = uow.accounts.account_by(uuid=wanted.uuid)
            if one is None or not may_access(caller, one.id, one.domain_path):
                raise UnknownEntity("id", wanted.uuid)
            found = [one]
        else:
            scope = list_scope(uow, caller, OwnerFilter(None, wanted.domain_uuid, wanted.list_all))
            found = uow.accounts.accounts(scope.domain_path, scope.account_id, None)
        return [(a, uow.accounts.users_by(account_id=a.id)) for a in found if wanted.matches(a)]


def list_users(uow: SqlUnitOfWork, caller: Caller, wanted: UserFilter) -> list[User]:
    with uow.reading():
        if wanted.uuid is not None:
            found = uow.accounts.users_by(uuid=wanted.uuid)
            if not found or not may_access(caller, found[0].account.id, found[0].account.domain_path):
                raise UnknownEntity("id", wanted.uuid)
        else:
            scope = list_scope(uow, caller, wanted.owner)
            if scope.account_id is not None:
                found = uow.accounts.users_by(account_id=scope.account_id)
            elif scope.domain_path is not None:
                found = uow.accounts.users_by(domain_path_prefix=scope.domain_path)
            else:
                found = uow.accounts.users_by()
    return [u for u in found if wanted.matches(u)]


def register_user_keys(uow: SqlUnitOfWork, caller: Caller, user_uuid: str) -> tuple[str, str]:
    """New API and secret keys for a user: oneself, or a user an admin administers.

    Raises UnknownEntity when the caller may not see the user, PermissionDenied when it may
    see but not manage it (another user of one's account; a root admin for a domain admin).
    """
    with uow:
        found = uow.accounts.users_by(uuid=user_uuid)
        target = found[0] if found else None
        if target is None or not may_access(caller, target.account.id, target.account.domain_path):
            raise UnknownEntity("id", user_uuid)
        if target.id != caller.user_id:
            if not caller.is_admin:
                raise PermissionDenied(f"User {caller.user_uuid} may not register keys for user {user_uuid}")
            if target.account.role is Role.ROOT_ADMIN and not caller.is_root_admin:
                raise PermissionDenied(f"A domain admin may not register keys for root admin user {user_uuid}")
        api_key, secret_key = new_key(), new_key()
        uow.conn.execute(t.users.update().where(t.users.c.id == target.id)
                         .values(api_key=api_key, secret_key=secret_key))
        uow.events.record(
            caller, "REGISTER.USER.KEY", f"Registered new API keys for user {target.username}",
            account_id=target.account.id, domain_id=target.account.domain_id,
        )
        return api_key, secret_key


# -- sessions --------------------------------------------------------------------------


def logout(uow: SqlUnitOfWork, caller: Caller, session_key: str | None) -> None:
    """End the caller's own session (a no-op for API-key callers)."""
    with uow:
        if session_key:
            uow.conn.execute(
                delete(t.sessions).where(t.sessions.c.key == session_key, t.sessions.c.user_id == caller.user_id)
            )
        uow.events.record(caller, "USER.LOGOUT", "User logged out")
