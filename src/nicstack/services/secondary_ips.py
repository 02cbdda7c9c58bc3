"""The feature: secondary IP addresses on a VM's NIC (addIpToNic, removeIpFromNic, listNics, updateVmNicIp)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nicstack.db.repos.client_tokens import TokenTaken
from nicstack.db.repos.vms import NicOwner
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_access
from nicstack.domain.errors import InternalError, ParameterError, ResourceInUse, UnknownEntity
from nicstack.domain.jobs import Configured, Started
from nicstack.domain.kinds import AllocationKind, VmType
from nicstack.domain.model import Network, Nic, NicSecondaryIp, ReservedAddresses, Vm
from nicstack.domain.policy import MAX_SECONDARY_IPS_KEY, ensure_secondary_ips_supported
from nicstack.domain.tags import ResourceTag
from nicstack.ipam.addresses import IPAddress
from nicstack.services import address_moves, client_tokens, guest_ips, lookup
from nicstack.services.ports import UnitOfWork
from nicstack.services.rule_targets import rules_targeting
from nicstack.services.shared_networks import record_usage

MAX_AT_ONCE = 256  # addresses one addIpToNic may ask for (count or ipaddresses): the default per-NIC limit


@dataclass(frozen=True, slots=True)
class AddIp:
    """addIpToNic: a NIC, and the address wanted (None: any free one of the NIC's network).

    nicstack's extensions, which CloudStack clients never send: several given `addresses` or a
    `count` of free ones (all or none, one job); the `family` of the free ones; `reassign`, to
    move a given address from another NIC of the network with its rules; a client `token`.
    """

    nic_uuid: str
    address: IPAddress | None = None
    addresses: tuple[IPAddress, ...] = ()
    count: int | None = None
    family: int | None = None
    reassign: bool = False
    token: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if self.count is not None and (self.address is not None or self.addresses):
            raise ParameterError("Give count or ipaddress(es), not both: count asks for that many free addresses")
        if self.address is not None and self.addresses:
            raise ParameterError("Give ipaddress or ipaddresses, not both")
        if self.count is not None and not 1 <= self.count <= MAX_AT_ONCE:
            raise ParameterError(f"Invalid value {self.count} for count: ask for 1 to {MAX_AT_ONCE} addresses")
        if len(self.addresses) > MAX_AT_ONCE:
            raise ParameterError(f"Too many ipaddresses ({len(self.addresses)}): at most {MAX_AT_ONCE} at once")
        if len(set(self.addresses)) != len(self.addresses):
            raise ParameterError("ipaddresses names an address twice")
        if self.family not in (None, 4, 6):
            raise ParameterError(f"Invalid value {self.family} for ipversion: 4 or 6")

    @property
    def several(self) -> bool:
        """Asked with count or ipaddresses: answered with a list, even of one."""
        return self.count is not None or bool(self.addresses)

    def wanted(self) -> tuple[IPAddress | None, ...]:
        if self.addresses:
            return self.addresses
        return (None,) * self.count if self.count is not None else (self.address,)


@dataclass(frozen=True, slots=True)
class NicFilter:
    """listNics: one VM's NICs, optionally one NIC or the NIC in one network; `keyword` filters secondaries."""

    vm_uuid: str
    nic_uuid: str | None = None
    network_uuid: str | None = None
    keyword: str | None = None
    tags: tuple[tuple[str, str | None], ...] = ()  # every (key, value) pair; a None value: any


def add_ip_to_nic(uow: UnitOfWork, caller: Caller, request: AddIp) -> Started[ReservedAddresses]:
    """Reserve secondary addresses on a NIC; the checks follow spec 02 section 2, in order."""
    try:
        return _add_ip_to_nic(uow, caller, request)
    except TokenTaken:
        # The same request with the same token committed first, meanwhile: this run finds its answer.
        return _add_ip_to_nic(uow, caller, request)


def _add_ip_to_nic(uow: UnitOfWork, caller: Caller, request: AddIp) -> Started[ReservedAddresses]:
    with uow:
        nic = lookup.nic_owner(uow, caller, request.nic_uuid)
        asked = client_tokens.digest(request) if request.token is not None else ""  # only a token keeps it
        before = client_tokens.answered(uow, caller, "addIpToNic", request.token, asked)
        if before is not None:
            if not isinstance(before.value, ReservedAddresses):
                raise InternalError(f"Client token {request.token!r} remembers no addresses")
            return Started(before.job, before.value)
        if nic.vm_type is not VmType.USER:
            raise ParameterError(f"NIC {nic.nic_uuid} belongs to system VM {nic.vm_name}; secondary IPs are for "
                                 "user VMs")
        net = _network(uow, nic.network_id)
        ensure_secondary_ips_supported(net.guest_type, net.name)
        cursors = uow.networks.lock(net.id)
        held = _check_limit(uow, nic.nic_id, nic.nic_uuid, len(request.wanted()))
        reserved = _reserve(uow, caller, net, nic, cursors, request)
        # Trust the count read under the lock, not only `nic` read before it: a concurrent remove
        # of the NIC's last IP may have cleared the flag meanwhile (PostgreSQL).
        if held == 0 or not nic.secondary_ip:
            uow.vms.update_nic(nic.nic_id, secondary_ip=1)
        uow.outbox.addresses(nic.vm_id, nic.nic_id, [r.address for r in reserved])
        result = ReservedAddresses(tuple(reserved), request.several)
        job = uow.start_job(caller, "addIpToNic", result=result, instance=("IpAddress", reserved[0].uuid),
                            configured=Configured(nic.vm_id, tuple(r.address for r in reserved), added=True))
        started = Started(job, result)
        client_tokens.remember(uow, caller, "addIpToNic", request.token, asked, started.job, result)
        return started


def _reserve(uow: UnitOfWork, caller: Caller, net: Network, nic: NicOwner, cursors: tuple[int | None, bytes | None],
             request: AddIp) -> list[NicSecondaryIp]:
    """The addresses asked for, for the NIC (network locked), in the order asked: moved from another NIC,
    given, or the next free ones. Each step handles all of them at once: a bulk add costs a few statements."""
    wanted = request.wanted()
    moved: dict[IPAddress | None, NicSecondaryIp] = {}
    for address in wanted if request.reassign else ():
        holding = address_moves.movable(uow, caller, net, nic, address) if address is not None else None
        if holding is not None:
            moved[address] = address_moves.move(uow, caller, net, nic, holding)
    given = [a for a in wanted if a is not None and a not in moved]
    taken = guest_ips.take_many(uow, net, given, wanted.count(None), request.family, cursors,
                                AllocationKind.SECONDARY, nic.nic_id, nic.mac_address)
    # `taken` holds the given addresses that did not move, in the order asked, then the free ones.
    made = iter(_record_secondaries(uow, caller, net, nic, taken, request.description))
    return [moved[a] if a in moved else next(made) for a in wanted]


def _record_secondaries(uow: UnitOfWork, caller: Caller, net: Network, nic: NicOwner,
                        taken: list[tuple[IPAddress, int]], description: str | None = None) -> list[NicSecondaryIp]:
    """The secondary IP rows of newly reserved addresses, tied to their allocations, with their events."""
    if not taken:
        return []
    rows = uow.vms.insert_secondaries([
        {"nic_id": nic.nic_id, "vm_id": nic.vm_id, "network_id": net.id, "account_id": nic.account_id,
         "domain_id": nic.domain_id, "ip4_address": str(a) if a.version == 4 else None,
         "ip6_address": str(a) if a.version == 6 else None, "description": description} for a, _ in taken])
    uow.allocations.attach_secondaries([(allocation_id, row_id) for (_, allocation_id), (row_id, _) in
                                        zip(taken, rows, strict=True)])
    addresses = [a for a, _ in taken]
    uow.events.record_many(caller, "NIC.SECONDARY.IP.ASSIGN", [
        f"Assigned secondary IP {a} to NIC {nic.nic_uuid} of VM {nic.vm_name}" for a in addresses],
        account_id=nic.account_id, domain_id=nic.domain_id)
    record_usage(uow, caller, net, (nic.vm_name, nic.account_id, nic.domain_id), addresses, "NET.IPASSIGN")
    return [NicSecondaryIp(uuid, str(a), nic.nic_uuid, net.uuid, nic.vm_uuid, description)
            for a, (_, uuid) in zip(addresses, rows, strict=True)]


def _network(uow: UnitOfWork, network_id: int) -> Network:
    found = uow.networks.network_by(id=network_id)
    if found is None:  # a NIC's network is a foreign key: only a removed network gets here
        raise UnknownEntity("networkid", str(network_id))
    return found


def _check_limit(uow: UnitOfWork, nic_id: int, nic_uuid: str, adding: int = 1) -> int:
    """The NIC's secondary IP count, read under the network lock; refused when `adding` more pass the limit."""
    limit = uow.settings.int_value(MAX_SECONDARY_IPS_KEY)
    held = uow.vms.count_secondary(nic_id)
    if held >= limit:
        raise ParameterError(
            f"Maximum number of secondary IPs per NIC ({limit}) reached on NIC {nic_uuid}; remove one first, "
            f"or ask the administrator to raise {MAX_SECONDARY_IPS_KEY}"
        )
    if held + adding > limit:
        raise ParameterError(
            f"Maximum number of secondary IPs per NIC ({limit}) would be passed on NIC {nic_uuid}: it holds {held}, "
            f"{adding} asked for; ask for at most {limit - held}"
        )
    return held


def refuse_if_targeted(uow: UnitOfWork, network_id: int, address: str, what: str) -> None:
    """ResourceInUse naming every rule that targets the guest address, if any does."""
    rules = rules_targeting(uow, network_id, address)
    if rules:
        raise ResourceInUse(f"{what}: it is the target of {', '.join(rules)}")


def remove_ip_from_nic(uow: UnitOfWork, caller: Caller, uuid: str) -> str:
    """Release a secondary address unless a rule still targets it (spec 02 section 3); returns the job uuid."""
    with uow:
        found = uow.vms.held_secondary(uuid)
        # A foreign address is answered as an unknown one: the text names only what the caller sent.
        if found is None or not may_access(caller, found.account_id, found.domain_path):
            raise UnknownEntity("id", uuid)
        net = _network(uow, found.network_id)
        uow.networks.lock(net.id)
        # Re-check under the lock: a concurrent remove of the same IP may have committed while
        # we waited for it (PostgreSQL), and must not be answered with a second success.
        if uow.vms.held_secondary(uuid) is None:
            raise UnknownEntity("id", uuid)
        refuse_if_targeted(uow, net.id, found.address, f"Cannot release secondary IP {found.address}")
        guest_ips.give_back(uow, net, found.address)
        uow.vms.delete_secondary(found.id)
        if uow.vms.count_secondary(found.nic_id) == 0:
            uow.vms.update_nic(found.nic_id, secondary_ip=0)
        uow.events.record(caller, "NIC.SECONDARY.IP.UNASSIGN",
                          f"Released secondary IP {found.address} from NIC {found.nic_uuid} of VM {found.vm_name}",
                          account_id=found.account_id, domain_id=found.domain_id)
        record_usage(uow, caller, net, (found.vm_name, found.account_id, found.domain_id), [found.address],
                     "NET.IPRELEASE")
        # The data plane drops the address in the job, after the release committed (spec 02 section 3.4).
        uow.outbox.addresses(found.vm_id, found.nic_id, [found.address])
        return uow.start_job(caller, "removeIpFromNic", instance=("IpAddress", uuid),
                             configured=Configured(found.vm_id, (found.address,), added=False))


def list_nics(uow: SqlUnitOfWork, caller: Caller, query: NicFilter) -> list[Nic]:
    with uow.reading():
        vm = lookup.vm(uow, caller, query.vm_uuid)
        # The lookup read the VM's NICs with their secondary IPs already; a keyword filters them anew.
        nics = list(vm.nics)
        if query.keyword is not None:
            nics = uow.vms.nics_of([vm.id], keyword=query.keyword).get(vm.id, [])
        if query.nic_uuid is not None:
            nics = [n for n in nics if n.uuid == query.nic_uuid]
            if not nics:
                raise UnknownEntity("nicid", query.nic_uuid)
        if query.network_uuid is not None:
            lookup.network(uow, caller, query.network_uuid)
            nics = [n for n in nics if n.network_uuid == query.network_uuid]
        if query.tags:
            held = uow.tags.of("Nic", [n.uuid for n in nics])
            nics = [n for n in nics if _has_tags(held.get(n.uuid, []), query.tags)]
        return nics


def _has_tags(held: Sequence[ResourceTag], wanted: Sequence[tuple[str, str | None]]) -> bool:
    return all(any(tag.key == key and value in (None, tag.value) for tag in held) for key, value in wanted)


def update_vm_nic_ip(uow: SqlUnitOfWork, caller: Caller, request: AddIp) -> Started[Vm]:
    """Move a NIC's primary address to another one, through the same allocator and checks.

    Refused while a rule targets the current primary address: moving rules silently would
    redirect traffic the user did not ask to move.
    """
    wanted = request.address
    with uow:
        vm, nic = lookup.vm_and_nic(uow, caller, request.nic_uuid)
        net = _network(uow, nic.network_id)
        ensure_secondary_ips_supported(net.guest_type, net.name)
        cursors = uow.networks.lock(net.id)
        family = wanted.version if wanted is not None else 4
        current = nic.ip4_address if family == 4 else nic.ip6_address
        if current is not None:
            refuse_if_targeted(uow, net.id, current, f"Cannot change primary IP {current} of NIC {nic.uuid}")
        if wanted is not None and current is not None and current == str(wanted):
            raise ParameterError(f"IP address {wanted} is already the primary address of NIC {nic.uuid}")
        address, _ = guest_ips.take(uow, net, wanted, cursors, AllocationKind.NIC, nic.id, nic.mac_address,
                                    family=family)
        if current is not None:
            guest_ips.give_back(uow, net, current)
        uow.vms.update_nic(nic.id, **{"ip4_address" if family == 4 else "ip6_address": str(address)})
        uow.events.record(caller, "NIC.UPDATE", f"Changed primary IP of NIC {nic.uuid} from {current} to {address}",
                          account_id=vm.account_id, domain_id=vm.domain_id)
        uow.outbox.vm(vm.id)
        changed = lookup.vm(uow, caller, vm.uuid)
        return Started(uow.start_job(caller, "updateVmNicIp", result=changed, instance=("VirtualMachine", vm.uuid)),
                       changed)
