"""What every rule use case shares: the rule's guest network, the locks, the guest address and port checks.

Lock order, everywhere: the guest network row (`networks.lock`, the same lock `removeIpFromNic`
takes), then the public IP row. A rule's guest address is read only after the network lock, so a
concurrent release of that address either committed before (the rule is refused) or waits for
the rule to commit (the release is refused): no rule ever points at a released address.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import InternalError, ParameterError, RuleConflict, Unsupported
from nicstack.domain.kinds import GuestType, VmState
from nicstack.domain.model import Network, Vm
from nicstack.domain.rules import Owner, PortUse, PublicIp, PublicIpState, lb_use, pf_use
from nicstack.ipam.addresses import parse_ipv4
from nicstack.services import lookup
from nicstack.services.ports import UnitOfWork


def rules_targeting(uow: UnitOfWork, network_id: int, address: str) -> list[str]:
    """Every rule whose guest address is `address`, described for an error text (empty: none)."""
    return [f"{what} {which}" for what, which in uow.rules.targeting(network_id, address)]


def changed_router(uow: SqlUnitOfWork, network_id: int | None, vpc_id: int | None) -> None:
    """The router holding a public IP's rules publishes anew: its network's (or tier's VPC's), else its VPC's."""
    if network_id is not None:
        uow.outbox.network(network_id)
    elif vpc_id is not None:
        uow.outbox.vpc(vpc_id)


def record(uow: SqlUnitOfWork, caller: Caller, owner: Owner, type_: str, description: str) -> None:
    uow.events.record(caller, type_, description, account_id=owner.account_id, domain_id=owner.domain_id)


def guest_ip(text: str | None, param: str = "vmguestip") -> str | None:
    """Parse a guest address given by the caller: IPv4 only (rules are IPv4 on the virtual router)."""
    if text is None or not text.strip():
        return None
    try:
        return str(parse_ipv4(text, param))
    except ParameterError:
        raise ParameterError(f"Invalid VM IP address {text!r} for {param}: not an IPv4 address") from None


# What an elastic (shared) network offers, by CloudStack service: the capability that makes it elastic.
_ELASTIC = {"StaticNat": ("static NAT", "ElasticIp"), "Lb": ("load balancing", "ElasticLb")}


def ensure_rules_supported(net: Network, service: str | None = None) -> None:
    """Refuse a rule of `service` (StaticNat, Lb, PortForwarding, Firewall; None: any) the network cannot serve.

    Isolated networks and VPC tiers serve them all; a shared network only static NAT and load balancing, when
    its offering makes them elastic (a Basic zone's EIP/ELB offering)."""
    if net.guest_type is GuestType.ISOLATED:
        return
    elastic = {"StaticNat": net.offering.elastic_ip, "Lb": net.offering.elastic_lb}
    if net.guest_type is GuestType.SHARED and elastic.get(service or ""):
        return
    if net.guest_type is GuestType.SHARED and (net.offering.elastic_ip or net.offering.elastic_lb):
        offered = " and ".join(what for key, (what, _) in _ELASTIC.items() if elastic[key])
        raise Unsupported(
            f"Network {net.name} is a shared network with elastic IPs (offering {net.offering.name}): it offers "
            f"{offered} on its public IPs, not {_SERVICE_NAMES.get(service or '', service)}"
        )
    raise Unsupported(
        f"Static NAT, port forwarding and load balancing are not supported on network {net.name}: it is "
        f"a {net.guest_type} network; they need an isolated network, a VPC tier, or a Basic zone network whose "
        "offering has elastic IPs and elastic LB (ElasticIp, ElasticLb)"
    )


_SERVICE_NAMES = {"PortForwarding": "port forwarding", "Firewall": "firewall rules (security groups guard its "
                  "guests)", **{key: what for key, (what, _) in _ELASTIC.items()}}


def usable_vm(vm: Vm, ip: PublicIp | None = None, owner: Owner | None = None) -> None:
    if vm.state in (VmState.DESTROYED, VmState.EXPUNGING):
        raise ParameterError(f"VM {vm.name} is {vm.state}; recover it before creating rules for it")
    who = owner or (ip.owner if ip else None)
    if who is not None and who.account_id != vm.account_id:
        raise ParameterError(f"VM {vm.name} belongs to another account than the rule's ({who.account_name})")


def rule_network(uow: SqlUnitOfWork, caller: Caller, ip: PublicIp, vm: Vm | None, network_uuid: str | None,
                 service: str) -> Network:
    """The guest network a rule on `ip` applies to: the IP's network, or one tier of the IP's VPC."""
    given = lookup.network(uow, caller, network_uuid) if network_uuid else None
    if ip.vpc_id is None:
        net = uow.networks.network_by(id=ip.network_id)
        assert net is not None
        if given is not None and given.id != net.id:
            raise ParameterError(f"Public IP {ip.address} belongs to network {net.name}, not {given.name}")
    elif ip.network_id is not None:
        net = uow.networks.network_by(id=ip.network_id)
        assert net is not None
        if given is not None and given.id != net.id:
            raise ParameterError(f"Public IP {ip.address} already serves tier {net.name} of VPC {ip.vpc_name}")
    elif given is not None:
        if uow.vpcs.vpc_id_of_network(given.id) != ip.vpc_id:
            raise ParameterError(f"Network {given.name} is not a tier of VPC {ip.vpc_name}")
        net = given
    else:
        net = _vm_tier(uow, ip, vm)
    ensure_rules_supported(net, service)
    return net


def _vm_tier(uow: SqlUnitOfWork, ip: PublicIp, vm: Vm | None) -> Network:
    tier_ids = {tier[0] for tier in uow.vpcs.tiers(ip.vpc_id or 0)}
    nics = [n for n in (vm.nics if vm else ()) if n.network_id in tier_ids]
    if len(nics) != 1:
        where = f"VM {vm.name} has {len(nics)} NICs in tiers of VPC {ip.vpc_name}" if vm else "no VM is given"
        raise ParameterError(f"Give networkid (a tier of VPC {ip.vpc_name}) for public IP {ip.address}: {where}")
    net = uow.networks.network_by(id=nics[0].network_id)
    assert net is not None
    return net


def lock_for_rule(uow: SqlUnitOfWork, net: Network, ip: PublicIp) -> PublicIp:
    """Take the network lock, then the public IP's row lock; return the IP as it is now."""
    uow.networks.lock(net.id)
    fresh = uow.public_ips.lock(ip.id)
    if fresh.state is PublicIpState.FREE:
        raise ParameterError(f"Public IP {ip.address} was released meanwhile")
    if fresh.network_id not in (None, net.id):
        raise ParameterError(f"Public IP {fresh.address} serves network {fresh.network_name}, not {net.name}")
    return fresh


@dataclass(frozen=True, slots=True)
class GuestAddress:
    """A rule's target: a guest address of a VM's NIC, and the allocation that holds it."""

    address: str
    allocation_id: int


def guest_address(
    uow: SqlUnitOfWork, vm: Vm, net: Network, wanted: str | None, param: str = "vmguestip"
) -> GuestAddress:
    """The primary or a secondary IPv4 of the VM's NIC in `net`, as stored now (call under the network lock)."""
    address = _nic_address(uow, vm, net, wanted, param)
    allocation_id = uow.allocations.id_of(net.id, address)
    if allocation_id is None:  # every NIC address is allocated: only a broken row gets here
        raise InternalError(f"IP address {address} of VM {vm.name} has no allocation in network {net.name}")
    return GuestAddress(address, allocation_id)


def _nic_address(uow: SqlUnitOfWork, vm: Vm, net: Network, wanted: str | None, param: str) -> str:
    nics = uow.vms.nics_of([vm.id]).get(vm.id, [])
    nic = next((n for n in nics if n.network_id == net.id), None)
    if nic is None:
        raise ParameterError(f"VM {vm.name} has no NIC in network {net.name}")
    if wanted is None:
        if nic.ip4_address is None:
            raise ParameterError(f"The NIC of VM {vm.name} in network {net.name} has no IPv4 address")
        return nic.ip4_address
    owned = {nic.ip4_address, *(s.address for s in nic.secondary_ips)}
    if wanted not in owned:
        raise ParameterError(
            f"IP address {wanted} given in {param} is not an address of VM {vm.name}'s NIC in network {net.name} "
            "(the primary or a secondary IP of that NIC)"
        )
    return wanted


def port_uses(uow: SqlUnitOfWork, ip_id: int) -> list[PortUse]:
    pfs = uow.rules.port_forwards(t.port_forwarding_rules.c.ip_address_id == ip_id)
    lbs = uow.load_balancers.rules(t.load_balancing_rules.c.ip_address_id == ip_id)
    return [*(pf_use(r) for r in pfs), *(lb_use(r) for r in lbs)]


def refuse_if_static_nat(ip: PublicIp) -> None:
    if ip.is_static_nat:
        raise RuleConflict(
            f"Public IP {ip.address} has static NAT to {ip.vm_ip} of VM {ip.vm_name}: it takes no port forwarding "
            "or load balancing rules (disable static NAT first)"
        )


def open_firewall(ip: PublicIp, net: Network, wanted: bool | None) -> bool:
    """CloudStack's default: open the firewall for rules on isolated networks, never in a VPC (ACLs) nor on an
    elastic IP (a shared network has no firewall: security groups guard its guests)."""
    if ip.vpc_id is not None or net.guest_type is GuestType.SHARED:
        if wanted:
            where = "a VPC" if ip.vpc_id is not None else f"the elastic network {net.name}, which has no firewall"
            raise ParameterError(f"Can't have openfirewall=true when IP address {ip.address} belongs to {where}")
        return False
    return True if wanted is None else wanted


def claim_for_port_rule(uow: SqlUnitOfWork, caller: Caller, ip: PublicIp, vm: Vm | None, network_uuid: str | None,
                        wanted_open: bool | None, service: str) -> tuple[Network, PublicIp, bool]:
    """What a new port forwarding or load balancer rule checks first, in this order: its guest network, whether
    it opens the firewall, the locks (network, then public IP), and no static NAT on the IP.

    Returns the network, the public IP as locked, and whether to open the firewall for the rule.
    """
    net = rule_network(uow, caller, ip, vm, network_uuid, service)
    opened = open_firewall(ip, net, wanted_open)
    ip = lock_for_rule(uow, net, ip)
    refuse_if_static_nat(ip)
    return net, ip, opened


def open_ports_for(uow: SqlUnitOfWork, ip: PublicIp, net: Network, owner: Owner, use: PortUse, cidrs: str,
                   **related: int) -> None:
    """The firewall rule opened with a new rule for its public ports; `related` (related_pf_id or related_lb_id)
    links it to that rule, which deletes it."""
    uow.rules.insert(t.firewall_rules, ip_address_id=ip.id, network_id=net.id, protocol=use.transport,
                 start_port=use.start, end_port=use.end, cidr_list=cidrs, account_id=owner.account_id,
                 domain_id=owner.domain_id, **related)


def bind_tier(uow: SqlUnitOfWork, ip: PublicIp, net: Network) -> None:
    """A VPC address serves one tier from its first rule on."""
    if ip.vpc_id is not None and ip.network_id is None:
        uow.public_ips.update(ip.id, network_id=net.id)


def release_tier_if_unused(uow: SqlUnitOfWork, ip_id: int) -> None:
    """A VPC address without rules serves no tier any more (CloudStack unassigns it too)."""
    ip = uow.public_ips.ip_by(id=ip_id)
    if ip is None or ip.vpc_id is None or ip.is_source_nat or ip.is_static_nat:
        return
    if port_uses(uow, ip_id) or uow.rules.firewall_rules(t.firewall_rules.c.ip_address_id == ip_id):
        return
    uow.public_ips.update(ip_id, network_id=None)


def drop_ip_rules(uow: SqlUnitOfWork, ip_id: int) -> None:
    """Delete every rule on a public IP and its static NAT."""
    uow.rules.delete_port_forwards(t.port_forwarding_rules.c.ip_address_id == ip_id)
    uow.rules.delete_ip_forwards(t.ip_forwarding_rules.c.ip_address_id == ip_id)
    uow.rules.delete_firewall_rules(t.firewall_rules.c.ip_address_id == ip_id)
    uow.load_balancers.delete(t.load_balancing_rules.c.ip_address_id == ip_id)
    uow.public_ips.update(ip_id, is_static_nat=False, vm_id=None, vm_ip_address=None, allocation_id=None)


def forget_vm(uow: SqlUnitOfWork, vm: Vm) -> None:
    """Expunge: delete the VM's PF rules and LB mappings, disable its static NATs (networks locked first)."""
    for network_id in sorted({n.network_id for n in vm.nics}):
        uow.networks.lock(network_id)
    uow.rules.delete_port_forwards(t.port_forwarding_rules.c.instance_id == vm.id)
    uow.conn.execute(t.load_balancer_vm_map.delete().where(t.load_balancer_vm_map.c.instance_id == vm.id))
    nat_ips = list(uow.conn.execute(select(t.public_ips.c.id).where(t.public_ips.c.vm_id == vm.id)).scalars())
    for ip_id in nat_ips:
        # IP forwarding rules forward a static NAT's ports: they go with it.
        uow.rules.delete_ip_forwards(t.ip_forwarding_rules.c.ip_address_id == ip_id)
        uow.public_ips.update(ip_id, is_static_nat=False, vm_id=None, vm_ip_address=None, allocation_id=None)
        release_tier_if_unused(uow, ip_id)


def check_ports_free(uow: SqlUnitOfWork, ip: PublicIp, new: PortUse) -> None:
    """Refuse (537) a rule whose public ports overlap another PF or LB rule's on the same IP and transport."""
    clash = next((u for u in port_uses(uow, ip.id) if new.clashes(u)), None)
    if clash is not None:
        raise RuleConflict(
            f"Public ports {new.start}-{new.end}/{new.transport} of {ip.address} for {new.what} conflict with "
            f"{clash.what}, which has {clash.start}-{clash.end}/{clash.transport}"
        )


def owner_of_ip(ip: PublicIp) -> Owner:
    assert ip.owner is not None
    return ip.owner

