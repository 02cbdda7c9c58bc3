"""Use cases of a zone's public IP ranges (createVlanIpRange & co; guest ranges: services.guest_ranges)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, ResourceInUse, UnknownEntity, Unsupported
from nicstack.domain.kinds import ZoneType
from nicstack.domain.rules import VlanRange
from nicstack.ipam.addresses import network_from_gateway, parse_ipv4, usable_bounds
from nicstack.services import lookup
from nicstack.services.guest_ranges import basic_network

# Each address of a public range is a row (as in CloudStack): a /16 is the largest range taken at once.
MAX_RANGE_SIZE = 65536


@dataclass(frozen=True, slots=True)
class NewRange:
    zone_uuid: str
    gateway: str
    netmask: str
    start_ip: str
    end_ip: str | None = None
    vlan: str | None = None


def _addresses(spec: NewRange) -> list[str]:
    """Validate the range against its subnet; the addresses it holds, in order."""
    gateway = parse_ipv4(spec.gateway, "gateway")
    subnet = network_from_gateway(gateway, spec.netmask)
    start = parse_ipv4(spec.start_ip, "startip")
    end = parse_ipv4(spec.end_ip, "endip") if spec.end_ip else start
    if start > end:
        raise ParameterError(f"Invalid public IP range {start}-{end}: the start IP is above the end IP")
    low, high = usable_bounds(subnet)
    if not (low <= int(start) and int(end) <= high):
        raise ParameterError(f"Public IP range {start}-{end} is not inside the usable addresses of {subnet}")
    if start <= gateway <= end:
        raise ParameterError(f"The gateway {gateway} may not be part of the public IP range {start}-{end}")
    size = int(end) - int(start) + 1
    if size > MAX_RANGE_SIZE:
        raise ParameterError(f"Public IP range {start}-{end} holds {size} addresses; at most {MAX_RANGE_SIZE}")
    return [str(IPv4Address(v)) for v in range(int(start), int(end) + 1)]


def _elastic_basic_zone(uow: SqlUnitOfWork, zone_id: int, zone_name: str) -> None:
    """A Basic zone takes public ranges only for elastic IPs: its network must exist with an EIP offering."""
    net = basic_network(uow, zone_id)
    if net is None or not net.offering.elastic_ip:
        which = "has no guest network yet" if net is None else (
            f"has network {net.name} with offering {net.offering.name}, which has no elastic IP service")
        raise Unsupported(f"Zone {zone_name} is a Basic zone that {which}: public IP ranges need an Advanced zone, "
                          "or a Basic zone whose network offering has elastic IPs (StaticNat with ElasticIp, e.g. "
                          "DefaultSharedNetscalerEIPandELBNetworkOffering)")


def create_vlan_range(uow: SqlUnitOfWork, caller: Caller, spec: NewRange) -> VlanRange:
    addresses = _addresses(spec)
    with uow:
        zone = lookup.zone(uow, spec.zone_uuid)
        if zone.network_type is not ZoneType.ADVANCED:
            _elastic_basic_zone(uow, zone.id, zone.name)
        uow.public_ips.lock_zone_ranges(zone.id)
        first, last = int(IPv4Address(addresses[0])), int(IPv4Address(addresses[-1]))
        for other in uow.public_ips.ranges(t.vlan_ip_ranges.c.zone_id == zone.id):
            if int(IPv4Address(other.start_ip)) <= last and first <= int(IPv4Address(other.end_ip)):
                raise ParameterError(
                    f"Public IP range {addresses[0]}-{addresses[-1]} overlaps range {other.start_ip}-{other.end_ip}"
                    f" ({other.uuid}) of zone {zone.name}"
                )
        values: dict[str, Any] = {
            "zone_id": zone.id, "for_virtual_network": True, "vlan": spec.vlan or "untagged",
            "gateway": spec.gateway.strip(), "netmask": spec.netmask.strip(), "start_ip": addresses[0],
            "end_ip": addresses[-1],
        }
        range_id = uow.public_ips.create_range(values, addresses)
        uow.events.record(caller, "VLAN.IP.RANGE.CREATE",
                      f"Created public IP range {addresses[0]}-{addresses[-1]} in zone {zone.name}")
        found = uow.public_ips.ranges(t.vlan_ip_ranges.c.id == range_id)
        return found[0]


def delete_vlan_range(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> VlanRange:
    with uow:
        found = uow.public_ips.range_by(uuid)
        if found is None:
            raise UnknownEntity("id", uuid)
        uow.public_ips.lock_zone_ranges(found.zone_id)
        taken = uow.public_ips.allocated_in_range(found.id)
        if taken:
            raise ResourceInUse(
                f"Public IP range {found.start_ip}-{found.end_ip} still has allocated addresses "
                f"({', '.join(taken)}{'...' if len(taken) == 5 else ''}): release them first"
            )
        uow.public_ips.delete_range(found.id)
        uow.events.record(caller, "VLAN.IP.RANGE.DELETE",
                      f"Deleted public IP range {found.start_ip}-{found.end_ip} of zone {found.zone_name}")
        return found


def list_vlan_ranges(uow: SqlUnitOfWork, *, uuid: str | None = None, zone_uuid: str | None = None) -> list[VlanRange]:
    """The zones' public ranges: the one range `uuid` (UnknownEntity when there is none), or those of a zone."""
    r = t.vlan_ip_ranges
    with uow.reading():
        where: list[Any] = []
        if uuid is not None:
            found = uow.public_ips.range_by(uuid)
            if found is None:
                raise UnknownEntity("id", uuid)
            where.append(r.c.id == found.id)
        if zone_uuid is not None:
            where.append(r.c.zone_id == lookup.zone(uow, zone_uuid).id)
        return uow.public_ips.ranges(*where)
