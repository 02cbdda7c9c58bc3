"""Shared handler helpers: paging and the owner parameters of list commands."""

from __future__ import annotations

from typing import Any

from nicstack.api.params import Param, bool_param, int_param, str_param, uuid_param
from nicstack.services.scope import OwnerFilter

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


def owner_filter(args: dict[str, Any], *, list_all: bool | None = None) -> OwnerFilter:
    """The owner parameters of a list command (OWNER); `list_all` overrides listall when given."""
    return OwnerFilter(
        args.get("account") or None, args.get("domainid"), bool(args.get("listall")) if list_all is None else list_all
    )
