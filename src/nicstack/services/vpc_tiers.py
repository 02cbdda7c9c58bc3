"""A VPC tier's rules for createNetwork: a VPC offering, the VPC's owner, a CIDR inside the VPC's, no overlap."""

from __future__ import annotations

from ipaddress import IPv4Network, ip_network

from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError
from nicstack.domain.model import NetworkOffering
from nicstack.services import lookup_rules


def tier_vpc_id(
    uow: SqlUnitOfWork, caller: Caller, vpc_uuid: str | None, offering: NetworkOffering, zone_id: int,
    owner_id: int, cidr: IPv4Network | None,
) -> int | None:
    """The VPC a new network is a tier of (None: not a tier); raises ParameterError naming what is wrong.

    Locks the VPC row, so two tiers created at once cannot both pass the overlap check.
    """
    if vpc_uuid is None:
        if offering.for_vpc:
            raise ParameterError(f"Network offering {offering.name} is for VPC tiers: give vpcid")
        return None
    if not offering.for_vpc:
        raise ParameterError(
            f"Network offering {offering.name} is not for VPC tiers; use one for VPC networks, e.g. "
            "DefaultIsolatedNetworkOfferingForVpcNetworks"
        )
    vpc = lookup_rules.vpc(uow, caller, vpc_uuid)
    if vpc.zone_id != zone_id:
        raise ParameterError(f"VPC {vpc.name} is in zone {vpc.zone_name}: its tiers must be there too")
    if vpc.owner.account_id != owner_id:
        raise ParameterError(f"A tier of VPC {vpc.name} must belong to the VPC's account {vpc.owner.account_name}")
    if cidr is None:
        raise ParameterError(f"A tier of VPC {vpc.name} needs an IPv4 gateway and netmask")
    uow.vpcs.lock(vpc.id)
    outer = ip_network(vpc.cidr)
    if not (isinstance(outer, IPv4Network) and cidr.subnet_of(outer)):
        raise ParameterError(f"Tier CIDR {cidr} is not inside the CIDR {vpc.cidr} of VPC {vpc.name}")
    for _, _, name, other in uow.vpcs.tiers(vpc.id):
        if other is not None and cidr.overlaps(ip_network(other)):
            raise ParameterError(f"Tier CIDR {cidr} overlaps tier {name} ({other}) of VPC {vpc.name}")
    return vpc.id
