"""Use cases of guest IP ranges: the ranges shared networks and Basic-zone pods hand addresses out of.

The public side of createVlanIpRange / listVlanIpRanges / deleteVlanIpRange lives in
`public_ranges`; their handlers call in here when a request names a network or a pod, or
says forvirtualnetwork=false. A range is never materialised address by address: its
addresses are taken through the allocator and counted on the allocations index.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv6Network, ip_address
from typing import Any

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, ResourceInUse, UnknownEntity
from nicstack.domain.ip_ranges import GuestRange, check_span, overlapping
from nicstack.domain.kinds import GuestType, ZoneType
from nicstack.domain.model import Network, Pod
from nicstack.ipam.addresses import IPAddress, network_from_gateway, parse_address, parse_ipv4, parse_network
from nicstack.services import lookup

r = t.vlan_ip_ranges


@dataclass(frozen=True, slots=True)
class RangeSpec:
    """What a request says about a guest range; blanks default to the network's (or pod's) subnet."""

    start_ip: str | None = None
    end_ip: str | None = None
    gateway: str | None = None
    netmask: str | None = None
    vlan: str | None = None
    start_ipv6: str | None = None
    end_ipv6: str | None = None
    ip6_gateway: str | None = None
    ip6_cidr: str | None = None


@dataclass(frozen=True, slots=True)
class NewGuestRange:
    spec: RangeSpec
    zone_uuid: str | None = None
    network_uuid: str | None = None
    pod_uuid: str | None = None


@dataclass(frozen=True, slots=True)
class RangeFilter:
    """listVlanIpRanges: the one range `uuid`, or the ranges matching the rest (None: any)."""

    uuid: str | None = None
    zone_uuid: str | None = None
    network_uuid: str | None = None
    pod_uuid: str | None = None
    for_virtual_network: bool | None = None  # True: public ranges only; False: guest ranges only


def is_guest_request(*, network_uuid: str | None, pod_uuid: str | None, for_virtual_network: bool | None) -> bool:
    """True when a range command is about guest ranges: it names a network or a pod, or forvirtualnetwork=false."""
    return network_uuid is not None or pod_uuid is not None or for_virtual_network is False


def vlan_of(text: str | None, default: str | None) -> str:
    """A VLAN as stored: "untagged" or the VLAN id (1-4094); "vlan://N" is accepted."""
    if text is None or not text.strip():
        return default or "untagged"
    value = text.strip().lower().removeprefix("vlan://")
    if value == "untagged":
        return value
    if not value.isdigit() or not 1 <= int(value) <= 4094:
        raise ParameterError(f"Invalid value {text!r} for vlan: use untagged or a VLAN id from 1 to 4094")
    return str(int(value))


def _ipv4_values(net: Network, pod: Pod | None, spec: RangeSpec) -> dict[str, Any]:
    start = parse_ipv4(spec.start_ip or "", "startip")
    end = parse_ipv4(spec.end_ip, "endip") if spec.end_ip else start
    gateway_text = spec.gateway or (pod.gateway if pod else net.gateway)
    netmask_text = spec.netmask or (pod.netmask if pod else net.netmask)
    if gateway_text is None or netmask_text is None:
        raise ParameterError(f"The IPv4 range {start}-{end} needs a gateway and a netmask: network {net.name} has none")
    gateway = parse_ipv4(gateway_text, "gateway")
    subnet = network_from_gateway(gateway, netmask_text)
    check_span(subnet, gateway, start, end, "IP")
    return {"gateway": str(gateway), "netmask": str(subnet.netmask), "start_ip": str(start), "end_ip": str(end)}


def _ipv6_values(net: Network, spec: RangeSpec) -> dict[str, Any]:
    start = parse_address(spec.start_ipv6 or "", "startipv6")
    end = parse_address(spec.end_ipv6, "endipv6") if spec.end_ipv6 else start
    cidr = parse_network(spec.ip6_cidr, "ip6cidr") if spec.ip6_cidr else None
    if cidr is None and net.ip6_cidr:
        cidr = parse_network(net.ip6_cidr, "ip6cidr")
    if not isinstance(cidr, IPv6Network):
        raise ParameterError(f"The IPv6 range {start}-{end} needs an IPv6 CIDR (ip6cidr)")
    gateway_text = spec.ip6_gateway or net.ip6_gateway
    gateway: IPAddress = parse_address(gateway_text, "ip6gateway") if gateway_text else cidr.network_address + 1
    if gateway not in cidr:
        raise ParameterError(f"IPv6 gateway {gateway} is outside {cidr}")
    check_span(cidr, gateway, start, end, "IPv6")
    return {"ip6_gateway": str(gateway), "ip6_cidr": str(cidr), "start_ipv6": str(start), "end_ipv6": str(end)}


def add_range(uow: SqlUnitOfWork, net: Network, pod: Pod | None, spec: RangeSpec) -> int:
    """Validate and store one guest range of `net` (Basic zone: of `pod`); the caller holds the network lock."""
    if spec.start_ip is None and spec.start_ipv6 is None:
        raise ParameterError("A guest IP range needs startip (IPv4) or startipv6 (IPv6)")
    values: dict[str, Any] = {}
    if spec.start_ip is not None:
        values |= _ipv4_values(net, pod, spec)
    if spec.start_ipv6 is not None:
        values |= _ipv6_values(net, spec)
    existing = uow.guest_ranges.of_network(net.id)
    for family, (first, last) in ((4, ("start_ip", "end_ip")), (6, ("start_ipv6", "end_ipv6"))):
        if first not in values:
            continue
        low, high = int(ip_address(values[first])), int(ip_address(values[last]))
        clash = overlapping(existing, family, low, high)
        if clash is not None:
            raise ParameterError(f"The range {values[first]}-{values[last]} overlaps range {clash.shown(family)} "
                                 f"({clash.uuid}) of network {net.name}")
    # A Basic zone's router has one guest interface per pod subnet: a new range may add one.
    uow.outbox.network(net.id)
    return uow.guest_ranges.insert(
        zone_id=net.zone_id, pod_id=pod.id if pod else None, network_id=net.id,
        vlan=vlan_of(spec.vlan, net.vlan), account_id=net.account_id, domain_id=net.domain_id, **values,
    )


def basic_network(uow: SqlUnitOfWork, zone_id: int) -> Network | None:
    """The one guest network of a Basic zone, if it was created."""
    n = t.networks.c
    found, _ = uow.networks.listing([n.zone_id == zone_id, n.guest_type == str(GuestType.SHARED)], None)
    return found[0] if found else None


def adopt_pod(uow: SqlUnitOfWork, pod: Pod, net: Network) -> None:
    """A Basic-zone pod's own range (createPod startip/endip) becomes its first guest range."""
    if pod.start_ip is None or any(x.pod_id == pod.id for x in uow.guest_ranges.of_network(net.id)):
        return
    add_range(uow, net, pod, RangeSpec(start_ip=pod.start_ip, end_ip=pod.end_ip))


def pod_created(uow: SqlUnitOfWork, pod_id: int) -> None:
    """createPod's hook: in a Basic zone whose network exists, the pod's range serves guests at once."""
    pod = uow.infra.pod_by(id=pod_id)
    zone = uow.infra.zone_by(id=pod.zone_id) if pod else None
    if pod is None or zone is None or zone.network_type is not ZoneType.BASIC:
        return
    net = basic_network(uow, zone.id)
    if net is not None:
        uow.networks.lock(net.id)
        adopt_pod(uow, pod, net)


def _target(uow: SqlUnitOfWork, caller: Caller, new: NewGuestRange) -> tuple[Network, Pod | None]:
    zone = lookup.zone(uow, new.zone_uuid) if new.zone_uuid else None
    pod = uow.infra.pod_by(uuid=new.pod_uuid) if new.pod_uuid else None
    if new.pod_uuid and pod is None:
        raise UnknownEntity("podid", new.pod_uuid)
    if new.network_uuid:
        net = lookup.network(uow, caller, new.network_uuid)
    elif pod is not None:
        found = basic_network(uow, pod.zone_id)
        if found is None:
            raise ParameterError(f"Zone {pod.zone_name} has no guest network yet: create it with createNetwork")
        net = found
    else:
        raise ParameterError("A guest IP range needs networkid (shared network) or podid (Basic zone)")
    if net.guest_type is not GuestType.SHARED:
        raise ParameterError(f"Network {net.name} is {net.guest_type}: IP ranges belong to shared networks; its "
                             "addresses come from its CIDR")
    if zone is not None and zone.id != net.zone_id:
        raise ParameterError(f"Network {net.name} is in zone {net.zone_name}, not in zone {zone.name}")
    basic = uow.infra.zone_by(id=net.zone_id)
    if basic is not None and basic.network_type is ZoneType.BASIC:
        if pod is None or pod.zone_id != net.zone_id:
            raise ParameterError(f"Network {net.name} is a Basic zone's network: give the podid of one of its pods")
    elif pod is not None:
        raise ParameterError(f"Pod {pod.name} is in an Advanced zone: guest ranges belong to Basic-zone pods")
    return net, pod


def create_guest_range(uow: SqlUnitOfWork, caller: Caller, new: NewGuestRange) -> GuestRange:
    """createVlanIpRange for guests: one more range of a shared network (Basic zone: of a pod)."""
    with uow:
        net, pod = _target(uow, caller, new)
        uow.networks.lock(net.id)
        range_id = add_range(uow, net, pod, new.spec)
        found = uow.guest_ranges.ranges(r.c.id == range_id)[0]
        shown = ", ".join(found.shown(f) for f in (4, 6) if found.span(f))
        uow.events.record(caller, "VLAN.IP.RANGE.CREATE", f"Created guest IP range {shown} of network {net.name}")
        return found


def delete_guest_range(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> GuestRange | None:
    """deleteVlanIpRange for guests, refused while an address of the range is held; None: no guest range."""
    with uow:
        found = uow.guest_ranges.by_uuid(uuid)
        if found is None or found.network_id is None:
            return None
        uow.networks.lock(found.network_id)
        for family in (4, 6):
            span = found.span(family)
            used = uow.guest_ranges.used_between(found.network_id, family, *span) if span else 0
            if used:
                raise ResourceInUse(f"IP range {found.shown(family)} of network {found.network_name} still has {used}"
                                    " address(es) in use: release them first")
        uow.guest_ranges.delete(found.id)
        if found.network_id is not None:
            uow.outbox.network(found.network_id)
        uow.events.record(caller, "VLAN.IP.RANGE.DELETE",
                      f"Deleted guest IP range {found.uuid} of network {found.network_name}")
        return found


def list_guest_ranges(uow: SqlUnitOfWork, caller: Caller, wanted: RangeFilter) -> tuple[list[GuestRange], bool]:
    """The guest ranges a listVlanIpRanges request asks for, and whether public ranges belong in the answer."""
    if wanted.for_virtual_network is True:
        return [], True
    with uow.reading():
        where: list[Any] = []
        if wanted.uuid is not None:
            one = uow.guest_ranges.by_uuid(wanted.uuid)
            if one is None:
                return [], True
            where.append(r.c.id == one.id)
        if wanted.zone_uuid is not None:
            where.append(r.c.zone_id == lookup.zone(uow, wanted.zone_uuid).id)
        if wanted.network_uuid is not None:
            where.append(r.c.network_id == lookup.network(uow, caller, wanted.network_uuid).id)
        if wanted.pod_uuid is not None:
            pod = uow.infra.pod_by(uuid=wanted.pod_uuid)
            if pod is None:
                raise UnknownEntity("podid", wanted.pod_uuid)
            where.append(r.c.pod_id == pod.id)
        named = wanted.uuid is not None or wanted.network_uuid is not None or wanted.pod_uuid is not None
        public_too = not (where and named)
        return uow.guest_ranges.ranges(*where), public_too and wanted.for_virtual_network is None
