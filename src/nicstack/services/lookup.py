"""Find an entity by uuid as the caller may see it; otherwise the unknown-uuid answer."""

from __future__ import annotations

from nicstack.db.repos.vms import NicOwner
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_access, network_audience
from nicstack.domain.errors import UnknownEntity
from nicstack.domain.kinds import VmType
from nicstack.domain.model import Host, Network, Nic, Vm, Zone
from nicstack.services.ports import UnitOfWork


def network(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str = "networkid") -> Network:
    found = uow.networks.network_by(uuid=uuid)
    if found is None or not network_audience(caller).admits(found.account_id, found.domain_path):
        raise UnknownEntity(param, uuid)
    return found


def vm(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str = "virtualmachineid", *, user_only: bool = True) -> Vm:
    found = uow.vms.vm_by(uuid=uuid)
    if found is None or not may_access(caller, found.account_id, found.domain_path):
        raise UnknownEntity(param, uuid)
    if user_only and found.vm_type is not VmType.USER:
        raise UnknownEntity(param, uuid)
    return found


def vm_and_nic(uow: SqlUnitOfWork, caller: Caller, nic_uuid: str, param: str = "nicid") -> tuple[Vm, Nic]:
    found = uow.vms.vm_of_nic(nic_uuid)
    if found is None or not may_access(caller, found[0].account_id, found[0].domain_path):
        raise UnknownEntity(param, nic_uuid)
    return found


def nic_owner(uow: UnitOfWork, caller: Caller, nic_uuid: str, param: str = "nicid") -> NicOwner:
    found = uow.vms.nic_owner(nic_uuid)
    if found is None or not may_access(caller, found.account_id, found.domain_path):
        raise UnknownEntity(param, nic_uuid)
    return found


def zone(uow: SqlUnitOfWork, uuid: str, param: str = "zoneid") -> Zone:
    found = uow.infra.zone_by(uuid=uuid)
    if found is None:
        raise UnknownEntity(param, uuid)
    return found


def host(uow: SqlUnitOfWork, uuid: str, param: str = "hostid") -> Host:
    found = uow.infra.host_by(uuid=uuid)
    if found is None:
        raise UnknownEntity(param, uuid)
    return found
