"""Shared handler helpers: paging, list scoping and visibility checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from nicstack.api.params import Param, bool_param, int_param, str_param, uuid_param
from nicstack.db.repos import accounts
from nicstack.domain.access import Caller, may_access, may_use_domain
from nicstack.domain.errors import UnknownEntity

PAGING: tuple[Param, ...] = (
    str_param("keyword", "List by keyword"),
    int_param("page", "The page to return, from 1", minimum=1),
    int_param("pagesize", "Entries per page (-1: all)", minimum=-1),
)
OWNER: tuple[Param, ...] = (
    str_param("account", "List resources by account; must be used with domainid"),
    uuid_param("domainid", "List only resources belonging to the domain specified"),
    bool_param("listall", "True to list all resources the caller may see, not only its own"),
    bool_param("isrecursive", "Defaults to false; with domainid, list the subdomains' resources too"),
)


def page_of(args: dict[str, Any]) -> tuple[int, int] | None:
    """(offset, limit) from page/pagesize; None means everything."""
    size = args.get("pagesize")
    page = args.get("page")
    if size is None and page is None:
        return None
    if size is None or size == -1:
        return None if page in (None, 1) else (0, 0)
    if size == 0:
        return (0, 0)
    return ((page or 1) - 1) * size, size


@dataclass(frozen=True, slots=True)
class Scope:
    """Which owners a listing shows: one account, or a domain subtree (None: everything)."""

    account_id: int | None
    domain_path: str | None


def list_scope(conn: Connection, caller: Caller, args: dict[str, Any]) -> Scope:
    """CloudStack's list scoping: own account unless listall/domainid/account widen it."""
    domain_path = None
    if "domainid" in args:
        domain = accounts.domain_by(conn, uuid=args["domainid"])
        if domain is None or not may_use_domain(caller, domain.path):
            raise UnknownEntity("domainid", args["domainid"])
        domain_path = domain.path
    if args.get("account"):
        path = domain_path or caller.domain_path
        found = [a for a in accounts.accounts(conn, None, None, args["account"]) if a.domain_path == path]
        if not found or not may_access(caller, found[0].id, found[0].domain_path):
            raise UnknownEntity("account", args["account"])
        return Scope(found[0].id, None)
    if not caller.is_admin:
        return Scope(caller.account_id, None)
    if domain_path is not None:
        return Scope(None, domain_path)
    if args.get("listall"):
        return Scope(None, None if caller.is_root_admin else caller.domain_path)
    return Scope(caller.account_id, None)
