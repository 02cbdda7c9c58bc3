"""The change a secondary IP makes on the hosts does not grow with the group: 10 or 1,000 members, same lines.

The crowd is bulk-inserted (VMs, NICs, allocations, group membership) so the test stays fast; the
change itself goes through the services exactly as addIpToNic and its job step run it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address

import pytest
from sqlalchemy import select

from nicstack.api import commands  # noqa: F401 - registers the commands whose jobs answer here
from nicstack.api.runtime import answer_of
from nicstack.db import migrate
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.repos.accounts import caller_of
from nicstack.db.rows import new_uuid, now
from nicstack.db.seed import seed_defaults
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.kinds import Role
from nicstack.domain.security_groups import RuleShape
from nicstack.domain.vocabulary import Direction, Protocol
from nicstack.ipam.addresses import int_to_key
from nicstack.jobs.worker import Worker
from nicstack.render.sg_ipset import group_set_v4, nic_set_v4
from nicstack.services import host_publish, identity, infrastructure, networks, secondary_ips
from nicstack.services import security_groups as sg
from nicstack.services.identity import NewAccount
from nicstack.services.infrastructure import NewHost, NewPod, NewZone
from nicstack.services.networks import NewNetwork
from nicstack.services.secondary_ips import AddIp
from nicstack.services.security_groups import GroupRef, NewRules
from nicstack.services.vms import NewVm, NicRequest, deploy

pytestmark = pytest.mark.integration

BASE = int(IPv4Address("10.0.0.20"))


@pytest.fixture
def uow(database_url: str) -> Iterator[SqlUnitOfWork]:
    migrate.upgrade(database_url)
    database = Database(database_url)
    work = SqlUnitOfWork(database)
    with work:
        seed_defaults(work)
    yield work
    database.dispose()


def run_jobs(uow: SqlUnitOfWork) -> None:
    """What the server's worker does after the requests: run every pending job (they publish the hosts)."""
    worker = Worker(uow.db, "test", answer_of)
    while worker.run_due():
        pass


@dataclass
class Crowd:
    crowd_host: int
    watcher_host: int
    first_nic: str
    first_vm: str
    tenant: Caller


def _caller(uow: SqlUnitOfWork, username: str) -> Caller:
    with uow.reading():
        return caller_of(uow.accounts.users_by(username=username)[0])


def _bulk_members(uow: SqlUnitOfWork, size: int, host_id: int, pod_id: int, zone_id: int, network_id: int,
                  account_id: int, domain_id: int, group_id: int) -> None:
    """`size` running VMs on one host, one NIC each in the network, all in the group."""
    names = [f"crowd-{n}" for n in range(size)]
    uow.conn.execute(t.vms.insert(), [
        {"uuid": new_uuid(), "name": name, "display_name": name, "vm_type": "User", "state": "Running",
         "zone_id": zone_id, "pod_id": pod_id, "host_id": host_id, "last_host_id": host_id, "hypervisor": "KVM",
         "account_id": account_id, "domain_id": domain_id, "created": now()} for name in names])
    ids = dict(uow.conn.execute(select(t.vms.c.name, t.vms.c.id).where(t.vms.c.name.in_(names))).tuples().all())
    uow.conn.execute(t.nics.insert(), [
        {"uuid": new_uuid(), "vm_id": ids[name], "network_id": network_id, "device_id": 0,
         "mac_address": f"02:00:00:01:{n // 256:02x}:{n % 256:02x}", "ip4_address": str(IPv4Address(BASE + n)),
         "netmask": "255.255.240.0", "gateway": "10.0.0.1", "is_default": True, "secondary_ip": 0,
         "state": "Reserved", "created": now()} for n, name in enumerate(names)])
    nic_ids = dict(uow.conn.execute(select(t.nics.c.vm_id, t.nics.c.id).where(
        t.nics.c.vm_id.in_(list(ids.values())))).tuples().all())
    uow.conn.execute(t.ip_allocations.insert(), [
        {"network_id": network_id, "family": 4, "addr": int_to_key(BASE + n), "kind": "nic",
         "nic_id": nic_ids[ids[name]], "created": now()} for n, name in enumerate(names)])
    uow.conn.execute(t.security_group_vm_map.insert(), [{"security_group_id": group_id, "vm_id": ids[name]}
                                                    for name in names])


def build(uow: SqlUnitOfWork, size: int) -> Crowd:
    root = _caller(uow, "admin")
    zone = infrastructure.create_zone(uow, root, NewZone("z", "Advanced", "8.8.8.8", "10.0.0.2", True))
    pod = infrastructure.create_pod(uow, root, NewPod(zone.uuid, "p", "192.168.0.1", "255.255.255.0"))
    crowd_host = infrastructure.add_host(uow, root, NewHost(zone.uuid, pod.uuid, "KVM", "192.168.0.11"))
    watcher_host = infrastructure.add_host(uow, root, NewHost(zone.uuid, pod.uuid, "XenServer", "192.168.0.12"))
    identity.create_account(uow, root, NewAccount(Role.USER, "t", "pw", "t@example.com", "T", "T", "t"))
    tenant = _caller(uow, "t")
    with uow.reading():
        offering = uow.infra.network_offering_by(name="DefaultSharedNetworkOfferingWithSGService")
        service = uow.infra.service_offering_by(name="Small Instance")
        template = uow.infra.template_by(name="tiny-linux")
    assert offering is not None and service is not None and template is not None
    net = networks.create_network(uow, root, NewNetwork("crowd", "crowd", zone.uuid, offering.uuid, gateway="10.0.0.1",
                                                       netmask="255.255.240.0", start_ip="10.0.0.10",
                                                       end_ip="10.0.15.250"))
    members = sg.create_security_group(uow, tenant, "members", None, None, None)
    watchers = sg.create_security_group(uow, tenant, "watchers", None, None, None)
    # Members let each other in (so the crowd's host holds the members' set); watchers let members in.
    for group in (members, watchers):
        sg.authorize(uow, tenant, NewRules(GroupRef(group.uuid), Direction.INGRESS, RuleShape(Protocol.ALL),
                                          peers=(("t", "members"),)))
    with uow:
        _bulk_members(uow, size, crowd_host.id, pod.id, zone.id, net.id, tenant.account_id, tenant.domain_id,
                      members.id)
    deploy(uow, root, NewVm(zone.uuid, service["uuid"], template["uuid"], (NicRequest(net.uuid),), name="watcher",
                           host_uuid=watcher_host.uuid, account="t", domain_uuid=tenant.domain_uuid,
                           security_group_ids=(watchers.uuid,)))
    with uow.reading():
        first_vm, first_nic = uow.conn.execute(
            select(t.vms.c.uuid, t.nics.c.uuid).select_from(t.vms.join(t.nics, t.nics.c.vm_id == t.vms.c.id))
            .where(t.vms.c.name == "crowd-0")).one()
    run_jobs(uow)
    return Crowd(crowd_host.id, watcher_host.id, first_nic, first_vm, tenant)


def latest_change(uow: SqlUnitOfWork, host_id: int) -> dict[str, object]:
    with uow.reading():
        payload = uow.conn.execute(select(t.host_changes.c.payload).where(t.host_changes.c.host_id == host_id)
                               .order_by(t.host_changes.c.generation.desc()).limit(1)).scalar_one()
    changes: dict[str, object] = json.loads(payload)["changes"]
    return changes


def add_one(uow: SqlUnitOfWork, crowd: Crowd) -> str:
    """addIpToNic's request, then its job."""
    created = secondary_ips.add_ip_to_nic(uow, crowd.tenant, AddIp(crowd.first_nic, IPv4Address("10.0.15.200")))
    run_jobs(uow)
    return created.value.items[0].uuid


@pytest.mark.parametrize("size", [10, 1000])
def test_one_secondary_ip_changes_a_constant_number_of_lines_whatever_the_group_size(
    uow: SqlUnitOfWork, size: int
) -> None:
    crowd = build(uow, size)
    add_one(uow, crowd)
    on_crowd, on_watcher = latest_change(uow, crowd.crowd_host), latest_change(uow, crowd.watcher_host)
    with uow.reading():
        named = select(t.security_groups.c.uuid).where(t.security_groups.c.name == "members")
        group = uow.conn.execute(named).scalar_one()
    assert on_crowd["full"] is False and on_watcher["full"] is False
    assert on_crowd["ipset"] == [f"add {nic_set_v4(crowd.first_nic)} 10.0.15.200 -exist",
                                 f"add {group_set_v4(group)} 10.0.15.200 -exist"]
    assert len(on_crowd["ebtables"]) == 1  # type: ignore[arg-type]
    assert on_watcher == {"full": False, "reason": "", "ebtables": [],
                          "ipset": [f"add {group_set_v4(group)} 10.0.15.200 -exist"]}
    config = host_publish.get_host_config(uow, _host_uuid(uow, crowd.crowd_host), 1)
    assert config.changes is not None and len(config.changes.changes) == 3


def _host_uuid(uow: SqlUnitOfWork, host_id: int) -> str:
    with uow.reading():
        found: str = uow.conn.execute(select(t.hosts.c.uuid).where(t.hosts.c.id == host_id)).scalar_one()
    return found
