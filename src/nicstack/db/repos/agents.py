"""Data-plane agents: their credentials' target, what they report, and the published generations beside it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from nicstack.db import tables as t
from nicstack.db.rows import new_uuid, now
from nicstack.domain.dataplane import Report, TargetState
from nicstack.domain.kinds import Role

ACCOUNT = "nicstack-agents"
# Agents sign requests; they never log in (the seed's admin uses the same marker until its first start).
UNUSABLE_PASSWORD = "!"
a, applied, gens = t.dataplane_agents, t.dataplane_applied, t.dataplane_generations
u, accounts = t.users, t.accounts


class AgentRepository:
    """Agent credentials' targets, agents' reports, and the published generations beside them."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def target_of(self, user_id: int) -> str | None:
        """The one target an agent's credentials may read, or None for a user that is no agent."""
        found: str | None = self.conn.execute(select(a.c.target).where(a.c.user_id == user_id)).scalar()
        return found

    def _agents_account(self) -> int:
        root = self.conn.execute(select(t.domains.c.id).where(t.domains.c.path == "/")).scalar_one()
        found = self.conn.execute(select(accounts.c.id).where(
            accounts.c.domain_id == root, accounts.c.name == ACCOUNT, accounts.c.removed.is_(None))).scalar()
        if found is not None:
            return int(found)
        key = self.conn.execute(accounts.insert().values(
            uuid=new_uuid(), name=ACCOUNT, domain_id=root, role=int(Role.AGENT), state="enabled", created=now(),
        )).inserted_primary_key
        assert key is not None
        return int(key[0])

    def bind(self, target: str, username: str, api_key: str, secret_key: str) -> tuple[int, str]:
        """The agent user of `target` with these keys (created, or its keys replaced); returns (user id, uuid)."""
        found = self.conn.execute(select(u.c.id, u.c.uuid).select_from(a.join(u, u.c.id == a.c.user_id))
                                  .where(a.c.target == target)).first()
        if found is not None:
            self.conn.execute(u.update().where(u.c.id == found[0])
                              .values(api_key=api_key, secret_key=secret_key, state="enabled", removed=None))
            return int(found[0]), str(found[1])
        uuid = new_uuid()
        key = self.conn.execute(u.insert().values(
            uuid=uuid, account_id=self._agents_account(), username=username, password_hash=UNUSABLE_PASSWORD,
            firstname="nicstack", lastname="agent", state="enabled", api_key=api_key, secret_key=secret_key,
            created=now(),
        )).inserted_primary_key
        assert key is not None
        self.conn.execute(a.insert().values(user_id=int(key[0]), target=target, created=now()))
        return int(key[0]), uuid

    def unbind(self, target: str) -> bool:
        """Revoke the agent credentials of `target` (within the key cache's seconds); False when there were none."""
        user_id = self.conn.execute(select(a.c.user_id).where(a.c.target == target)).scalar()
        if user_id is None:
            return False
        self.conn.execute(u.update().where(u.c.id == user_id)
                          .values(api_key=None, secret_key=None, state="disabled", removed=now()))
        self.conn.execute(a.delete().where(a.c.user_id == user_id))
        return True

    def record(self, target: str, generation: int, digest: str, agent: str, error: str | None) -> None:
        """Store a report: the generation and digest held now, the heartbeat, and an error or a clean apply."""
        at = now()
        values: dict[str, object] = {"generation": generation, "digest": digest, "agent": agent, "heartbeat": at}
        values.update({"error": error, "error_at": at} if error else {"ok_at": at})
        done = self.conn.execute(applied.update().where(applied.c.target == target).values(**values))
        if done.rowcount == 0:
            self.conn.execute(applied.insert().values(target=target, **values))

    def states(self, targets: Iterable[str]) -> dict[str, TargetState]:
        """Published generation and last report of each target (nothing published yet: generation 0)."""
        wanted = sorted(set(targets))
        if not wanted:
            return {}
        published = {row.target: (int(row.generation), row.digest) for row in self.conn.execute(
            select(gens.c.target, gens.c.generation, gens.c.digest).where(gens.c.target.in_(wanted)))}
        reports = {
            row.target: Report(int(row.generation), row.digest, row.agent, row.heartbeat, row.ok_at, row.error,
                               row.error_at)
            for row in self.conn.execute(select(applied).where(applied.c.target.in_(wanted)))
        }
        return {target: TargetState(target, *published.get(target, (0, None)), reports.get(target))
                for target in wanted}

    def generations(self, targets: Iterable[str]) -> dict[str, int]:
        """The published generation of each target that has one: what a long poll watches."""
        wanted = list(set(targets))
        if not wanted:
            return {}
        rows = self.conn.execute(select(gens.c.target, gens.c.generation).where(gens.c.target.in_(wanted))).tuples()
        return {target: int(generation) for target, generation in rows}
