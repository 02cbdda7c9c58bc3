"""Publishing each host's security-group state as numbered generations (job steps), and getHostConfig (reads).

Why stored this way: an incremental change set can only be computed against what the host was
last given, so each publication stores the host's whole desired state (canonical JSON) in the
payload of its newest `host_changes` row, next to the change set that leads there; the row before
it keeps only its change set. `dataplane_generations` holds the generation number and the
state's digest for "host:<uuid>": a publication that would not change the digest changes
nothing, so publishing is idempotent and a job step may run it again after a crash. The last
`KEEP` change sets are kept; an agent further behind gets whole documents.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.rows import now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.errors import UnknownEntity
from nicstack.domain.kinds import Hypervisor
from nicstack.domain.model import Host
from nicstack.render.host_changes import ChangeSet, changes
from nicstack.render.security_groups import HostDocuments, render_host, renderer_for
from nicstack.services import host_snapshots as snap
from nicstack.services.host_state import host_by_id, host_state

KEEP = 200
hc = t.host_changes


@dataclass(frozen=True, slots=True)
class Published:
    """One publication: the host's generation now, and the change set made (None: nothing changed)."""

    host: Host
    generation: int
    changes: ChangeSet | None
    digest: str = ""


@dataclass(frozen=True, slots=True)
class HostConfig:
    """What an agent loads: whole documents, or only the change sets since its generation."""

    host: Host
    generation: int
    since: int | None
    documents: HostDocuments | None
    changes: ChangeSet | None


def target(host: Host) -> str:
    return f"host:{host.uuid}"


def _latest(uow: SqlUnitOfWork, host_id: int) -> tuple[int, dict[str, Any]] | None:
    row = uow.conn.execute(select(hc.c.id, hc.c.payload).where(hc.c.host_id == host_id)
                           .order_by(hc.c.generation.desc()).limit(1)).first()
    return (row[0], json.loads(row[1])) if row else None


def publish(uow: SqlUnitOfWork, host_id: int) -> Published:
    """Compute the host's state; when it differs from the last published one, store generation + 1.

    Runs in the caller's transaction (a job step's); the target's generation row serialises
    publications of one host.
    """
    host = host_by_id(uow, host_id)
    if host.hypervisor is Hypervisor.VMWARE:
        return Published(host, 0, None)
    known = uow.generations.lock(target(host))
    state = host_state(uow, host)
    data = snap.to_json(state)
    digest = snap.digest(data)
    if known.digest == digest:
        return Published(host, known.generation, None)
    latest = _latest(uow, host.id) if known.generation > 0 else None
    if latest is not None and "state" in latest[1]:
        change = changes(snap.from_json(latest[1]["state"]), state)
        previous = {"changes": latest[1]["changes"]}
        uow.conn.execute(hc.update().where(hc.c.id == latest[0]).values(payload=json.dumps(previous)))
    else:
        change = ChangeSet(full=True, reason="the first state published for this host")
    generation = known.generation + 1
    payload = {"changes": snap.changes_to_json(change), "state": data}
    uow.conn.execute(hc.insert().values(host_id=host.id, generation=generation, payload=snap.canonical(payload),
                                        created=now()))
    uow.conn.execute(hc.delete().where(hc.c.host_id == host.id, hc.c.generation <= generation - KEEP))
    uow.generations.advance(target(host), generation, digest)
    return Published(host, generation, change, digest)


def change_sets(uow: SqlUnitOfWork, host_id: int, since: int, upto: int) -> list[ChangeSet] | None:
    """The change sets of generations since+1..upto, or None when one is gone or needs whole documents."""
    rows = uow.conn.execute(select(hc.c.generation, hc.c.payload).where(
        hc.c.host_id == host_id, hc.c.generation > since, hc.c.generation <= upto).order_by(hc.c.generation)).all()
    if len(rows) != upto - since:
        return None
    found = [snap.changes_from_json(json.loads(payload)["changes"]) for _, payload in rows]
    return None if any(c.full for c in found) else found


def get_host_config(uow: SqlUnitOfWork, host_uuid: str, since: int | None) -> HostConfig:
    """The host's last published state: whole documents, or the changes since `since`. Only reads.

    Raises UnknownEntity for an unknown host, Unsupported (432) for a VMware host.
    """
    with uow.reading():
        found = uow.conn.execute(select(t.hosts.c.id).where(t.hosts.c.uuid == host_uuid,
                                                            t.hosts.c.removed.is_(None))).scalar()
        if found is None:
            raise UnknownEntity("hostid", host_uuid)
        host = host_by_id(uow, found)
        renderer_for(host.hypervisor)
        published = uow.generations.get(target(host))
        latest = _latest(uow, host.id)
        if published is None or published.generation == 0 or latest is None:
            # Nothing published yet: what the host will be given, as generation 0.
            return HostConfig(host, 0, since, render_host(host.hypervisor, host_state(uow, host)), None)
        generation = published.generation
        if since is not None and 0 <= since <= generation:
            found_sets = change_sets(uow, host.id, since, generation)
            if found_sets is not None:
                lines = tuple(c for s in found_sets for c in s.changes)
                return HostConfig(host, generation, since, None, ChangeSet(False, lines))
        state = snap.from_json(latest[1]["state"])
        return HostConfig(host, generation, since, render_host(host.hypervisor, state), None)
