"""The virtual routers' documents: published by job steps, read by getRouterConfig and `nicstack render router`.

Each router (an isolated network, a VPC, or a shared network) is one data-plane target, "router:<uuid>". A job step
renders the router from the committed state and stores the documents as generation + 1 when
their digest differs from the last one; readers only read what was published. The metadata
document is kept as one row per VM (its entry's base) and one per NIC address, and enters the digest
as the sum of their hashes: a change of VMs alone rewrites their rows without rendering the router,
and an address added to or taken from a NIC rewrites that address's rows alone.
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
from nicstack.render.metadata import (
    assemble,
    base_hash,
    document_of,
    part_hash,
    split_entry,
    sum_digest,
    vm_entry,
)
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
    split = {str(vm.uuid): split_entry(vm_entry(vm)) for vm in state.metadata.vms}
    uow.router_metadata.write(target, uow.router_metadata.of(target), {uuid: base for uuid, (base, _) in split.items()})
    wanted = {(target, nic, address): index for _, parts in split.values()
              for index, (nic, address) in enumerate(parts)}
    stored = uow.router_metadata.addresses_on(target)
    uow.router_metadata.apply_addresses({part: at for part, at in wanted.items() if stored.get(part) != at},
                                        [part for part in stored if part not in wanted])
    total = sum(base_hash(base) for base, _ in split.values()) + sum(part_hash(nic, a) for _, nic, a in wanted)
    return _advance(uow, target, known, {"iptables": docs.iptables, "haproxy": docs.haproxy,
                                         "addresses": docs.addresses, "metadata_sum": sum_digest(total)})


@dataclass(frozen=True, slots=True)
class VmsOnRouter:
    """A router of a metadata pass: its target, a network it serves, every network it serves, the pass's VMs
    that it lists (or listed)."""

    target: str
    network_id: int
    served: list[int]
    vm_ids: list[int]


# What a metadata pass has for a VM: the (NIC id, address) pairs added or taken alone, or None: anything.
Due = frozenset[tuple[int, str]] | None
Part = tuple[str, str, str]  # (router, NIC uuid, address): one address of a router's metadata


def publish_vms(uow: SqlUnitOfWork, due: Mapping[int, Due], on: Sequence[VmsOnRouter]) -> list[RouterPublished]:
    """A change of the VMs `due` names only (their addresses, user data): the metadata rows of each router `on`
    names, rewritten for its VMs alone, so the cost does not grow with the VMs of a network. A router's other
    documents stay as published (a change of rules publishes the whole router). A VM whose addresses alone
    changed has those addresses' rows written and nothing else: the cost does not grow with its addresses.

    Routers are locked in target order (concurrent passes cannot deadlock) before the stored rows and the
    committed state are read: a pass that waited for another one's lock reads what that one committed, so
    it cannot write an older entry over a newer one. Then the whole pass reads the stored rows at once and
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
    routers = [router for router, _, _ in locked]
    uuids = uow.vms.uuids_of(sorted(due))
    bases = uow.router_metadata.of_vms(sorted({uuids[v] for router in routers for v in router.vm_ids}))
    # A VM's addresses alone are written where every router of the pass lists its entry; elsewhere it is read whole.
    alone = {vm_id: held for vm_id, held in due.items() if held is not None and all(
        (router.target, uuids[vm_id]) in bases for router in routers if vm_id in router.vm_ids)}
    writes = _Writes(bases)
    writes.whole(uow, routers, uuids, [vm_id for vm_id in sorted(due) if vm_id not in alone])
    writes.alone(uow, routers, alone)
    for router, known, stored in locked:
        total = int(stored["metadata_sum"], 16) + writes.moved.get(router.target, 0)
        done.append(_advance(uow, router.target, known, {**stored, "metadata_sum": sum_digest(total)}))
    uow.router_metadata.apply({key: bases[key] for key in writes.bases if key in bases},
                              {key: base for key, base in writes.bases.items() if base is not None})
    uow.router_metadata.apply_addresses(writes.put, writes.drop)
    return sorted(done, key=lambda r: r.target)


class _Writes:
    """A metadata pass's rows to write, and how far each router's sum of hashes moves with them."""

    def __init__(self, bases: Mapping[tuple[str, str], str]) -> None:
        self.stored = bases  # (router, VM uuid) -> the entry's base as stored
        self.bases: dict[tuple[str, str], str | None] = {}  # -> the new base; None: the router drops the VM
        self.put: dict[Part, int] = {}  # -> position
        self.drop: list[Part] = []
        self.moved: dict[str, int] = {}

    def _move(self, target: str, by: int) -> None:
        self.moved[target] = self.moved.get(target, 0) + by

    def whole(self, uow: SqlUnitOfWork, on: Sequence[VmsOnRouter], uuids: Mapping[int, str], vm_ids: list[int]
              ) -> None:
        """The VMs rendered anew, base and addresses, on each router that lists them or listed them."""
        if not vm_ids:
            return
        entries = {vm_id: (split_entry(entry), networks) for vm_id, (entry, networks) in
                   entries_of_vms(uow, vm_ids).items()}
        rendered = {uuids[vm_id] for vm_id in vm_ids}
        listed = {key: {nic["uuid"] for nic in json.loads(base)["nics"]} for key, base in self.stored.items()
                  if key[1] in rendered}
        nics = {nic for held in listed.values() for nic in held}
        nics |= {nic for (_, parts), _ in entries.values() for nic, _ in parts}
        stored: dict[tuple[str, str], dict[Part, int]] = {}  # (router, NIC uuid) -> its stored addresses
        for part, at in uow.router_metadata.addresses_of(sorted(nics)).items():
            stored.setdefault(part[:2], {})[part] = at
        for router in on:
            for vm_id in (v for v in router.vm_ids if v in vm_ids):
                key = (router.target, uuids[vm_id])
                old, before = self.stored.get(key), listed.get(key, set())
                found = entries.get(vm_id)
                base, parts = found[0] if found is not None and found[1].intersection(router.served) else (None, [])
                self.bases[key] = base
                self._move(router.target, (base_hash(base) if base else 0) - (base_hash(old) if old else 0))
                wanted = {(router.target, nic, address): at for at, (nic, address) in enumerate(parts)}
                for nic in before | {nic for nic, _ in parts}:
                    for part in stored.get((router.target, nic), {}):
                        if nic in before:  # counted in the router's sum: a NIC's rows outside its base never are
                            self._move(router.target, -part_hash(nic, part[2]))
                        if part not in wanted:
                            self.drop.append(part)
                for part, at in wanted.items():
                    self._move(router.target, part_hash(part[1], part[2]))
                    if stored.get(part[:2], {}).get(part) != at:
                        self.put[part] = at

    def alone(self, uow: SqlUnitOfWork, on: Sequence[VmsOnRouter], due: Mapping[int, frozenset[tuple[int, str]]]
              ) -> None:
        """The VMs' addresses added or taken, each written (or dropped) as the committed state has it now."""
        if not due:
            return
        nic_uuids, held = uow.vms.secondaries_at(pair for pairs in due.values() for pair in pairs)
        stored = uow.router_metadata.addresses_of(sorted(set(nic_uuids.values())),
                                                  sorted({address for pairs in due.values() for _, address in pairs}))
        for router in on:
            for vm_id in router.vm_ids:
                for nic_id, address in sorted(due.get(vm_id, ())):
                    if nic_id not in nic_uuids:
                        continue  # the NIC is gone: the VM's whole change, queued with it, drops its rows
                    part = (router.target, nic_uuids[nic_id], address)
                    at = held.get((nic_id, address))
                    # An address kept keeps its place; one added goes after every address listed (a
                    # secondary's id is larger than any list index and grows in the order added).
                    if at is not None and part not in stored and part not in self.put:
                        self.put[part] = at
                        self._move(router.target, part_hash(part[1], address))
                    elif at is None and part in stored and part not in self.drop:
                        self.drop.append(part)
                        self._move(router.target, -part_hash(part[1], address))


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
                        stored["haproxy"], stored["addresses"], document_of(published_entries(uow, target)))


def published_entries(uow: SqlUnitOfWork, target: str) -> list[str]:
    """The router's metadata entries as last published, in VM uuid order: its document's lines."""
    bases, addresses = uow.router_metadata.entries(target)
    return [assemble(base, addresses) for base in bases]


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
