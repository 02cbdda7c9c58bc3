"""Use cases that move or change a VM without touching its addresses: updateVirtualMachine, migrateVirtualMachine."""

from __future__ import annotations

from collections.abc import Sequence

from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError
from nicstack.domain.jobs import Started
from nicstack.domain.kinds import VmState, ZoneType
from nicstack.domain.model import Vm
from nicstack.services import dataplane, lookup, placement, security_groups


def update_virtual_machine(uow: SqlUnitOfWork, caller: Caller, uuid: str, display_name: str | None,
                           group_ids: Sequence[str] | None, group_names: Sequence[str] | None,
                           user_data: str | None = None) -> Vm:
    """Change the display name, the user data (base64; "" removes it) and/or the security groups (the VM must
    be stopped for the latter, as in CloudStack)."""
    with uow:
        vm = lookup.vm(uow, caller, uuid, "id")
        if group_ids is not None or group_names is not None:
            if vm.state is not VmState.STOPPED:
                raise ParameterError(f"VM {vm.name} is {vm.state}: stop it before changing its security groups")
            owner = uow.accounts.account_by(id=vm.account_id)
            assert owner is not None
            chosen = security_groups.groups_for_vm(uow, caller, owner, placement.networks_of(uow, vm),
                                                   group_ids or (), group_names or ())
            # Hosts holding the old groups' member sets must drop the VM's addresses; the VM's own
            # host and those referencing its new groups follow from the VM itself.
            old = [gid for gid, _, _ in uow.security_groups.groups_of_vms([vm.id]).get(vm.id, [])]
            uow.outbox.host(*dataplane.hosts_referencing(uow, old))
            uow.security_groups.set_vm_groups(vm.id, chosen)
            uow.outbox.vm(vm.id)
        if display_name is not None:
            if not display_name.strip():
                raise ParameterError("Invalid value '' for displayname: it must not be blank")
            uow.vms.update_vm(vm.id, display_name=display_name.strip())
        if user_data is not None:
            uow.vms.set_user_data(vm.id, user_data)
            uow.outbox.network(*dataplane.networks_of_vm(uow, vm.id))  # the routers' metadata serves it
        uow.events.record(caller, "VM.UPDATE", f"Updated VM {vm.name}", account_id=vm.account_id,
                      domain_id=vm.domain_id)
        found = uow.vms.vm_by(id=vm.id)
        assert found is not None
        return found


def user_data_of(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> tuple[Vm, str]:
    """getVirtualMachineUserData: the VM and its user data (base64, "" when it has none)."""
    with uow:
        vm = lookup.vm(uow, caller, uuid, "virtualmachineid")
        return vm, uow.vms.user_data([vm.id]).get(vm.id, "")


def migrate_virtual_machine(uow: SqlUnitOfWork, caller: Caller, uuid: str, host_uuid: str | None) -> Started[Vm]:
    """Move a running VM to another host of its zone (same hypervisor; Basic zone: same pod)."""
    with uow:
        vm = lookup.vm(uow, caller, uuid)
        if vm.state is not VmState.RUNNING or vm.host_id is None:
            raise ParameterError(f"VM {vm.name} is {vm.state}: only a running VM can be migrated")
        zone = uow.infra.zone_by(id=vm.zone_id)
        current = uow.infra.host_by(id=vm.host_id)
        assert zone is not None and current is not None
        nets, pod = placement.networks_of(uow, vm), placement.pod_of(uow, vm.id)
        basic_pod = pod if zone.network_type is ZoneType.BASIC else None
        if host_uuid is None:
            target = placement.pick_host(uow, zone, nets, vm.name, pod_id=basic_pod, exclude=current.id,
                                         hypervisor=current.hypervisor)
        else:
            target = placement.chosen_host(uow, zone, nets, vm.name, host_uuid, basic_pod)
        if target.id == current.id:
            raise ParameterError(f"VM {vm.name} already runs on host {target.name}")
        if target.hypervisor is not current.hypervisor:
            raise ParameterError(f"VM {vm.name} runs on {current.hypervisor}; host {target.name} is "
                                 f"{target.hypervisor}: a VM migrates between hosts of one hypervisor")
        uow.vms.update_vm(vm.id, host_id=target.id, last_host_id=target.id, pod_id=target.pod_id)
        uow.events.record(caller, "VM.MIGRATE", f"Migrated VM {vm.name} from host {current.name} to {target.name}",
                      account_id=vm.account_id, domain_id=vm.domain_id)
        found = uow.vms.vm_by(id=vm.id)
        assert found is not None
        # The host it left drops the VM's addresses; the new one (and those naming its groups) gets them.
        uow.outbox.vm(vm.id)
        uow.outbox.host(current.id)
        job = uow.start_job(caller, "migrateVirtualMachine", result=found, instance=("VirtualMachine", vm.uuid))
        return Started(job, found)
