"""The SQL of a scope and of a network audience: the listings' half of the one visibility rule.

`domain.access` defines who may see what (`Scope.admits`, `NetworkAudience.admits`, used by
lookups); these functions say the same in a WHERE, for queries that join `domains` on the
owner's domain.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from nicstack.db import tables as t
from nicstack.domain.access import NetworkAudience, Scope


def owned_by(scope: Scope, account_id: Any) -> list[ColumnElement[bool]]:
    """The scope as conditions on an owner account column and the joined `domains.path` (empty: everything)."""
    where: list[ColumnElement[bool]] = []
    if scope.account_id is not None:
        where.append(account_id == scope.account_id)
    if scope.domain_path is not None:
        where.append(t.domains.c.path.startswith(scope.domain_path))
    return where


def seen_by(audience: NetworkAudience) -> list[ColumnElement[bool]]:
    """The audience as conditions on `networks` joined with its domain (empty: every network)."""
    owned = owned_by(audience.owners, t.networks.c.account_id)
    if not owned:
        return []
    shared = t.networks.c.account_id.is_(None) & t.domains.c.path.in_(audience.shared_domains)
    return [or_(and_(*owned), shared)]
