"""SSH key pairs registered by accounts (registerSSHKeyPair)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, func, select

from nicstack.db import tables as t
from nicstack.db.repos.public_ips import owner_of
from nicstack.db.rows import new_uuid, now
from nicstack.domain.ssh_keys import SshKeyPair

k = t.ssh_keypairs


def _query() -> Select[Any]:
    return select(
        *k.c, t.accounts.c.name.label("account_name"), t.domains.c.uuid.label("domain_uuid"),
        t.domains.c.name.label("domain_name"), t.domains.c.path.label("domain_path"),
    ).select_from(k.join(t.accounts, t.accounts.c.id == k.c.account_id).join(t.domains,
                                                                              t.domains.c.id == k.c.domain_id))


def _pair(m: Any) -> SshKeyPair:
    owner = owner_of(m)
    assert owner is not None
    return SshKeyPair(m["id"], m["uuid"], m["name"], m["fingerprint"], m["public_key"], owner, m["created"])


class SshKeyPairRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def create(self, **values: Any) -> int:
        key = self.conn.execute(k.insert().values(uuid=new_uuid(), created=now(), **values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def pair_by(self, **where: Any) -> SshKeyPair | None:
        row = self.conn.execute(_query().where(*(k.c[key] == value for key, value in where.items()))).first()
        return _pair(row._mapping) if row else None

    def listing(self, where: list[Any], page: tuple[int, int] | None) -> tuple[list[SshKeyPair], int]:
        query = _query().where(*where)
        total = self.conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        query = query.order_by(k.c.id)
        if page:
            query = query.limit(page[1]).offset(page[0])
        return [_pair(r._mapping) for r in self.conn.execute(query)], total

    def delete(self, pair_id: int) -> None:
        self.conn.execute(k.delete().where(k.c.id == pair_id))
