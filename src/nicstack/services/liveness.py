"""Is a secondary IP live? Whether every agent concerned has applied it, as the secondary IP view shows.

The agents concerned with an address are the hosts enforcing its NIC's security groups (the VM's
host and last host, and the hosts whose rules name its groups) and, when a rule targets it, its
network's router. An address is live once its own job has finished (its generations are
published) and each of those agents reports the newest generation of its target, alive and
without error. This errs on the safe side: an agent still busy with a later, unrelated change makes
the address look not yet live for that moment.
"""

from __future__ import annotations

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.dataplane import DataplaneState
from nicstack.domain.kinds import JobStatus
from nicstack.domain.model import Nic
from nicstack.services.agents import summary
from nicstack.services.dataplane import hosts_for_vm


def applied(uow: SqlUnitOfWork, nics: list[Nic]) -> dict[str, bool]:
    """Secondary IP uuid -> whether every agent concerned has applied it (the NICs are one VM's)."""
    secondaries = [(nic, s) for nic in nics for s in nic.secondary_ips]
    if not secondaries:
        return {}
    with uow.reading():
        hosts = {f"host:{h.uuid}" for h in (uow.infra.host_by(id=i) for i in hosts_for_vm(uow, nics[0].vm_id)) if h}
        # One query per NIC, not per address: a VM's NICs may hold hundreds.
        targeted = {nic.uuid: uow.rules.targeted(nic.network_id, [s.address for s in nic.secondary_ips])
                    for nic in nics if nic.secondary_ips}
        concerned = {
            s.uuid: hosts | ({_router_target(nic)} if s.address in targeted[nic.uuid] else set())
            for nic, s in secondaries
        }
        states = uow.agents.states({target for targets in concerned.values() for target in targets})
        pending = set(uow.conn.execute(select(t.async_jobs.c.instance_uuid).where(
            t.async_jobs.c.instance_uuid.in_(list(concerned)),
            t.async_jobs.c.status == int(JobStatus.PENDING))).scalars())
    return {uuid: uuid not in pending and all(summary(states.get(target)) is DataplaneState.APPLIED
                                              for target in targets)
            for uuid, targets in concerned.items()}


def _router_target(nic: Nic) -> str:
    return f"router:{nic.vpc_uuid or nic.network_uuid}"
