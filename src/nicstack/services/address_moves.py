"""Moving a secondary address to another NIC of its network, with the rules that target it (AWS's reassignment).

`addIpToNic ipaddress=X allowreassignment=true`: X keeps its allocation, so it is never free for
anyone in between; its port forwarding rules, static NAT and load-balancer memberships follow it to
the new VM in the same transaction, and both VMs' hosts and the network's router publish anew.
"""

from __future__ import annotations

from dataclasses import dataclass

from nicstack.db.repos.allocations import Held
from nicstack.db.repos.vms import HeldSecondaryIp, NicOwner
from nicstack.domain.access import Caller, may_access
from nicstack.domain.errors import ParameterError
from nicstack.domain.kinds import AllocationKind
from nicstack.domain.model import Network, NicSecondaryIp
from nicstack.ipam.addresses import IPAddress
from nicstack.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Movable:
    """A secondary address that may move: its allocation and its secondary IP row."""

    holding: Held
    held: HeldSecondaryIp


def movable(uow: UnitOfWork, caller: Caller, net: Network, to: NicOwner, address: IPAddress) -> Movable | None:
    """What holds `address` if it can move to NIC `to`; None when it cannot (the caller then takes the
    address as usual, and is refused as for any address in use: nothing about its holder is told)."""
    holding = uow.allocations.held(net.id, address.version, int(address))
    if holding is None or holding.nic_id is None:
        return None
    if holding.kind is AllocationKind.NIC:
        raise ParameterError(f"IP address {address} is the primary address of a NIC in network {net.name}: only "
                             "a secondary IP can move to another NIC")
    if holding.kind is not AllocationKind.SECONDARY or holding.secondary_id is None:
        return None
    if holding.nic_id == to.nic_id:
        raise ParameterError(f"IP address {address} is already a secondary IP of NIC {to.nic_uuid}")
    held = uow.vms.held_secondary_by_id(holding.secondary_id)
    if held is None or not may_access(caller, held.account_id, held.domain_path):
        return None
    return Movable(holding, held)


def move(uow: UnitOfWork, caller: Caller, net: Network, to: NicOwner, found: Movable) -> NicSecondaryIp:
    """Re-point the allocation, the secondary row and every rule on the address at NIC `to` (network locked)."""
    holding, old = found.holding, found.held
    uow.allocations.move(holding.allocation_id, to.nic_id)
    uow.vms.move_secondary(old.id, to)
    rules = uow.rules.retarget(holding.allocation_id, to.vm_id)
    if uow.vms.count_secondary(old.nic_id) == 0:
        uow.vms.update_nic(old.nic_id, secondary_ip=0)
    followed = f" with its {rules} rule(s)" if rules else ""
    uow.events.record(caller, "NIC.SECONDARY.IP.UNASSIGN",
                      f"Moved secondary IP {old.address}{followed} from NIC {old.nic_uuid} of VM {old.vm_name} to NIC "
                      f"{to.nic_uuid} of VM {to.vm_name}", account_id=old.account_id, domain_id=old.domain_id)
    uow.events.record(caller, "NIC.SECONDARY.IP.ASSIGN",
                      f"Assigned secondary IP {old.address}{followed} to NIC {to.nic_uuid} of VM {to.vm_name}, "
                      f"moved from NIC {old.nic_uuid} of VM {old.vm_name}",
                      account_id=to.account_id, domain_id=to.domain_id)
    # The old VM's hosts drop the address, the new one's get it; the router's rules name the new VM.
    uow.outbox.vm(old.vm_id)
    uow.outbox.network(net.id)
    return NicSecondaryIp(old.uuid, old.address, to.nic_uuid, net.uuid, to.vm_uuid)
