"""listVirtualMachines: the VMs a caller sees, by a typed filter."""

from __future__ import annotations

from dataclasses import dataclass, field

from nicstack.db.repos.vms import VmQuery
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, visible_to
from nicstack.domain.kinds import Role
from nicstack.domain.model import Vm
from nicstack.services import lookup
from nicstack.services.scope import OwnerFilter, list_scope


@dataclass(frozen=True, slots=True)
class VmFilter:
    """The user VMs of `owner` (or the one VM `uuid`, wherever the caller sees it) matching the rest (None: any)."""

    owner: OwnerFilter = field(default_factory=OwnerFilter)
    uuid: str | None = None
    zone_uuid: str | None = None
    host_uuid: str | None = None
    network_uuid: str | None = None  # VMs with a NIC in this network
    name: str | None = None
    state: str | None = None
    keyword: str | None = None  # within the name or the display name
    page: tuple[int, int] | None = None
    tags: tuple[tuple[str, str | None], ...] = ()  # every (key, value) pair; a None value: any


def list_virtual_machines(uow: SqlUnitOfWork, caller: Caller, wanted: VmFilter) -> tuple[list[Vm], int]:
    """Raises UnknownEntity for a VM, owner, zone, host or network the caller may not see (in that order)."""
    with uow.reading():
        if wanted.uuid is not None:
            # An unknown or foreign id is CloudStack's unknown-uuid error: Terraform reads it as "gone".
            vm_id: int | None = lookup.vm(uow, caller, wanted.uuid, "id").id
            owners = visible_to(caller)
        else:
            vm_id, owners = None, list_scope(uow, caller, wanted.owner)
        query = VmQuery(
            owners, vm_id=vm_id,
            zone_id=None if wanted.zone_uuid is None else lookup.zone(uow, wanted.zone_uuid).id,
            host_id=None if wanted.host_uuid is None else lookup.host(uow, wanted.host_uuid).id,
            network_id=None if wanted.network_uuid is None else lookup.network(uow, caller, wanted.network_uuid).id,
            name=wanted.name, state=wanted.state, keyword=wanted.keyword, tags=wanted.tags,
            hide_destroyed=caller.role is Role.USER,
        )
        return uow.vms.matching(query, wanted.page)
