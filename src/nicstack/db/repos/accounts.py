"""Domains, accounts and users."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, select
from sqlalchemy.orm import aliased

from nicstack.db import prepared
from nicstack.db import tables as t
from nicstack.db.rows import lookup_params, lookup_statement
from nicstack.domain.access import Caller
from nicstack.domain.kinds import Role
from nicstack.domain.model import Account, Domain, User

_parent = aliased(t.domains)

DOMAIN_COLUMNS = (*t.domains.c, _parent.c.uuid.label("parent_uuid"))


def _domain(row: Row[Any]) -> Domain:
    m = row._mapping
    return Domain(m["id"], m["uuid"], m["name"], m["parent_uuid"], m["path"], m["level"], m["created"])


def _domains_query() -> Any:
    return select(*DOMAIN_COLUMNS).select_from(
        t.domains.outerjoin(_parent, _parent.c.id == t.domains.c.parent_id)
    ).where(t.domains.c.removed.is_(None))


_ACCOUNT_COLUMNS = (
    t.accounts.c.id,
    t.accounts.c.uuid,
    t.accounts.c.name,
    t.accounts.c.role,
    t.accounts.c.state,
    t.accounts.c.domain_id,
    t.domains.c.uuid.label("domain_uuid"),
    t.domains.c.name.label("domain_name"),
    t.domains.c.path.label("domain_path"),
    t.accounts.c.created,
)


def _account(m: Any) -> Account:
    return Account(
        m["id"], m["uuid"], m["name"], Role(m["role"]), m["state"], m["domain_id"],
        m["domain_uuid"], m["domain_name"], m["domain_path"], m["created"],
    )


def _accounts_query() -> Any:
    return (
        select(*_ACCOUNT_COLUMNS)
        .select_from(t.accounts.join(t.domains, t.domains.c.id == t.accounts.c.domain_id))
        .where(t.accounts.c.removed.is_(None))
    )


def _users_query() -> Any:
    return (
        select(
            # Labelled: the account columns below share these names.
            t.users.c.id.label("u_id"), t.users.c.uuid.label("u_uuid"), t.users.c.username, t.users.c.firstname,
            t.users.c.lastname, t.users.c.email, t.users.c.api_key, t.users.c.secret_key,
            t.users.c.state.label("u_state"), t.users.c.password_hash, t.users.c.created.label("user_created"),
            *_ACCOUNT_COLUMNS,
        )
        .select_from(
            t.users.join(t.accounts, t.accounts.c.id == t.users.c.account_id).join(
                t.domains, t.domains.c.id == t.accounts.c.domain_id
            )
        )
        .where(t.users.c.removed.is_(None), t.accounts.c.removed.is_(None))
    )


def _user(m: Mapping[Any, Any]) -> User:
    account = _account(m)
    return User(
        m["u_id"], m["u_uuid"], m["username"], m["firstname"], m["lastname"], m["email"], m["api_key"],
        m["secret_key"], m["u_state"], m["password_hash"], account, m["user_created"],
    )


def caller_of(user: User) -> Caller:
    a = user.account
    return Caller(user.id, user.uuid, a.id, a.uuid, a.name, a.domain_id, a.domain_uuid, a.domain_path, a.role)


class AccountRepository:
    """Domains, accounts and users."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def domain_by(self, **where: Any) -> Domain | None:
        row = self.conn.execute(lookup_statement(_domains_query, t.domains, tuple(where)), lookup_params(where)).first()
        return _domain(row) if row else None

    def domains(self, path_prefix: str | None = None) -> list[Domain]:
        query = _domains_query().order_by(t.domains.c.path)
        if path_prefix:
            query = query.where(t.domains.c.path.startswith(path_prefix))
        return [_domain(r) for r in self.conn.execute(query)]

    def account_by(self, **where: Any) -> Account | None:
        statement = lookup_statement(_accounts_query, t.accounts, tuple(where))
        row = self.conn.execute(statement, lookup_params(where)).first()
        return _account(row._mapping) if row else None

    def accounts(self, path_prefix: str | None, account_id: int | None, name: str | None) -> list[Account]:
        query = _accounts_query().order_by(t.accounts.c.id)
        if path_prefix:
            query = query.where(t.domains.c.path.startswith(path_prefix))
        if account_id is not None:
            query = query.where(t.accounts.c.id == account_id)
        if name is not None:
            query = query.where(t.accounts.c.name == name)
        return [_account(r._mapping) for r in self.conn.execute(query)]

    def user_by_api_key(self, api_key: str) -> User | None:
        # Every signed request and every job asks: the prepared path.
        row = prepared.first(self.conn, lookup_statement(_users_query, t.users, ("api_key",)), {"w_api_key": api_key})
        return _user(row) if row else None

    def user_by_id(self, user_id: int) -> User | None:
        row = prepared.first(self.conn, lookup_statement(_users_query, t.users, ("id",)), {"w_id": user_id})
        return _user(row) if row else None

    def users_by(self, **where: Any) -> list[User]:
        query = _users_query().order_by(t.users.c.id)
        for key, value in where.items():
            column = t.domains.c.path if key == "domain_path_prefix" else None
            if column is not None:
                query = query.where(column.startswith(value))
            elif key in t.users.c:
                query = query.where(t.users.c[key] == value)
            else:
                query = query.where(t.accounts.c[key] == value)
        return [_user(r._mapping) for r in self.conn.execute(query)]
