"""The virtual routers' documents: published by job steps, read by getRouterConfig and `nicstack render router`.

Each router (an isolated network, a VPC, or a shared network) is one data-plane target, "router:<uuid>". A job step
renders the router from the committed state and stores the documents as generation + 1 when
their digest differs from the last one; readers only read what was published. The metadata
document is kept as one row per VM (router_metadata) and enters the digest as the sum of its
entries' hashes, so a change of VMs alone rewrites their rows without rendering the router.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from nicstack.db.repos.generations import Generation
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import InternalError, ParameterError, UnknownEntity, Unsupported
from nicstack.domain.kinds import GuestType, NetworkState
from nicstack.domain.model import Network
from nicstack.domain.rules import Vpc
from nicstack.render.metadata import document_of, entry_hash, sum_digest, vm_entry
from nicstack.render.router import RouterDocuments, key_of, render_router
from nicstack.render.router import generation_key as digest_of
from nicstack.render.router_state import RouterKind, RouterState
from nicstack.services import lookup
from nicstack.services.metadata_state import entries_of_vms
from nicstack.services.public_ips import ensure_source_nat
from nicstack.services.router_state import isolated_state, shared_state, vpc_state


@dataclass(frozen=True, slots=True)
class RouterConfig:
    target: str
    kind: str
    uuid: str
    generation: int
    digest: str
    iptables: str
    haproxy: str
    addresses: str
    metadata: str


def _render(target: str, state: RouterState) -> RouterDocuments:
    try:
        return render_router(state)
    except ValueError as exc:
        raise InternalError(f"Cannot render the configuration of {target}: {exc}") from None


@dataclass(frozen=True, slots=True)
class RouterPublished:
    """What a job step's publication of one router did."""

    target: str
    generation: int
    digest: str
    changed: bool  # a new generation was stored


def _advance(uow: SqlUnitOfWork, target: str, known: Generation, documents: dict[str, str]) -> RouterPublished:
    """Store `documents` (the metadata as its entries' sum) as the next generation unless nothing changed."""
    digest = key_of(documents["iptables"], documents["haproxy"], documents["addresses"], documents["metadata_sum"])
    changed = known.digest != digest
    generation = known.generation + changed
    if changed:
        uow.generations.advance(target, generation, digest, json.dumps(documents, sort_keys=True))
    return RouterPublished(target, generation, digest, changed)


def _publish(uow: SqlUnitOfWork, target: str, state: RouterState) -> RouterPublished:
    """Store the rendered state as the next generation unless its digest is the one published (idempotent)."""
    docs = _render(target, state)
    known = uow.generations.lock(target)
    entries = {str(vm.uuid): vm_entry(vm) for vm in state.metadata.vms}
    uow.router_metadata.write(target, uow.router_metadata.of(target), entries)
    total = sum_digest(sum(entry_hash(e) for e in entries.values()))
    return _advance(uow, target, known, {"iptables": docs.iptables, "haproxy": docs.haproxy,
                                         "addresses": docs.addresses, "metadata_sum": total})


@dataclass(frozen=True, slots=True)
class VmsOnRouter:
    """A router of a metadata pass: its target, a network it serves, every network it serves, the pass's VMs
    that it lists (or listed)."""

    target: str
    network_id: int
    served: list[int]
    vm_ids: list[int]


def publish_vms(uow: SqlUnitOfWork, due: Mapping[int, frozenset[int] | None], on: Sequence[VmsOnRouter]
                ) -> list[RouterPublished]:
    """A change of the VMs `due` names only (their addresses, user data): the metadata entries of each router `on`
    names, rewritten for its VMs alone, so the cost does not grow with the VMs of a network. A router's other
    documents stay as published (a change of rules publishes the whole router). `due` maps each VM to the NICs
    whose addresses alone changed, or None: the VM may have changed in any way.

    Routers are locked in target order (concurrent passes cannot deadlock) before the stored entries are read
    and the VMs rendered: a pass that waited for another one's lock renders what that one committed, so it
    cannot write an older entry over a newer one. Then the whole pass reads the stored entries at once and
    writes the changed ones at once."""
    done: list[RouterPublished] = []
    locked: list[tuple[VmsOnRouter, Generation, dict[str, str]]] = []
    for router in sorted(on, key=lambda r: r.target):
        known = uow.generations.lock(router.target)
        stored = json.loads(known.documents) if known.documents else {}
        if "metadata_sum" not in stored:  # never published whole (or before entries were kept): publish it whole
            if (whole := publish_network(uow, router.network_id)) is not None:
                done.append(whole)
        else:
            locked.append((router, known, stored))
    uuids = uow.vms.uuids_of(sorted(due))
    every = uow.router_metadata.of_vms(sorted({uuids[v] for router, _, _ in locked for v in router.vm_ids}))
    entries = entries_of_vms(uow, sorted(due), _listed_alike(due, uuids, every, [r for r, _, _ in locked]))
    old: dict[tuple[str, str], str] = {}
    new: dict[tuple[str, str], str] = {}
    hashes: dict[str, int] = {}
    for router, known, stored in locked:
        total = int(stored["metadata_sum"], 16)  # the router's sum of entry hashes, moved by its VMs' changes
        for vm_id in router.vm_ids:
            key = (router.target, uuids[vm_id])
            if key in every:
                old[key] = every[key]
                total -= _hash(hashes, every[key])
            live = entries.get(vm_id)
            if live is not None and live[1].intersection(router.served):
                new[key] = live[0]
                total += _hash(hashes, live[0])
        done.append(_advance(uow, router.target, known, {**stored, "metadata_sum": sum_digest(total)}))
    uow.router_metadata.apply(old, new)
    return sorted(done, key=lambda r: r.target)


def _listed_alike(due: Mapping[int, frozenset[int] | None], uuids: Mapping[int, str],
                  stored: Mapping[tuple[str, str], str], routers: Sequence[VmsOnRouter]
                  ) -> dict[int, tuple[frozenset[int], str]]:
    """The VMs whose NICs' addresses alone changed, with the entry every router of theirs lists alike.

    Every change of a NIC's addresses queues the NIC (or its VM), so such an entry lists the other NICs'
    addresses as they are: a pass renders each queued NIC anew. Routers that list different entries
    (one was published whole meanwhile) or none: the VM is read whole.
    """
    listed: dict[int, set[str | None]] = {}
    for router in routers:
        for vm_id in router.vm_ids:
            listed.setdefault(vm_id, set()).add(stored.get((router.target, uuids[vm_id])))
    alike: dict[int, tuple[frozenset[int], str]] = {}
    for vm_id, nics in due.items():
        entries = listed.get(vm_id, set())
        if nics is not None and len(entries) == 1 and (entry := next(iter(entries))) is not None:
            alike[vm_id] = (nics, entry)
    return alike


def _hash(hashes: dict[str, int], entry: str) -> int:
    """The entry's hash, made once a pass: a VM's entry is the same on each of its routers."""
    if entry not in hashes:
        hashes[entry] = entry_hash(entry)
    return hashes[entry]


def target_of(uow: SqlUnitOfWork, network_id: int) -> tuple[str, list[int]] | None:
    """The router serving a network and every network it serves (a VPC's tiers), or None; one narrow read, as
    every VM change asks it for each of the VM's networks."""
    found = uow.networks.router_of(network_id)
    if found is None or found.guest_type not in (GuestType.ISOLATED, GuestType.SHARED):
        return None
    if found.vpc_uuid is None:
        return f"router:{found.uuid}", [network_id]
    return f"router:{found.vpc_uuid}", found.tiers


def publish_vpc(uow: SqlUnitOfWork, vpc_id: int) -> RouterPublished | None:
    vpc = uow.vpcs.vpc_by(id=vpc_id)
    return None if vpc is None else _publish(uow, f"router:{vpc.uuid}", vpc_state(uow, vpc))


def has_router(net: Network) -> bool:
    """Isolated networks (or their VPC) and shared networks (metadata; elastic IPs) have a router; L2 ones not."""
    return net.guest_type in (GuestType.ISOLATED, GuestType.SHARED)


def router_kind(net: Network) -> RouterKind:
    """The kind of a network's own router, as `network_state` renders it."""
    if net.guest_type is GuestType.ISOLATED:
        return RouterKind.ISOLATED
    return RouterKind.ELASTIC if net.offering.elastic_ip or net.offering.elastic_lb else RouterKind.SHARED


def network_state(uow: SqlUnitOfWork, net: Network) -> RouterState:
    """The state of a network's own router (not a VPC tier's: its VPC's router serves it)."""
    return isolated_state(uow, net) if net.guest_type is GuestType.ISOLATED else shared_state(uow, net)


def publish_network(uow: SqlUnitOfWork, network_id: int) -> RouterPublished | None:
    """Publish the router of a network: its own, or its VPC's for a tier; None when it has no router."""
    net = uow.networks.network_by(id=network_id)
    if net is None or not has_router(net):
        return None
    vpc_id = uow.vpcs.vpc_id_of_network(net.id)
    if vpc_id is not None:
        return publish_vpc(uow, vpc_id)
    return _publish(uow, f"router:{net.uuid}", network_state(uow, net))


def _router_network(net: Network) -> None:
    if not has_router(net):
        raise Unsupported(f"Network {net.name} is a {net.guest_type} network: it has no virtual router")


def _read(uow: SqlUnitOfWork, target: str, kind: str, uuid: str, state: Callable[[], RouterState]) -> RouterConfig:
    published = uow.generations.get(target)
    stored = json.loads(published.documents) if published is not None and published.documents else {}
    if not {"addresses", "metadata_sum"} <= stored.keys():
        # Not published yet (or stored before routers had every document): what it will be, as generation 0.
        docs = _render(target, state())
        return RouterConfig(target, kind, uuid, 0, digest_of(docs), docs.iptables, docs.haproxy, docs.addresses,
                            docs.metadata)
    assert published is not None
    return RouterConfig(target, kind, uuid, published.generation, published.digest, stored["iptables"],
                        stored["haproxy"], stored["addresses"], document_of(uow.router_metadata.entries(target)))


def router_config(uow: SqlUnitOfWork, network_uuid: str | None, vpc_uuid: str | None) -> RouterConfig:
    """The published documents and generation of one router (root admin and operator: no ownership check).

    Only reads: no write transaction, no network lock, no allocation.
    """
    if (network_uuid is None) == (vpc_uuid is None):
        raise ParameterError("Give exactly one of networkid or vpcid")
    with uow.reading():
        if network_uuid is not None:
            net = uow.networks.network_by(uuid=network_uuid)
            if net is None:
                raise UnknownEntity("networkid", network_uuid)
            _router_network(net)
            vpc_id = uow.vpcs.vpc_id_of_network(net.id)
            if vpc_id is None:
                found = net
                return _read(uow, f"router:{net.uuid}", str(router_kind(net)), net.uuid,
                             lambda: network_state(uow, found))
            vpc = uow.vpcs.vpc_by(id=vpc_id)
        else:
            vpc = uow.vpcs.vpc_by(uuid=vpc_uuid)
            if vpc is None:
                raise UnknownEntity("vpcid", vpc_uuid or "")
        assert vpc is not None
        chosen = vpc
        return _read(uow, f"router:{vpc.uuid}", "vpc", vpc.uuid, lambda: vpc_state(uow, chosen))


def restart_network(uow: SqlUnitOfWork, caller: Caller, uuid: str, cleanup: bool) -> str:
    """Re-derive the network's router configuration from the stored state; rules and addresses persist.

    nicstack's router is its published configuration, so cleanup=true and false do the same: the
    job republishes it, and the documents come out identical unless the state changed (e.g. the
    network got its source-NAT address now that the zone has a free one).
    """
    with uow:
        net = lookup.network(uow, caller, uuid, "id")
        if net.guest_type is GuestType.ISOLATED and net.state == NetworkState.IMPLEMENTED:
            uow.networks.lock(net.id)
            ensure_source_nat(uow, net)
        uow.outbox.network(net.id)
        how = "with cleanup" if cleanup else "without cleanup"
        uow.events.record(caller, "NETWORK.RESTART", f"Restarted network {net.name} {how}",
                          account_id=net.account_id, domain_id=net.domain_id)
        return uow.start_job(caller, "restartNetwork", instance=("Network", net.uuid))


def restart_vpc(uow: SqlUnitOfWork, caller: Caller, vpc: Vpc) -> None:
    """Within the caller's transaction: the VPC's source NAT if it lacks one, and its router republished."""
    implemented = uow.vpcs.implemented_tiers(vpc.id)
    if implemented:
        tier = uow.networks.network_by(id=implemented[0])
        assert tier is not None
        ensure_source_nat(uow, tier)
    uow.outbox.vpc(vpc.id)
