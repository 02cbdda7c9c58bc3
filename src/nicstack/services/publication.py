"""The job step: turn the data-plane change a transaction committed into new host and router generations.

Targets are resolved from the committed state when the step runs and published in a fixed
order (hosts by id, then routers by target), so two jobs that touch the same targets take
their generation locks in the same order and cannot deadlock. Every publication is
idempotent, so a job re-run after a crash, or a job whose change another job already
published, changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.jobs import Configured, DataplaneChange, JobPlan
from nicstack.domain.kinds import GuestType, Hypervisor
from nicstack.render.host_state import HostState
from nicstack.render.router import generation_key as digest_of
from nicstack.render.router import render_router
from nicstack.render.router_state import RouterState
from nicstack.services import dataplane, host_publish, routers
from nicstack.services import host_snapshots as snapshots
from nicstack.services.host_publish import Published, publish
from nicstack.services.host_state import host_state
from nicstack.services.router_state import vpc_state
from nicstack.services.routers import RouterPublished


@dataclass(frozen=True, slots=True)
class Publications:
    hosts: tuple[Published, ...]
    routers: tuple[RouterPublished, ...]


def publish_change(uow: SqlUnitOfWork, change: DataplaneChange) -> Publications:
    """Publish every host and router the change may have touched, inside the caller's transaction.

    The routers' metadata lists the VMs' addresses: the change queued its VMs when it committed, and
    a worker's pass (`publish_queued`) rewrites their entries for many jobs at once.
    """
    hosts: set[int] = set(change.hosts)
    for vm_id in sorted(change.vms):
        hosts |= dataplane.hosts_for_vm(uow, vm_id)
    for group_id in sorted(change.groups):
        hosts |= dataplane.hosts_of_group(uow, group_id)
    published = tuple(publish(uow, host_id) for host_id in sorted(hosts))
    # Each router once, in target order (concurrent jobs lock their targets in one order).
    steps: dict[str, Callable[[], RouterPublished | None]] = {}
    for network_id in sorted(change.networks):
        found = routers.target_of(uow, network_id)
        if found is not None:
            steps.setdefault(found[0], partial(routers.publish_network, uow, network_id))
    for vpc_id in sorted(change.vpcs):
        steps.setdefault(f"router:{uow.vpcs.uuid_of(vpc_id)}", partial(routers.publish_vpc, uow, vpc_id))
    done = tuple(router for _, step in sorted(steps.items()) if (router := step()) is not None)
    return Publications(published, done)


def publish_queued(uow: SqlUnitOfWork, limit: int) -> tuple[int, tuple[RouterPublished, ...]]:
    """One pass over the metadata queue: up to `limit` queued VMs' entries on each of their routers.

    Returns how many queue rows it took and what it published. A burst of changes to the VMs of
    one network renders each VM once and advances the router's generation once, whatever the
    number of jobs; the pass commits with the rows it took, so a failure leaves them queued.
    """
    with uow:
        taken = uow.router_metadata.take_queued(limit)
        due: dict[int, routers.Due] = {}  # per VM: the (NIC, address) pairs added or taken alone, or None
        for vm_id, nic_id, address in taken.values():
            before = due.get(vm_id, frozenset())
            due[vm_id] = (None if before is None or nic_id is None or address is None
                          else before | {(nic_id, address)})
        vm_ids = sorted(due)
        on_router: dict[str, routers.VmsOnRouter] = {}
        targets: dict[int, tuple[str, list[int]] | None] = {}  # the VMs of a batch share their networks
        for vm_id in vm_ids:
            for network_id in sorted(dataplane.networks_of_vm(uow, vm_id)):
                if network_id not in targets:
                    targets[network_id] = routers.target_of(uow, network_id)
                found = targets[network_id]
                if found is not None:
                    router = on_router.setdefault(found[0], routers.VmsOnRouter(found[0], network_id, found[1], []))
                    if vm_id not in router.vm_ids:
                        router.vm_ids.append(vm_id)
        if not on_router:
            return len(taken), ()
        return len(taken), tuple(routers.publish_vms(uow, due, list(on_router.values())))


def drift(uow: SqlUnitOfWork) -> list[str]:
    """Targets whose last published digest is not what the committed state renders now; only reads.

    Empty once every job has run: what an operator (or a test after a crash) checks to know the
    published documents are current. A host never published counts as current while it has
    nothing to enforce.
    """
    late: list[str] = []
    with uow.reading():
        for host in uow.infra.hosts():
            if host.hypervisor is Hypervisor.VMWARE:
                continue
            published = uow.generations.get(host_publish.target(host))
            digest = snapshots.digest(snapshots.to_json(host_state(uow, host)))
            if digest != (published.digest if published else snapshots.digest(snapshots.to_json(HostState()))):
                late.append(host_publish.target(host))
        own, _ = uow.networks.listing([t.networks.c.guest_type.in_([str(GuestType.ISOLATED), str(GuestType.SHARED)]),
                                       t.networks.c.vpc_id.is_(None)], None)
        for net in own:
            late += _router_drift(uow, f"router:{net.uuid}", routers.network_state(uow, net))
        vpcs, _ = uow.vpcs.listing([], None)
        for vpc in vpcs:
            late += _router_drift(uow, f"router:{vpc.uuid}", vpc_state(uow, vpc))
    return late


def _router_drift(uow: SqlUnitOfWork, target: str, state: RouterState) -> list[str]:
    published = uow.generations.get(target)
    return [] if published is not None and published.digest == digest_of(render_router(state)) else [target]


@dataclass(frozen=True, slots=True)
class Ran:
    """What a job's step did: the typed value the job answers, and what it published."""

    value: object
    published: Publications


def run_job(uow: SqlUnitOfWork, caller: Caller | None, plan: JobPlan) -> Ran:
    """The one step every job runs, in the worker's transaction."""
    done = publish_change(uow, plan.change)
    if plan.configured is not None and caller is not None:
        _record_configured(uow, caller, plan.configured, done.hosts)
    return Ran(plan.result, done)


def _record_configured(uow: SqlUnitOfWork, caller: Caller, note: Configured, hosts: tuple[Published, ...]) -> None:
    """NIC.SECONDARY.IP.CONFIGURE, when a host enforces the VM's addresses (security-group networks)."""
    if not hosts:
        return
    # A host whose state did not change had it already (a concurrent job published both addresses).
    lines = sum(len(p.changes.changes) for p in hosts if p.changes is not None)
    verb = "allowed" if note.added else "withdrawn"
    where = ", ".join(f"host {p.host.name} (generation {p.generation})" for p in hosts)
    vm = uow.vms.vm_by(with_secondary=False, id=note.vm_id)
    if vm is not None:
        uow.events.record(caller, "NIC.SECONDARY.IP.CONFIGURE",
                          f"Secondary IP {', '.join(note.addresses)} of VM {vm.name} {verb} on {where}: {lines} "
                          "change line(s)",
                          account_id=vm.account_id, domain_id=vm.domain_id)
