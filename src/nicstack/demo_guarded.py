"""The demo world's security-group side: a shared network with security groups, a Basic zone, more hypervisors.

Added to the demo world by `demo.build_demo`, once: an Advanced zone with security groups (a KVM, a
XenServer and a VMware host) and its shared network demo-shared with VMs on the KVM and XenServer
hosts; a Basic zone with two pods and a VM in each; and a VMware host in the demo zone with a VM.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.repos.accounts import caller_of
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.security_groups import DEFAULT_GROUP, RuleShape
from nicstack.domain.vocabulary import Direction, Protocol
from nicstack.services import infrastructure, networks, security_groups, vms
from nicstack.services.infrastructure import NewHost, NewPod, NewZone
from nicstack.services.networks import NewNetwork
from nicstack.services.security_groups import GroupRef, NewRules
from nicstack.services.vms import NewVm, NicRequest

SG_ZONE = "demo-sg-zone"
BASIC_ZONE = "demo-basic-zone"
SHARED = "demo-shared"
SG_OFFERING = "DefaultSharedNetworkOfferingWithSGService"


@dataclass(frozen=True, slots=True)
class GuardedWorld:
    shared_network_uuid: str
    vm_uuid: str
    nic_uuid: str
    host_uuid: str


def _deploy(uow: SqlUnitOfWork, admin: Caller, demo: Caller, zone_uuid: str, host_uuid: str, name: str,
            network_uuid: str | None) -> None:
    with uow.reading():
        service = uow.infra.service_offering_by(name="Small Instance")
        template = uow.infra.template_by(name="tiny-linux")
    assert service is not None and template is not None
    nics = (NicRequest(network_uuid),) if network_uuid else ()
    vms.deploy(uow, admin, NewVm(zone_uuid, service["uuid"], template["uuid"], nics, name=name, host_uuid=host_uuid,
                                account=demo.account_name, domain_uuid=demo.domain_uuid))


def _sg_zone(uow: SqlUnitOfWork, admin: Caller, demo: Caller, offering_uuid: str) -> None:
    zone = infrastructure.create_zone(uow, admin, NewZone(SG_ZONE, "Advanced", "8.8.8.8", "10.0.0.2", True))
    pod = infrastructure.create_pod(uow, admin, NewPod(zone.uuid, "demo-sg-pod", "192.168.110.1", "255.255.255.0"))
    hosts = [infrastructure.add_host(uow, admin, NewHost(zone.uuid, pod.uuid, kind, f"http://192.168.110.{11 + i}"))
             for i, kind in enumerate(("KVM", "XenServer", "VMware"))]
    net = networks.create_network(uow, admin, NewNetwork(
        SHARED, "Demo shared network with security groups", zone.uuid, offering_uuid, gateway="10.3.0.1",
        netmask="255.255.255.0", start_ip="10.3.0.10", end_ip="10.3.0.200", vlan="300", ip6_cidr="fd00:3::/64",
        start_ipv6="fd00:3::100", end_ipv6="fd00:3::1ff"))
    # Members of demo's default group reach each other; ssh from anywhere.
    default = GroupRef(name=DEFAULT_GROUP, account=demo.account_name, domain_uuid=demo.domain_uuid)
    security_groups.authorize(uow, admin, NewRules(default, Direction.INGRESS, RuleShape(Protocol.ALL),
                                                  peers=((demo.account_name, DEFAULT_GROUP),)))
    security_groups.authorize(uow, admin, NewRules(default, Direction.INGRESS, RuleShape(Protocol.TCP, 22, 22),
                                                  cidrs=("0.0.0.0/0",)))
    for host, name in zip(hosts[:2], ("sg-kvm-1", "sg-xen-1"), strict=True):
        _deploy(uow, admin, demo, zone.uuid, host.uuid, name, net.uuid)


def _basic_zone(uow: SqlUnitOfWork, admin: Caller, demo: Caller, offering_uuid: str) -> None:
    zone = infrastructure.create_zone(uow, admin, NewZone(BASIC_ZONE, "Basic", "8.8.8.8", "10.0.0.2"))
    placed = []
    for i, letter in enumerate("ab"):
        pod = infrastructure.create_pod(uow, admin, NewPod(zone.uuid, f"demo-basic-pod-{letter}", f"10.{4 + i}.0.1",
                                                          "255.255.255.0", f"10.{4 + i}.0.10", f"10.{4 + i}.0.200"))
        placed.append(infrastructure.add_host(uow, admin, NewHost(zone.uuid, pod.uuid, "KVM",
                                                                 f"http://192.168.120.{11 + i}")))
    networks.create_network(uow, admin, NewNetwork("demo-basic", "Demo Basic zone network", zone.uuid, offering_uuid))
    for host, name in zip(placed, ("basic-a-1", "basic-b-1"), strict=True):
        _deploy(uow, admin, demo, zone.uuid, host.uuid, name, None)


def _vmware(uow: SqlUnitOfWork, admin: Caller, demo: Caller, zone_name: str) -> None:
    with uow.reading():
        zone = uow.infra.zone_by(name=zone_name)
        pods = uow.infra.pods(zone_id=zone.id) if zone else []
        network = uow.conn.execute(select(t.networks.c.uuid).where(t.networks.c.name == "demo-network")).scalar()
    assert zone is not None and pods and network is not None
    host = infrastructure.add_host(uow, admin, NewHost(zone.uuid, pods[0].uuid, "VMware", "http://192.168.100.13"))
    _deploy(uow, admin, demo, zone.uuid, host.uuid, "web-vmware", network)


def extend(uow: SqlUnitOfWork, admin: Caller, demo: Caller, demo_zone: str) -> GuardedWorld:
    """Add the security-group side to the demo world unless it is there; return what to show."""
    with uow.reading():
        missing = uow.infra.zone_by(name=SG_ZONE) is None
        offering = uow.infra.network_offering_by(name=SG_OFFERING)
    assert offering is not None
    if missing:
        _sg_zone(uow, admin, demo, offering.uuid)
        _basic_zone(uow, admin, demo, offering.uuid)
        _vmware(uow, admin, demo, demo_zone)
    with uow.reading():
        vm = uow.conn.execute(select(t.vms.c.id, t.vms.c.uuid, t.vms.c.host_id).where(
            t.vms.c.name == "sg-kvm-1", t.vms.c.account_id == demo.account_id, t.vms.c.removed.is_(None))).one()
        nic = uow.conn.execute(select(t.nics.c.uuid, t.nics.c.network_id).where(t.nics.c.vm_id == vm.id)).one()
        net = uow.conn.execute(select(t.networks.c.uuid).where(t.networks.c.id == nic.network_id)).scalar_one()
        host = uow.conn.execute(select(t.hosts.c.uuid).where(t.hosts.c.id == vm.host_id)).scalar_one()
    return GuardedWorld(net, vm.uuid, nic.uuid, host)


def describe(world: GuardedWorld) -> list[str]:
    return [
        f"Security groups: zone {SG_ZONE} (KVM, XenServer and VMware hosts) with shared network {SHARED} "
        "10.3.0.0/24 and VMs sg-kvm-1 and sg-xen-1 in group default; Basic zone "
        f"{BASIC_ZONE} with pods a and b and VMs basic-a-1 and basic-b-1; VM web-vmware on a VMware host.",
        f"  cs listFreeIpAddresses networkid={world.shared_network_uuid}",
        f"  cs addIpToNic nicid={world.nic_uuid}",
        f"  (as admin) cs getHostConfig hostid={world.host_uuid}",
    ]


def demo_caller(uow: SqlUnitOfWork, username: str) -> Caller:
    with uow.reading():
        [user] = uow.accounts.users_by(username=username)
        return caller_of(user)
