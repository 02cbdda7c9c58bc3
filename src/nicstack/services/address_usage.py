"""A network's address usage for people: counts, runs and cells by kind (a nicstack extension).

Isolated networks and VPC tiers show which kind of holder each address has (a NIC's primary
address, a secondary IP, the virtual router, a reserved address); a shared network is seen by
accounts that do not own its addresses, so there every held address is only "taken", as in
listFreeIpAddresses: which addresses are free, never who holds the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from nicstack.db.repos.allocation_kinds import KindsInNetwork
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.kinds import AllocationKind, GuestType
from nicstack.domain.model import Network
from nicstack.domain.policy import MAX_SECONDARY_IPS_KEY, ensure_secondary_ips_supported
from nicstack.ipam.usage import RESERVED, Usage, usage
from nicstack.services import guest_ips, lookup

TAKEN = "taken"
# What each stored kind is called in the view of an isolated network or VPC tier.
KIND_NAMES = {
    str(AllocationKind.NIC): "primary",
    str(AllocationKind.SECONDARY): "secondary",
    str(AllocationKind.ROUTER): "router",
    str(AllocationKind.RESERVED): RESERVED,
}


@dataclass(frozen=True, slots=True)
class FamilyUsage:
    family: int
    usage: Usage


@dataclass(frozen=True, slots=True)
class NicLimit:
    nic_uuid: str
    limit: int
    used: int


def address_usage(uow: SqlUnitOfWork, caller: Caller, network_uuid: str, run_limit: int,
                  cells: int) -> tuple[Network, list[FamilyUsage]]:
    """Per address family of the network: its pool (CIDR less network and broadcast addresses, or a
    shared network's ranges) by use."""
    with uow.reading():
        net = lookup.network(uow, caller, network_uuid)
        ensure_secondary_ips_supported(net.guest_type, net.name)
        shared = net.guest_type is GuestType.SHARED
        ranges = guest_ips.ranges_for(uow, net)
        found = []
        for family in guest_ips.families(uow, net):
            pool = guest_ips.pool_of(net, family, ranges)
            other = TAKEN if shared else RESERVED
            kinds = KindsInNetwork(uow.conn, net.id, family, {} if shared else KIND_NAMES, other)
            found.append(FamilyUsage(family, usage(pool, kinds, run_limit, cells, other)))
        return net, found


def secondary_ip_limit(uow: SqlUnitOfWork, caller: Caller, nic_uuid: str) -> NicLimit:
    """How many secondary IPs the NIC holds and may hold (vm.network.nic.max.secondary.ipaddresses)."""
    with uow.reading():
        nic = lookup.nic_owner(uow, caller, nic_uuid)
        limit = uow.settings.int_value(MAX_SECONDARY_IPS_KEY)
        return NicLimit(nic.nic_uuid, limit, uow.vms.count_secondary(nic.nic_id))
