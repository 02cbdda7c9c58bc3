"""The demo world's elastic side: a Basic zone whose network has elastic IPs and elastic load balancing.

Added to the demo world by `demo.build_demo`, once: Basic zone demo-eip-zone with one pod, its network
demo-eip on CloudStack's EIP/ELB offering, a public range for elastic IPs, and VMs eip-1 and eip-2 of
account demo. Its router is `nicstack agent router --network <demo-eip's id>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.services import infrastructure, networks, public_ranges, vms
from nicstack.services.infrastructure import NewHost, NewPod, NewZone
from nicstack.services.networks import NewNetwork
from nicstack.services.public_ranges import NewRange
from nicstack.services.vms import NewVm

EIP_ZONE = "demo-eip-zone"
EIP_NETWORK = "demo-eip"
EIP_OFFERING = "DefaultSharedNetscalerEIPandELBNetworkOffering"
# Documentation addresses (RFC 5737 TEST-NET-2) for the elastic IPs.
EIP_RANGE = NewRange("", "198.51.100.1", "255.255.255.0", "198.51.100.10", "198.51.100.99")
VMS = ("eip-1", "eip-2")


@dataclass(frozen=True, slots=True)
class ElasticWorld:
    zone_uuid: str
    network_uuid: str
    vm_uuids: tuple[str, ...]


def _create(uow: SqlUnitOfWork, admin: Caller, demo: Caller) -> None:
    with uow.reading():
        offering = uow.infra.network_offering_by(name=EIP_OFFERING)
        service = uow.infra.service_offering_by(name="Small Instance")
        template = uow.infra.template_by(name="tiny-linux")
    assert offering is not None and service is not None and template is not None
    zone = infrastructure.create_zone(uow, admin, NewZone(EIP_ZONE, "Basic", "8.8.8.8", "10.0.0.2"))
    pod = infrastructure.create_pod(uow, admin, NewPod(zone.uuid, "demo-eip-pod", "10.6.0.1", "255.255.255.0",
                                                      "10.6.0.10", "10.6.0.200"))
    host = infrastructure.add_host(uow, admin, NewHost(zone.uuid, pod.uuid, "KVM", "http://192.168.130.11"))
    networks.create_network(uow, admin, NewNetwork(EIP_NETWORK, "Demo Basic zone network with elastic IPs and LB",
                                                   zone.uuid, offering.uuid))
    # After the network: a Basic zone takes public ranges only when its network has elastic IPs.
    public_ranges.create_vlan_range(uow, admin, NewRange(zone.uuid, EIP_RANGE.gateway, EIP_RANGE.netmask,
                                                         EIP_RANGE.start_ip, EIP_RANGE.end_ip))
    for name in VMS:
        vms.deploy(uow, admin, NewVm(zone.uuid, service["uuid"], template["uuid"], (), name=name,
                                     host_uuid=host.uuid, account=demo.account_name, domain_uuid=demo.domain_uuid))


def extend(uow: SqlUnitOfWork, admin: Caller, demo: Caller) -> ElasticWorld:
    """Add the elastic Basic zone to the demo world unless it is there; return what to show."""
    with uow.reading():
        missing = uow.infra.zone_by(name=EIP_ZONE) is None
    if missing:
        _create(uow, admin, demo)
    with uow.reading():
        zone = uow.infra.zone_by(name=EIP_ZONE)
        net = uow.conn.execute(select(t.networks.c.uuid).where(t.networks.c.name == EIP_NETWORK)).scalar_one()
        found = uow.conn.execute(select(t.vms.c.uuid).where(
            t.vms.c.name.in_(VMS), t.vms.c.account_id == demo.account_id, t.vms.c.removed.is_(None))
            .order_by(t.vms.c.name)).scalars().all()
    assert zone is not None
    return ElasticWorld(zone.uuid, net, tuple(found))


def describe(world: ElasticWorld) -> list[str]:
    return [
        f"Elastic IPs: Basic zone {EIP_ZONE} ({world.zone_uuid}) with network {EIP_NETWORK} ({EIP_OFFERING}), "
        f"pod range 10.6.0.10-10.6.0.200, elastic IPs {EIP_RANGE.start_ip}-{EIP_RANGE.end_ip}, VMs "
        f"{' and '.join(VMS)}.",
        f"  cs associateIpAddress zoneid={world.zone_uuid}",
        f"  cs enableStaticNat ipaddressid=<its id> virtualmachineid={world.vm_uuids[0]}",
        f"  (as admin) nicstack agent router --network {world.network_uuid} ...",
    ]
