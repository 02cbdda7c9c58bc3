"""The virtual router's rendered configuration: getRouterConfig, restartNetwork, and `nicstack render router`.

Each router (an isolated network or a VPC) is one data-plane target, "router:<uuid>". Its
generation number grows by one exactly when the rendered documents' digest differs from the one
last published; computing it holds the network (or VPC) row lock, so concurrent readers agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from nicstack import logs
from nicstack.db import tables as t
from nicstack.db.rows import now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import InternalError, ParameterError, UnknownEntity, Unsupported
from nicstack.domain.kinds import GuestType, NetworkState
from nicstack.domain.model import Network
from nicstack.domain.rules import Vpc
from nicstack.render.router import generation_key as digest_of
from nicstack.render.router import render_router
from nicstack.render.router_state import RouterState
from nicstack.services import lookup
from nicstack.services.public_ips import ensure_source_nat
from nicstack.services.router_state import isolated_state, vpc_state
from nicstack.services.rule_targets import Then


@dataclass(frozen=True, slots=True)
class RouterConfig:
    target: str
    kind: str
    uuid: str
    generation: int
    digest: str
    iptables: str
    haproxy: str


def publish(uow: SqlUnitOfWork, target: str, state: RouterState) -> RouterConfig:
    """Render the state and bump the target's generation if the digest changed (caller holds the row lock)."""
    try:
        docs = render_router(state)
    except ValueError as exc:
        raise InternalError(f"Cannot render the configuration of {target}: {exc}") from None
    digest = digest_of(docs)
    g = t.dataplane_generations
    row = uow.conn.execute(select(g.c.generation, g.c.digest).where(g.c.target == target)).first()
    if row is None:
        generation = 1
        uow.conn.execute(g.insert().values(target=target, generation=generation, digest=digest, updated=now()))
    elif row.digest != digest:
        generation = int(row.generation) + 1
        uow.conn.execute(g.update().where(g.c.target == target).values(generation=generation, digest=digest,
                                                                   updated=now()))
    else:
        generation = int(row.generation)
    if row is None or row.digest != digest:
        logs.published(target, generation, digest)
    return RouterConfig(target, str(state.kind), str(state.uuid), generation, digest, docs.iptables, docs.haproxy)


def _router_network(net: Network) -> None:
    if net.guest_type is not GuestType.ISOLATED:
        raise Unsupported(f"Network {net.name} is a {net.guest_type} network: it has no virtual router")


def refresh_vpc(uow: SqlUnitOfWork, vpc: Vpc) -> RouterConfig:
    uow.vpcs.lock(vpc.id)
    implemented = _implemented_tiers(uow, vpc.id)
    if implemented:
        tier = uow.networks.network_by(id=implemented[0])
        assert tier is not None
        ensure_source_nat(uow, tier)
    return publish(uow, f"router:{vpc.uuid}", vpc_state(uow, vpc))


def _implemented_tiers(uow: SqlUnitOfWork, vpc_id: int) -> list[int]:
    n = t.networks
    query = select(n.c.id).where(
        n.c.vpc_id == vpc_id, n.c.removed.is_(None), n.c.state == str(NetworkState.IMPLEMENTED)
    ).order_by(n.c.id)
    return list(uow.conn.execute(query).scalars())


def refresh_network(uow: SqlUnitOfWork, net: Network) -> RouterConfig:
    """Publish the router of a network: its own, or its VPC's for a tier."""
    _router_network(net)
    vpc_id = uow.vpcs.vpc_id_of_network(net.id)
    if vpc_id is not None:
        vpc = uow.vpcs.vpc_by(id=vpc_id)
        assert vpc is not None
        return refresh_vpc(uow, vpc)
    uow.networks.lock(net.id)
    if net.state == NetworkState.IMPLEMENTED:
        ensure_source_nat(uow, net)
    return publish(uow, f"router:{net.uuid}", isolated_state(uow, net))


def router_config(uow: SqlUnitOfWork, network_uuid: str | None, vpc_uuid: str | None) -> RouterConfig:
    """The documents and generation of one router (root admin and operator: no ownership check)."""
    if (network_uuid is None) == (vpc_uuid is None):
        raise ParameterError("Give exactly one of networkid or vpcid")
    with uow:
        if network_uuid is not None:
            net = uow.networks.network_by(uuid=network_uuid)
            if net is None:
                raise UnknownEntity("networkid", network_uuid)
            return refresh_network(uow, net)
        assert vpc_uuid is not None
        vpc = uow.vpcs.vpc_by(uuid=vpc_uuid)
        if vpc is None:
            raise UnknownEntity("vpcid", vpc_uuid)
        return refresh_vpc(uow, vpc)


def restart_network(uow: SqlUnitOfWork, caller: Caller, uuid: str, cleanup: bool, then: Then[Network]) -> str:
    """Re-derive the network's router configuration from the stored state; rules and addresses persist.

    nicstack's router is its rendered configuration, so cleanup=true and false do the same: the
    documents come out identical unless the state changed (e.g. a source-NAT address became available).
    """
    with uow:
        net = lookup.network(uow, caller, uuid, "id")
        config = refresh_network(uow, net) if net.guest_type is GuestType.ISOLATED else None
        how = "with cleanup" if cleanup else "without cleanup"
        shown = f": router configuration generation {config.generation}" if config else ""
        uow.events.record(caller, "NETWORK.RESTART", f"Restarted network {net.name} {how}{shown}",
                      account_id=net.account_id, domain_id=net.domain_id)
        return then(uow, net)
