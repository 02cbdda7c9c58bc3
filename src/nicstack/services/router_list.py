"""listRouters: every virtual router (one per isolated or shared network, one per VPC), its addresses, data plane.

nicstack keeps no router VM: a router is its network's (or VPC's) data-plane target, served by the
agent that applies its documents. Its id is derived from the target, so it is stable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from ipaddress import IPv4Network

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.dataplane import TargetState
from nicstack.domain.errors import UnknownEntity
from nicstack.domain.kinds import GuestType, NetworkState
from nicstack.domain.rules import Owner
from nicstack.services.agents import router_id


@dataclass(frozen=True, slots=True)
class Guest:
    network_uuid: str
    network_name: str
    gateway: str | None
    netmask: str | None


@dataclass(frozen=True, slots=True)
class RouterInfo:
    id: str
    name: str
    target: str
    state: str
    zone_uuid: str
    zone_name: str
    owner: Owner | None
    guests: tuple[Guest, ...]
    vpc_uuid: str | None
    vpc_name: str | None
    public_ip: str | None
    public_netmask: str | None
    public_gateway: str | None
    created: datetime
    dataplane: TargetState


@dataclass(frozen=True, slots=True)
class RouterFilter:
    id: str | None = None
    name: str | None = None
    zone: str | None = None
    network: str | None = None
    vpc: str | None = None
    state: str | None = None
    keyword: str | None = None

    def admits(self, r: RouterInfo) -> bool:
        return all((
            self.id in (None, r.id), self.name in (None, r.name), self.zone in (None, r.zone_uuid),
            self.vpc in (None, r.vpc_uuid), self.state is None or self.state.lower() == r.state.lower(),
            self.network is None or any(g.network_uuid == self.network for g in r.guests),
            not self.keyword or self.keyword.lower() in r.name.lower(),
        ))


def _source_nat(uow: SqlUnitOfWork, where: object) -> tuple[str | None, str | None, str | None]:
    found = [ip for ip in uow.public_ips.ips(where) if ip.is_source_nat]
    if not found:
        return None, None, None
    vlan = uow.public_ips.ranges(t.vlan_ip_ranges.c.id == found[0].range_id)
    if not vlan:
        return found[0].address, None, None
    return found[0].address, vlan[0].netmask, vlan[0].gateway


def list_routers(uow: SqlUnitOfWork, wanted: RouterFilter) -> list[RouterInfo]:
    """Every router, isolated networks', shared networks', then VPCs', in creation order (root admin: no
    ownership filter)."""
    n = t.networks
    found: list[RouterInfo] = []
    with uow.reading():
        isolated, _ = uow.networks.listing([n.c.guest_type == str(GuestType.ISOLATED), n.c.vpc_id.is_(None),
                                              n.c.removed.is_(None)], None)
        for net in isolated:
            target = f"router:{net.uuid}"
            owner = Owner(net.account_id, net.account_name, net.domain_id, net.domain_uuid, net.domain_name,
                          net.domain_path) if net.account_id is not None and net.account_name else None
            up = "Running" if net.state == NetworkState.IMPLEMENTED else "Stopped"
            found.append(RouterInfo(
                router_id(target), f"r-{net.id}-VM", target, up, net.zone_uuid, net.zone_name, owner,
                (Guest(net.uuid, net.name, net.gateway, net.netmask),), None, None,
                *_source_nat(uow, t.public_ips.c.network_id == net.id), net.created,
                TargetState(target, 0, None, None),
            ))
        shared, _ = uow.networks.listing([n.c.guest_type == str(GuestType.SHARED), n.c.removed.is_(None)], None)
        for net in shared:
            # A shared network's router (metadata; elastic IPs) runs from its creation: it has no source NAT.
            target = f"router:{net.uuid}"
            found.append(RouterInfo(
                router_id(target), f"r-{net.id}-VM", target, "Running", net.zone_uuid, net.zone_name, None,
                (Guest(net.uuid, net.name, net.gateway, net.netmask),), None, None, None, None, None, net.created,
                TargetState(target, 0, None, None),
            ))
        all_vpcs, _ = uow.vpcs.listing([], None)
        for vpc in all_vpcs:
            target = f"router:{vpc.uuid}"
            tiers = tuple(
                Guest(uuid, name, gateway, str(IPv4Network(cidr).netmask) if cidr else None)
                for _, uuid, name, gateway, cidr in _tiers(uow, vpc.id)
            )
            found.append(RouterInfo(
                router_id(target), f"r-{vpc.id}-VPC", target, "Running" if tiers else "Stopped", vpc.zone_uuid,
                vpc.zone_name, vpc.owner, tiers, vpc.uuid, vpc.name,
                *_source_nat(uow, t.public_ips.c.vpc_id == vpc.id), vpc.created, TargetState(target, 0, None, None),
            ))
        _check_filter(uow, wanted, found)
        chosen = [r for r in found if wanted.admits(r)]
        states = uow.agents.states([r.target for r in chosen])
    return [replace(r, dataplane=states[r.target]) for r in chosen]


def _check_filter(uow: SqlUnitOfWork, wanted: RouterFilter, found: list[RouterInfo]) -> None:
    """A filter naming something that does not exist is refused, as CloudStack refuses unknown uuids."""
    if wanted.id is not None and not any(r.id == wanted.id for r in found):
        raise UnknownEntity("id", wanted.id)
    if wanted.zone is not None and uow.infra.zone_by(uuid=wanted.zone) is None:
        raise UnknownEntity("zoneid", wanted.zone)
    if wanted.network is not None and uow.networks.network_by(uuid=wanted.network) is None:
        raise UnknownEntity("networkid", wanted.network)
    if wanted.vpc is not None and uow.vpcs.vpc_by(uuid=wanted.vpc) is None:
        raise UnknownEntity("vpcid", wanted.vpc)


def _tiers(uow: SqlUnitOfWork, vpc_id: int) -> list[tuple[int, str, str, str | None, str | None]]:
    n = t.networks
    rows = uow.conn.execute(n.select().with_only_columns(n.c.id, n.c.uuid, n.c.name, n.c.gateway, n.c.cidr)
                        .where(n.c.vpc_id == vpc_id, n.c.removed.is_(None)).order_by(n.c.id)).tuples()
    return list(rows)
