"""createNetwork with a shared offering: Advanced shared networks (with or without security groups), Basic zones.

A shared network belongs to a domain (acltype Domain: usable by every account in the domain's
subtree) or to one account (acltype Account). Its guest addresses come only from its IP
ranges; a Basic zone's one network takes them from each pod's ranges.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_use_domain
from nicstack.domain.errors import ParameterError, PermissionDenied, UnknownEntity
from nicstack.domain.kinds import GuestType, NetworkState, ZoneType
from nicstack.domain.model import Account, Network, NetworkOffering, Zone
from nicstack.ipam.addresses import network_from_gateway, parse_address, parse_ipv4, parse_network
from nicstack.services.guest_ranges import RangeSpec, add_range, adopt_pod, basic_network, vlan_of
from nicstack.services.ports import UnitOfWork

if TYPE_CHECKING:
    from nicstack.services.networks import NewNetwork

SECURITY_GROUP = "SecurityGroup"
ACL_TYPES = {"account": "Account", "domain": "Domain"}


def uses_security_groups(net: Network) -> bool:
    """True for networks whose guests are isolated by security groups (Basic zones, Advanced SG networks)."""
    return SECURITY_GROUP in net.offering.services


def ensure_may_manage(caller: Caller, net: Network) -> None:
    """Users may use a domain-wide shared network, not change or delete it: that is its domain's admins' call."""
    if net.account_id is None and not (caller.is_admin and may_use_domain(caller, net.domain_path)):
        raise PermissionDenied(f"Network {net.name} is shared by its domain: only its administrators may change it")


def record_usage(
    uow: UnitOfWork, caller: Caller, net: Network, vm: tuple[str, int, int], addresses: Sequence[object], event: str
) -> None:
    """Usage events for addresses of shared networks (NET.IPASSIGN / NET.IPRELEASE), as CloudStack bills them:
    one per address. `vm`: its name, account id and domain id.
    """
    if net.guest_type is GuestType.SHARED:
        name, account_id, domain_id = vm
        verb = "Assigned" if event == "NET.IPASSIGN" else "Released"
        uow.events.record_many(caller, event, [f"{verb} guest IP {a} of shared network {net.name} (VM {name})"
                                               for a in addresses], account_id=account_id, domain_id=domain_id)


def _acl_type(spec: NewNetwork, owner: Account | None) -> str:
    if spec.acl_type is None:
        return "Account" if owner is not None else "Domain"
    found = ACL_TYPES.get(spec.acl_type.strip().lower())
    if found is None:
        raise ParameterError(f"Invalid value {spec.acl_type!r} for acltype: use Account or Domain")
    if found == "Account" and owner is None:
        raise ParameterError("acltype Account needs the owning account: give account and domainid")
    return found


def _domain_id(uow: SqlUnitOfWork, caller: Caller, spec: NewNetwork, owner: Account | None) -> int:
    if owner is not None:
        return owner.domain_id
    if spec.domain_uuid is None:
        return caller.domain_id
    domain = uow.accounts.domain_by(uuid=spec.domain_uuid)
    if domain is None or not may_use_domain(caller, domain.path):
        raise UnknownEntity("domainid", spec.domain_uuid)
    return domain.id


def _range_spec(spec: NewNetwork, net: Network) -> RangeSpec:
    return RangeSpec(
        start_ip=spec.start_ip, end_ip=spec.end_ip, gateway=spec.gateway, netmask=spec.netmask, vlan=spec.vlan,
        start_ipv6=spec.start_ipv6, end_ipv6=spec.end_ipv6, ip6_gateway=net.ip6_gateway, ip6_cidr=net.ip6_cidr,
    )


def _advanced_layout(zone: Zone, offering: NetworkOffering, spec: NewNetwork) -> dict[str, Any]:
    if SECURITY_GROUP in offering.services and not zone.security_groups_enabled:
        raise ParameterError(f"Zone {zone.name} does not have security groups enabled: offering {offering.name} "
                             "needs a zone created with securitygroupenabled=true")
    if spec.start_ip is None and spec.start_ipv6 is None:
        raise ParameterError("A shared network needs an IP range: startip (with gateway and netmask) and/or "
                             "startipv6 (with ip6cidr)")
    values: dict[str, Any] = {"vlan": vlan_of(spec.vlan, None)}
    if spec.start_ip is not None:
        if not (spec.gateway and spec.netmask):
            raise ParameterError("A shared network's IPv4 range needs gateway and netmask")
        gateway = parse_ipv4(spec.gateway, "gateway")
        values |= {"cidr": str(network_from_gateway(gateway, spec.netmask)), "gateway": str(gateway)}
    if spec.start_ipv6 is not None:
        if not spec.ip6_cidr:
            raise ParameterError("A shared network's IPv6 range needs ip6cidr")
        cidr = parse_network(spec.ip6_cidr, "ip6cidr")
        gateway6 = parse_address(spec.ip6_gateway, "ip6gateway") if spec.ip6_gateway else cidr.network_address + 1
        values |= {"ip6_cidr": str(cidr), "ip6_gateway": str(gateway6)}
    return values


def _basic_layout(uow: SqlUnitOfWork, zone: Zone, offering: NetworkOffering, spec: NewNetwork) -> dict[str, Any]:
    if SECURITY_GROUP not in offering.services:
        raise ParameterError(f"Zone {zone.name} is a Basic zone: its network needs an offering with security "
                             "groups, e.g. DefaultSharedNetworkOfferingWithSGService")
    if basic_network(uow, zone.id) is not None:
        raise ParameterError(f"Basic zone {zone.name} already has its guest network")
    if any(v is not None for v in (spec.start_ip, spec.gateway, spec.start_ipv6, spec.ip6_cidr)):
        raise ParameterError(f"In Basic zone {zone.name} guest addresses come from each pod's ranges: give them "
                             "with createPod (startip/endip) or createVlanIpRange (podid)")
    return {"vlan": vlan_of(spec.vlan, None)}


def create_shared(
    uow: SqlUnitOfWork, caller: Caller, spec: NewNetwork, zone: Zone, offering: NetworkOffering, owner: Account | None
) -> Network:
    """Create a shared network and its first range inside the caller's transaction."""
    if not caller.is_admin:
        raise PermissionDenied(f"Only administrators may create shared networks such as {spec.name}")
    acl = _acl_type(spec, owner)
    basic = zone.network_type is ZoneType.BASIC
    layout = _basic_layout(uow, zone, offering, spec) if basic else _advanced_layout(zone, offering, spec)
    network_id = uow.networks.create(
        name=spec.name, display_text=spec.display_text or spec.name, zone_id=zone.id,
        network_offering_id=offering.id, guest_type="Shared", acl_type=acl, state=str(NetworkState.ALLOCATED),
        account_id=owner.id if acl == "Account" and owner else None,
        domain_id=_domain_id(uow, caller, spec, owner), **layout,
    )
    net = uow.networks.network_by(id=network_id)
    assert net is not None
    if basic:
        for pod in uow.infra.pods(zone_id=zone.id):
            adopt_pod(uow, pod, net)
    else:
        add_range(uow, net, None, _range_spec(spec, net))
    uow.events.record(caller, "NETWORK.CREATE", f"Created shared network {spec.name} in zone {zone.name}",
                  account_id=owner.id if owner else None, domain_id=net.domain_id)
    uow.outbox.network(net.id)  # its router (metadata; elastic IPs) exists from now on
    return net
