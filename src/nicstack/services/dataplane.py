"""After a change committed, which hosts must learn about it: publish each one's new state.

Called from job steps (addIpToNic, removeIpFromNic, VM life cycle, security group rules), so a
job finishes once the data plane has what the database says; each host is published in its own
short transaction and publishing twice is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select

from nicstack.db import prepared
from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.kinds import VmState
from nicstack.services.host_publish import Published, publish
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


_VM_HOSTS = select(v.c.id, v.c.host_id, v.c.last_host_id).where(v.c.uuid == bindparam("uuid"))


def hosts_for_vm(uow: SqlUnitOfWork, vm_uuid: str) -> set[int]:
    """The VM's host and last host (it may just have left it), and the hosts whose rules name its groups.

    Empty for a VM outside security-group networks: no host enforces anything for it.
    """
    row = prepared.first(uow.conn, _VM_HOSTS, {"uuid": vm_uuid})
    if row is None or not guarded(uow, row["id"]):
        return set()
    groups = [g for (g,) in uow.conn.execute(select(m.c.security_group_id).where(m.c.vm_id == row["id"])).tuples()]
    return {h for h in (row["host_id"], row["last_host_id"]) if h is not None} | hosts_referencing(uow, groups)


def publish_all(uow: SqlUnitOfWork, host_ids: Iterable[int]) -> list[Published]:
    return [publish(uow, host_id) for host_id in sorted(set(host_ids))]


def vm_changed(uow: SqlUnitOfWork, vm_uuid: str, also: Iterable[int] = ()) -> list[Published]:
    """Publish every host that holds (or held) the VM or its addresses; `also` adds hosts it left."""
    with uow.reading():
        hosts = hosts_for_vm(uow, vm_uuid) | set(also)
    return publish_all(uow, hosts)


def group_changed(uow: SqlUnitOfWork, group_id: int) -> list[Published]:
    """A group's rules changed: every host running one of its members renders them."""
    with uow.reading():
        hosts = hosts_of_group(uow, group_id)
    return publish_all(uow, hosts)


def configure_secondary_ip(uow: SqlUnitOfWork, caller: Caller, vm_uuid: str, address: str, added: bool) -> None:
    """The data-plane step of addIpToNic / removeIpFromNic (event NIC.SECONDARY.IP.CONFIGURE)."""
    published = vm_changed(uow, vm_uuid)
    if not published:
        return
    # A host whose state did not change had it already (a concurrent job published both addresses).
    lines = sum(len(p.changes.changes) for p in published if p.changes is not None)
    verb = "allowed" if added else "withdrawn"
    where = ", ".join(f"host {p.host.name} (generation {p.generation})" for p in published)
    with uow:
        vm = uow.conn.execute(select(v.c.account_id, v.c.domain_id, v.c.name).where(v.c.uuid == vm_uuid)).first()
        if vm is not None:
            uow.events.record(caller, "NIC.SECONDARY.IP.CONFIGURE",
                          f"Secondary IP {address} of VM {vm[2]} {verb} on {where}: {lines} change line(s)",
                          account_id=vm[0], domain_id=vm[1])
