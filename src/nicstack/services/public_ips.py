"""Use cases of public IPs: associateIpAddress, disassociateIpAddress, and the source NAT address of a router.

Source NAT: an isolated network gets its source-NAT address when it is implemented (its first
VM), a VPC when its first tier is. A zone without a free public address leaves the network
working without source NAT (guests keep their private addresses; no outbound NAT is rendered);
`restartNetwork`/`restartVPC` acquire it later, once the zone has a public range.
"""

from __future__ import annotations

from dataclasses import dataclass

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import InsufficientCapacity, ParameterError, ResourceInUse, Unsupported
from nicstack.domain.jobs import Started
from nicstack.domain.kinds import GuestType, ZoneType
from nicstack.domain.model import Network
from nicstack.domain.rules import PublicIp, PublicIpState
from nicstack.ipam.addresses import parse_ipv4
from nicstack.services import lookup, lookup_rules
from nicstack.services.guest_ranges import basic_network
from nicstack.services.rule_targets import changed_router, drop_ip_rules, ensure_rules_supported, record

ip_c = t.public_ips.c


@dataclass(frozen=True, slots=True)
class Acquire:
    network_uuid: str | None = None
    vpc_uuid: str | None = None
    zone_uuid: str | None = None
    address: str | None = None


def _claim(uow: SqlUnitOfWork, zone_id: int, zone_name: str, address: str | None) -> int:
    if address is None:
        found = uow.public_ips.claim_free(zone_id)
        if found is None:
            raise InsufficientCapacity(f"No free public IP address left in zone {zone_name}")
        return found
    wanted = str(parse_ipv4(address, "ipaddress"))
    claimed = uow.public_ips.claim_address(zone_id, wanted)
    if claimed is None:
        raise ParameterError(f"IP address {wanted} is in no public IP range of zone {zone_name}")
    if claimed[1] is not PublicIpState.FREE:
        raise ResourceInUse(f"Public IP {wanted} is already allocated")
    return claimed[0]


def associate_ip_address(uow: SqlUnitOfWork, caller: Caller, spec: Acquire) -> Started[PublicIp]:
    """Acquire a public IP from the zone's public ranges into an isolated network (or tier) or a VPC."""
    with uow:
        if spec.network_uuid is not None:
            net = lookup.network(uow, caller, spec.network_uuid)
            ensure_rules_supported(net, "StaticNat" if net.guest_type is GuestType.SHARED else None)
            vpc_id = uow.vpcs.vpc_id_of_network(net.id)
            zone_id, zone_uuid, zone_name = net.zone_id, net.zone_uuid, net.zone_name
            # A shared (elastic) network is everyone's: the address belongs to the caller's account.
            account_id, domain_id = (net.account_id, net.domain_id) if net.account_id is not None else (
                caller.account_id, caller.domain_id)
            target = {"network_id": net.id, "vpc_id": vpc_id, "account_id": account_id, "domain_id": domain_id}
            where = f"network {net.name}"
        elif spec.vpc_uuid is not None:
            vpc = lookup_rules.vpc(uow, caller, spec.vpc_uuid)
            zone_id, zone_uuid, zone_name = vpc.zone_id, vpc.zone_uuid, vpc.zone_name
            target = {"network_id": None, "vpc_id": vpc.id, "account_id": vpc.owner.account_id,
                      "domain_id": vpc.owner.domain_id}
            where = f"VPC {vpc.name}"
        elif spec.zone_uuid is not None:
            net = _elastic_network(uow, spec.zone_uuid)
            zone_id, zone_uuid, zone_name = net.zone_id, net.zone_uuid, net.zone_name
            # The Basic zone's network is everyone's: the address belongs to the caller's account.
            target = {"network_id": net.id, "vpc_id": None, "account_id": caller.account_id,
                      "domain_id": caller.domain_id}
            where = f"Basic zone {zone_name} (elastic IP)"
        else:
            raise ParameterError("associateIpAddress needs networkid, vpcid, or zoneid of a Basic zone with elastic "
                                 "IPs")
        if spec.zone_uuid is not None and spec.zone_uuid != zone_uuid:
            raise ParameterError(f"The {where} is in zone {zone_name}, not in zone {spec.zone_uuid}")
        ip_id = _claim(uow, zone_id, zone_name, spec.address)
        uow.public_ips.allocate(ip_id, is_source_nat=False, **target)
        ip = uow.public_ips.ip_by(id=ip_id)
        assert ip is not None and ip.owner is not None
        record(uow, caller, ip.owner, "NET.IPASSIGN", f"Acquired public IP {ip.address} for {where}")
        changed_router(uow, ip.network_id, ip.vpc_id)
        job = uow.start_job(caller, "associateIpAddress", result=ip, instance=("IpAddress", ip.uuid))
        return Started(job, ip)


def _elastic_network(uow: SqlUnitOfWork, zone_uuid: str) -> Network:
    """The network an elastic IP of a Basic zone serves: the zone's one network, if its offering has elastic IPs."""
    zone = lookup.zone(uow, zone_uuid)
    if zone.network_type is not ZoneType.BASIC:
        raise ParameterError(f"Zone {zone.name} is an Advanced zone: give networkid or vpcid to acquire a public IP "
                             "there")
    net = basic_network(uow, zone.id)
    if net is None:
        raise ParameterError(f"Basic zone {zone.name} has no guest network yet: elastic IPs need its network")
    if not net.offering.elastic_ip:
        raise Unsupported(f"Basic zone {zone.name} has no elastic IPs: its network {net.name} has offering "
                          f"{net.offering.name}, which has no StaticNat service with the ElasticIp capability "
                          "(an EIP offering such as DefaultSharedNetscalerEIPandELBNetworkOffering has)")
    return net


def disassociate_ip_address(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> str:
    """Release a public IP with every rule on it; the source-NAT address goes only with its network."""
    with uow:
        ip = lookup_rules.public_ip(uow, caller, uuid, "id")
        if ip.is_source_nat:
            owner = f"network {ip.network_name}" if ip.network_name else f"VPC {ip.vpc_name}"
            raise ParameterError(f"Public IP {ip.address} is the source NAT address of {owner}: it is released "
                                 "with it")
        if ip.network_id is not None:
            uow.networks.lock(ip.network_id)
        ip = uow.public_ips.lock(ip.id)
        assert ip.owner is not None
        drop_ip_rules(uow, ip.id)
        uow.public_ips.release(ip.id)
        record(uow, caller, ip.owner, "NET.IPRELEASE", f"Released public IP {ip.address}")
        changed_router(uow, ip.network_id, ip.vpc_id)
        return uow.start_job(caller, "disassociateIpAddress", instance=("IpAddress", ip.uuid))


def ensure_source_nat(uow: SqlUnitOfWork, net: Network) -> None:
    """Give an isolated network (or a tier's VPC) its source-NAT address, when the zone has one free.

    Runs inside the caller's transaction, which holds the network lock; a VPC is locked here
    so that its tiers, implemented concurrently, share one source-NAT address.
    """
    if net.guest_type is not GuestType.ISOLATED or net.account_id is None:
        return
    vpc_id = uow.vpcs.vpc_id_of_network(net.id)
    if vpc_id is not None:
        uow.vpcs.lock(vpc_id)
        held = uow.public_ips.ips(ip_c.vpc_id == vpc_id, ip_c.is_source_nat.is_(True))
    else:
        held = uow.public_ips.ips(ip_c.network_id == net.id, ip_c.is_source_nat.is_(True))
    if held:
        return
    ip_id = uow.public_ips.claim_free(net.zone_id)
    if ip_id is None:
        return
    uow.public_ips.allocate(
        ip_id, is_source_nat=True, network_id=None if vpc_id else net.id, vpc_id=vpc_id,
        account_id=net.account_id, domain_id=net.domain_id,
    )


def forget_network(uow: SqlUnitOfWork, network_id: int) -> None:
    """A network goes: its addresses lose their rules; its own are released, its VPC's unassigned from it."""
    uow.rules.delete_egress_rules(t.egress_firewall_rules.c.network_id == network_id)
    for ip in uow.public_ips.ips(ip_c.network_id == network_id):
        drop_ip_rules(uow, ip.id)
        if ip.vpc_id is None:
            uow.public_ips.release(ip.id)
        else:
            uow.public_ips.update(ip.id, network_id=None)


def forget_vpc(uow: SqlUnitOfWork, vpc_id: int) -> None:
    for ip in uow.public_ips.ips(ip_c.vpc_id == vpc_id):
        drop_ip_rules(uow, ip.id)
        uow.public_ips.release(ip.id)

