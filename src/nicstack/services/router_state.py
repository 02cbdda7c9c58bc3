"""Read the desired state of one virtual router (an isolated network, a VPC, a shared network) from the database.

Interfaces follow CloudStack's routers: an isolated router has its guest network on eth0 and the
public side on eth2; a VPC router has the public side on eth1 and one interface per tier from eth2
on, in the order the tiers were created. A shared network's router has the public side on eth2 and
one guest interface per subnet from eth0 on (eth2 skipped): an Advanced shared network's own, or
in a Basic zone one per pod (the tier is the pod: its uuid names it to `--guest-dev`).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from uuid import UUID

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.errors import InternalError
from nicstack.domain.kinds import ZoneType
from nicstack.domain.model import Network
from nicstack.domain.network_acls import AclAction, TrafficType
from nicstack.domain.rules import Vpc
from nicstack.domain.vocabulary import Direction, PortRange
from nicstack.render.router_state import (
    PUBLIC_INTERFACE,
    AclRule,
    AddressRole,
    EgressRule,
    FirewallRule,
    GuestTarget,
    GuestTier,
    IpForward,
    LoadBalancer,
    PortForward,
    PublicIp,
    RouterKind,
    RouterState,
    TierAcl,
)
from nicstack.services.metadata_state import metadata_for

VPC_PUBLIC_INTERFACE = "eth1"
VPC_FIRST_TIER_DEVICE = 2


def _guests(uow: SqlUnitOfWork, network_ids: list[int]) -> dict[str, GuestTarget]:
    """Every IPv4 guest address of the networks (primary and secondary), by address."""
    n, vm, s = t.nics, t.vms, t.nic_secondary_ips
    found: dict[str, GuestTarget] = {}
    primaries = uow.conn.execute(
        select(n.c.uuid, n.c.ip4_address, vm.c.uuid.label("vm_uuid"), vm.c.name)
        .select_from(n.join(vm, vm.c.id == n.c.vm_id))
        .where(n.c.network_id.in_(network_ids), n.c.removed.is_(None), n.c.ip4_address.is_not(None))
    )
    for row in primaries:
        found[row.ip4_address] = GuestTarget(UUID(row.vm_uuid), row.name, UUID(row.uuid), IPv4Address(row.ip4_address))
    secondaries = uow.conn.execute(
        select(s.c.ip4_address, n.c.uuid, vm.c.uuid.label("vm_uuid"), vm.c.name)
        .select_from(s.join(n, n.c.id == s.c.nic_id).join(vm, vm.c.id == s.c.vm_id))
        .where(s.c.network_id.in_(network_ids), s.c.ip4_address.is_not(None))
    )
    for row in secondaries:
        found[row.ip4_address] = GuestTarget(
            UUID(row.vm_uuid), row.name, UUID(row.uuid), IPv4Address(row.ip4_address), AddressRole.SECONDARY
        )
    return found


def _target(guests: dict[str, GuestTarget], address: str, what: str) -> GuestTarget:
    found = guests.get(address)
    if found is None:
        # Rules and releases share the network lock, so this means the database was edited by hand.
        raise InternalError(f"{what} targets {address}, which is no guest address of the router's networks")
    return found


def _cidrs(items: tuple[str, ...]) -> tuple[IPv4Network, ...]:
    return tuple(IPv4Network(c) for c in items)


def _rules(
    uow: SqlUnitOfWork, network_ids: list[int], guests: dict[str, GuestTarget], firewall: bool
) -> tuple[tuple[PortForward, ...], tuple[LoadBalancer, ...], tuple[FirewallRule, ...]]:
    pfs = tuple(
        PortForward(
            UUID(r.base.uuid), IPv4Address(r.base.ip_address), r.protocol,
            PortRange(r.public_start, r.public_end), PortRange(r.private_start, r.private_end),
            _target(guests, r.dest_ip, f"port forwarding rule {r.base.uuid}"), _cidrs(r.cidr_list),
        )
        for r in uow.rules.port_forwards(t.port_forwarding_rules.c.network_id.in_(network_ids))
    )
    lb_rules = uow.load_balancers.rules(t.load_balancing_rules.c.network_id.in_(network_ids))
    members = uow.load_balancers.members([r.base.id for r in lb_rules])
    lbs = tuple(
        LoadBalancer(
            UUID(r.base.uuid), r.name, IPv4Address(r.base.ip_address), r.public_port, r.private_port,
            r.algorithm,
            tuple(_target(guests, m.address, f"load balancer rule {r.base.uuid}") for m in members.get(r.base.id, [])),
            _cidrs(r.cidr_list),
        )
        for r in lb_rules
    )
    fws = tuple(
        FirewallRule(
            UUID(r.base.uuid), IPv4Address(r.base.ip_address), r.protocol,
            PortRange(r.start_port, r.end_port or r.start_port) if r.start_port is not None else None,
            r.icmp_type, r.icmp_code if r.icmp_type is not None else None, _cidrs(r.cidr_list),
        )
        for r in (uow.rules.firewall_rules(t.firewall_rules.c.network_id.in_(network_ids)) if firewall else [])
    )
    return pfs, lbs, fws


def _ip_forwards(uow: SqlUnitOfWork, network_ids: list[int]) -> tuple[IpForward, ...]:
    return tuple(
        IpForward(UUID(r.base.uuid), IPv4Address(r.base.ip_address), r.protocol, PortRange(r.start_port, r.end_port))
        for r in uow.rules.ip_forwards(t.ip_forwarding_rules.c.network_id.in_(network_ids))
    )


def _egress(uow: SqlUnitOfWork, network_id: int) -> tuple[EgressRule, ...]:
    return tuple(
        EgressRule(
            UUID(r.uuid), r.protocol,
            PortRange(r.start_port, r.end_port or r.start_port) if r.start_port is not None else None,
            r.icmp_type, r.icmp_code if r.icmp_type is not None else None, _cidrs(r.cidr_list),
            _cidrs(r.dest_cidr_list),
        )
        for r in uow.rules.egress_rules(t.egress_firewall_rules.c.network_id == network_id)
    )


Public = tuple[tuple[PublicIp, ...], IPv4Address | None]


def _public(uow: SqlUnitOfWork, where: object, guests: dict[str, GuestTarget]) -> Public:
    """The router's public addresses, each with its range's subnet, and the default gateway: the source NAT
    address's range gateway, else the first address's."""
    found = []
    rows = uow.public_ips.ips(where)
    ranges = {r.id: r for r in uow.public_ips.ranges(t.vlan_ip_ranges.c.id.in_({ip.range_id for ip in rows}))}
    gateways: list[tuple[bool, IPv4Address]] = []
    for ip in rows:
        nat = _target(guests, ip.vm_ip, f"static NAT of {ip.address}") if ip.is_static_nat and ip.vm_ip else None
        subnet = None
        vlan = ranges.get(ip.range_id)
        if vlan is not None and vlan.gateway and vlan.netmask:
            subnet = IPv4Network(f"{vlan.gateway}/{vlan.netmask}", strict=False)
            gateways.append((not ip.is_source_nat, IPv4Address(vlan.gateway)))
        found.append(PublicIp(UUID(ip.uuid), IPv4Address(ip.address), ip.is_source_nat, nat, subnet))
    return tuple(found), min(gateways, key=lambda g: g[0])[1] if gateways else None


def isolated_state(uow: SqlUnitOfWork, net: Network) -> RouterState:
    assert net.cidr is not None and net.gateway is not None
    tier = GuestTier(UUID(net.uuid), net.name, IPv4Network(net.cidr), IPv4Address(net.gateway))
    guests = _guests(uow, [net.id])
    public, gateway = _public(uow, t.public_ips.c.network_id == net.id, guests)
    pfs, lbs, fws = _rules(uow, [net.id], guests, firewall=True)
    return RouterState(RouterKind.ISOLATED, UUID(net.uuid), (tier,), public, pfs, lbs, fws, public_gateway=gateway,
                       metadata=metadata_for(uow, [net.id]), ip_forwards=_ip_forwards(uow, [net.id]),
                       egress_rules=_egress(uow, net.id), egress_default_allow=net.offering.egress_default_allow)


def vpc_state(uow: SqlUnitOfWork, vpc: Vpc) -> RouterState:
    n = t.networks
    rows = uow.conn.execute(
        select(n.c.id, n.c.uuid, n.c.name, n.c.cidr, n.c.gateway, n.c.network_acl_id)
        .where(n.c.vpc_id == vpc.id, n.c.removed.is_(None), n.c.cidr.is_not(None))
        .order_by(n.c.id)
    ).all()
    tiers = tuple(
        GuestTier(UUID(r.uuid), r.name, IPv4Network(r.cidr), IPv4Address(r.gateway), f"eth{VPC_FIRST_TIER_DEVICE + i}")
        for i, r in enumerate(rows)
    )
    ids = [r.id for r in rows]
    guests = _guests(uow, ids)
    public, gateway = _public(uow, t.public_ips.c.vpc_id == vpc.id, guests)
    pfs, lbs, _ = _rules(uow, ids, guests, firewall=False)
    lists = {r.uuid: r.network_acl_id for r in rows if r.network_acl_id is not None}
    return RouterState(RouterKind.VPC, UUID(vpc.uuid), tiers, public, pfs, lbs, (), VPC_PUBLIC_INTERFACE, gateway,
                       metadata_for(uow, ids), _tier_acls(uow, lists), _ip_forwards(uow, ids))


def _shared_tiers(uow: SqlUnitOfWork, net: Network, holds_gateway: bool) -> tuple[GuestTier, ...]:
    """An Advanced shared network's subnet, or each Basic-zone pod's (its guest ranges' gateway and netmask)."""
    zone = uow.infra.zone_by(id=net.zone_id)
    subnets: dict[IPv4Network, tuple[str, str, IPv4Address]] = {}
    if zone is not None and zone.network_type is ZoneType.BASIC:
        for r in sorted(uow.guest_ranges.of_network(net.id), key=lambda r: r.id):
            if r.gateway and r.netmask and r.pod_uuid:
                cidr = IPv4Network(f"{r.gateway}/{r.netmask}", strict=False)
                subnets.setdefault(cidr, (r.pod_uuid, r.pod_name or r.pod_uuid, IPv4Address(r.gateway)))
    elif net.cidr is not None and net.gateway is not None:
        subnets[IPv4Network(net.cidr)] = (net.uuid, net.name, IPv4Address(net.gateway))
    devices = (f"eth{i}" for i in range(64) if f"eth{i}" != PUBLIC_INTERFACE)
    return tuple(GuestTier(UUID(uuid), name, cidr, gateway, next(devices), holds_gateway)
                 for cidr, (uuid, name, gateway) in subnets.items())


def shared_state(uow: SqlUnitOfWork, net: Network) -> RouterState:
    """A shared network's router: with an elastic offering the guests' gateway, serving static NAT and load
    balancing for its elastic IPs (no source NAT, no firewall: security groups guard the guests); otherwise
    metadata only."""
    elastic = net.offering.elastic_ip or net.offering.elastic_lb
    tiers = _shared_tiers(uow, net, holds_gateway=elastic)
    metadata = metadata_for(uow, [net.id])
    if not elastic:
        return RouterState(RouterKind.SHARED, UUID(net.uuid), tiers, metadata=metadata)
    guests = _guests(uow, [net.id])
    public, gateway = _public(uow, t.public_ips.c.network_id == net.id, guests)
    pfs, lbs, _ = _rules(uow, [net.id], guests, firewall=False)
    return RouterState(RouterKind.ELASTIC, UUID(net.uuid), tiers, public, pfs, lbs, (), public_gateway=gateway,
                       metadata=metadata)


def _tier_acls(uow: SqlUnitOfWork, lists: dict[str, int]) -> tuple[TierAcl, ...]:
    """Each tier's ACL list with its items (-1, CloudStack's "any" ICMP type or code, is no match)."""
    if not lists:
        return ()
    items, _ = uow.network_acls.items([t.network_acl_items.c.acl_id.in_(set(lists.values()))])
    rules: dict[int, list[AclRule]] = {}
    uuids: dict[int, str] = {}
    for item in items:
        uuids[item.acl.id] = item.acl.uuid
        match = item.match
        icmp_type = None if match.icmp_type in (None, -1) else match.icmp_type
        icmp_code = None if icmp_type is None or match.icmp_code == -1 else match.icmp_code
        rules.setdefault(item.acl.id, []).append(AclRule(
            UUID(item.uuid), item.number,
            Direction.INGRESS if item.traffic_type is TrafficType.INGRESS else Direction.EGRESS,
            item.action is AclAction.ALLOW, match.protocol, match.ports, icmp_type, icmp_code, match.cidrs,
        ))
    acl_uuids = {acl_id: uuids.get(acl_id) or _list_uuid(uow, acl_id) for acl_id in set(lists.values())}
    return tuple(TierAcl(UUID(tier), UUID(acl_uuids[acl_id]), tuple(rules.get(acl_id, ())))
                 for tier, acl_id in sorted(lists.items()))


def _list_uuid(uow: SqlUnitOfWork, acl_id: int) -> str:
    found = uow.network_acls.list_by(id=acl_id)
    if found is None:
        raise InternalError(f"a tier uses ACL list {acl_id}, which does not exist")
    return found.uuid
