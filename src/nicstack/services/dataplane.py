"""Which hosts enforce a VM's addresses or a security group's rules: the job step's host resolution."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select

from nicstack.db import prepared
from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.kinds import VmState
from nicstack.services.shared_networks import SECURITY_GROUP

m, v, rules = t.security_group_vm_map, t.vms, t.security_group_rules


def hosts_referencing(uow: SqlUnitOfWork, group_ids: Iterable[int]) -> set[int]:
    """Hosts running a VM whose groups' rules name one of `group_ids` (they hold those groups' member sets)."""
    ids = list(group_ids)
    if not ids:
        return set()
    joined = v.join(m, m.c.vm_id == v.c.id).join(rules, rules.c.security_group_id == m.c.security_group_id)
    query = (select(v.c.host_id).distinct().select_from(joined)
             .where(rules.c.allowed_group_id.in_(ids), v.c.state == str(VmState.RUNNING), v.c.host_id.is_not(None)))
    return {h for (h,) in uow.conn.execute(query).tuples()}


def hosts_of_group(uow: SqlUnitOfWork, group_id: int) -> set[int]:
    """Hosts running a member of the group (they hold its rules)."""
    query = (select(v.c.host_id).distinct().select_from(v.join(m, m.c.vm_id == v.c.id))
             .where(m.c.security_group_id == group_id, v.c.state == str(VmState.RUNNING), v.c.host_id.is_not(None)))
    return {h for (h,) in uow.conn.execute(query).tuples()}


_n, _o = t.networks, t.network_offerings
# One indexed probe: this runs in every addIpToNic job, and most VMs are in no such network.
_GUARDED = (
    select(t.nics.c.id)
    .select_from(t.nics.join(_n, _n.c.id == t.nics.c.network_id).join(_o, _o.c.id == _n.c.network_offering_id))
    .where(t.nics.c.vm_id == bindparam("vm_id"), _n.c.guest_type == "Shared",
           _o.c.services.contains(SECURITY_GROUP))
    .limit(1)
)


def guarded(uow: SqlUnitOfWork, vm_id: int) -> bool:
    """True when the VM has (or had: removed NICs count) a NIC in a security-group network."""
    return prepared.first(uow.conn, _GUARDED, {"vm_id": vm_id}) is not None


_VM_HOSTS = select(v.c.host_id, v.c.last_host_id).where(v.c.id == bindparam("vm_id"))


def hosts_for_vm(uow: SqlUnitOfWork, vm_id: int) -> set[int]:
    """The VM's host and last host (it may just have left it), and the hosts whose rules name its groups.

    Empty for a VM outside security-group networks: no host enforces anything for it.
    """
    if not guarded(uow, vm_id):  # asked first: most VMs are not, and then their hosts need not be read
        return set()
    row = prepared.first(uow.conn, _VM_HOSTS, {"vm_id": vm_id})
    if row is None:
        return set()
    groups = [g for (g,) in uow.conn.execute(select(m.c.security_group_id).where(m.c.vm_id == vm_id)).tuples()]
    return {h for h in (row["host_id"], row["last_host_id"]) if h is not None} | hosts_referencing(uow, groups)


_NETWORKS_OF_VM = select(t.nics.c.network_id).where(t.nics.c.vm_id == bindparam("vm_id"))


def networks_of_vm(uow: SqlUnitOfWork, vm_id: int) -> set[int]:
    """Every network the VM has or had a NIC in: their routers' metadata lists it (or must forget it)."""
    return {row["network_id"] for row in prepared.rows(uow.conn, _NETWORKS_OF_VM, {"vm_id": vm_id})}
