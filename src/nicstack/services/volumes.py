"""listVolumes: each VM's ROOT volume, derived from its template and service offering (nicstack has no storage).

The volume's id is a name-based uuid of its VM's, so it is stable without a table; its size is the
template's root disk size, which nicstack does not know: ROOT_DISK_GIB stands in for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import UnknownEntity
from nicstack.domain.model import Vm
from nicstack.services import lookup
from nicstack.services.scope import OwnerFilter, list_scope

ROOT_DISK_GIB = 8
_NAMESPACE = uuid.UUID("5d0f6a52-8f61-4e4b-9d25-6c1f3b0d7a10")


@dataclass(frozen=True, slots=True)
class RootVolume:
    uuid: str
    vm: Vm

    @property
    def name(self) -> str:
        return f"ROOT-{self.vm.id}"

    @property
    def size(self) -> int:
        return ROOT_DISK_GIB * 1024**3


@dataclass(frozen=True, slots=True)
class VolumeFilter:
    uuid: str | None = None
    vm_uuid: str | None = None
    kind: str | None = None
    zone_uuid: str | None = None
    name: str | None = None
    keyword: str | None = None
    owner: OwnerFilter = field(default_factory=OwnerFilter)


def root_volume_uuid(vm_uuid: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{vm_uuid}/ROOT"))


def list_volumes(uow: SqlUnitOfWork, caller: Caller, wanted: VolumeFilter) -> list[RootVolume]:
    """The ROOT volumes of the VMs the caller may list, filtered; raises UnknownEntity for an id not among them."""
    v = t.vms
    with uow.reading():
        owner = wanted.owner if wanted.uuid is None else OwnerFilter(wanted.owner.account, wanted.owner.domain_uuid,
                                                                      True)
        scope = list_scope(uow, caller, owner)
        where: list[Any] = [v.c.vm_type == "User"]
        if scope.account_id is not None:
            where.append(v.c.account_id == scope.account_id)
        if scope.domain_path is not None:
            where.append(t.domains.c.path.startswith(scope.domain_path))
        if wanted.vm_uuid is not None:
            where.append(v.c.id == lookup.vm(uow, caller, wanted.vm_uuid, "virtualmachineid").id)
        if wanted.zone_uuid is not None:
            where.append(v.c.zone_id == lookup.zone(uow, wanted.zone_uuid).id)
        vms, _ = uow.vms.listing(where, None)
    found = [RootVolume(root_volume_uuid(vm.uuid), vm) for vm in vms]
    if wanted.uuid is not None:
        found = [vol for vol in found if vol.uuid == wanted.uuid]
        if not found:
            raise UnknownEntity("id", wanted.uuid)
    if wanted.kind is not None and wanted.kind.upper() != "ROOT":
        return []  # no data disks here
    if wanted.name is not None:
        found = [vol for vol in found if vol.name == wanted.name]
    if wanted.keyword:
        found = [vol for vol in found if wanted.keyword.lower() in vol.name.lower()]
    return found
