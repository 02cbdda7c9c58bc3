"""The demo world `nicstack serve --demo` creates once: a zone with a public range, a host, account demo,
an isolated network with two VMs, and a VPC with two tiers and one VM in each."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from nicstack import demo_elastic, demo_guarded
from nicstack.db import tables as t
from nicstack.db.repos.accounts import caller_of
from nicstack.db.uow import SqlUnitOfWork
from nicstack.demo_elastic import ElasticWorld
from nicstack.demo_guarded import GuardedWorld
from nicstack.domain.access import Caller
from nicstack.domain.kinds import Role
from nicstack.services import identity, infrastructure, networks, public_ranges, routers, vms
from nicstack.services import vpcs as vpc_service
from nicstack.services.identity import NewAccount
from nicstack.services.infrastructure import NewHost, NewPod, NewZone
from nicstack.services.networks import NewNetwork
from nicstack.services.public_ranges import NewRange
from nicstack.services.vms import NewVm, NicRequest
from nicstack.services.vpcs import NewVpc

ZONE = "demo-zone"
ACCOUNT = "demo"
# The demo user's password for the web UI: a demo world is for trying things on one's own machine.
PASSWORD = "demo-password"
VPC = "demo-vpc"
# Documentation addresses (RFC 5737) for the demo's public range.
PUBLIC_RANGE = NewRange("", "203.0.113.1", "255.255.255.0", "203.0.113.10", "203.0.113.99")
DATA_NOTE = "the database printed above; stop the server and delete that file to start over"
TIERS = (("demo-web", "10.2.1.1", "vpc-web-1"), ("demo-db", "10.2.2.1", "vpc-db-1"))


@dataclass(frozen=True, slots=True)
class DemoWorld:
    api_key: str
    secret_key: str
    vm_uuid: str
    nic_uuid: str
    network_uuid: str
    vpc_uuid: str
    created: bool
    guarded: GuardedWorld | None = None
    elastic: ElasticWorld | None = None


def _admin(uow: SqlUnitOfWork) -> Caller:
    with uow.reading():
        [user] = uow.accounts.users_by(username="admin")
        return caller_of(user)


def build_demo(uow: SqlUnitOfWork) -> DemoWorld:
    """Create the demo world unless it exists; return how to reach it."""
    with uow.reading():
        exists = uow.infra.zone_by(name=ZONE) is not None
    created = not exists
    if created:
        admin = _admin(uow)
        zone = infrastructure.create_zone(uow, admin, NewZone(ZONE, "Advanced", "8.8.8.8", "10.0.0.2"))
        pod = infrastructure.create_pod(uow, admin, NewPod(zone.uuid, "demo-pod", "192.168.100.1", "255.255.255.0",
                                                           "192.168.100.10", "192.168.100.200"))
        infrastructure.add_host(uow, admin, NewHost(zone.uuid, pod.uuid, "KVM", "http://192.168.100.11"))
        # Before the first VM: the network takes its source-NAT address from this range when implemented.
        _public_range(uow, admin)
        identity.create_account(uow, admin, NewAccount(Role.USER, ACCOUNT, PASSWORD, "demo@example.com",
                                                      "Demo", "User", ACCOUNT))
        with uow.reading():
            [user] = uow.accounts.users_by(username=ACCOUNT)
        identity.register_user_keys(uow, admin, user.uuid)
        demo = caller_of(user)
        with uow.reading():
            offering = uow.infra.network_offering_by(name="DefaultIsolatedNetworkOfferingWithSourceNatService")
            service = uow.infra.service_offering_by(name="Small Instance")
            template = uow.infra.template_by(name="tiny-linux")
        assert offering is not None and service is not None and template is not None
        net = networks.create_network(uow, demo, NewNetwork("demo-network", "Demo isolated network", zone.uuid,
                                                           offering.uuid, gateway="10.1.1.1",
                                                           netmask="255.255.255.0"))
        for name in ("web-1", "web-2"):
            vms.deploy(uow, demo, NewVm(zone.uuid, service["uuid"], template["uuid"], (NicRequest(net.uuid),),
                                       name=name))
    vpc_uuid = _extend(uow)
    guarded = demo_guarded.extend(uow, _admin(uow), demo_guarded.demo_caller(uow, ACCOUNT), ZONE)
    elastic = demo_elastic.extend(uow, _admin(uow), demo_guarded.demo_caller(uow, ACCOUNT))
    with uow.reading():
        [user] = uow.accounts.users_by(username=ACCOUNT)
        vm = uow.conn.execute(
            select(t.vms.c.id, t.vms.c.uuid).where(t.vms.c.name == "web-1", t.vms.c.account_id == user.account.id)
        ).one()
        nic = uow.conn.execute(select(t.nics.c.uuid, t.nics.c.network_id).where(t.nics.c.vm_id == vm.id)).one()
        net_uuid = uow.conn.execute(select(t.networks.c.uuid).where(t.networks.c.id == nic.network_id)).scalar_one()
    assert user.api_key is not None and user.secret_key is not None
    return DemoWorld(user.api_key, user.secret_key, vm.uuid, nic.uuid, net_uuid, vpc_uuid, created, guarded,
                     elastic)


def _public_range(uow: SqlUnitOfWork, admin: Caller) -> bool:
    """Give the demo zone its public range unless it has one; True when it was added."""
    with uow.reading():
        zone = uow.infra.zone_by(name=ZONE)
        assert zone is not None
        if uow.public_ips.ranges(t.vlan_ip_ranges.c.zone_id == zone.id):
            return False
    public_ranges.create_vlan_range(uow, admin, NewRange(
        zone.uuid, PUBLIC_RANGE.gateway, PUBLIC_RANGE.netmask, PUBLIC_RANGE.start_ip, PUBLIC_RANGE.end_ip))
    return True


def _extend(uow: SqlUnitOfWork) -> str:
    """The public range and the VPC with its tiers and VMs, added to a demo world made before they existed."""
    admin = _admin(uow)
    with uow.reading():
        [user] = uow.accounts.users_by(username=ACCOUNT)
        demo = caller_of(user)
        zone = uow.infra.zone_by(name=ZONE)
        found = uow.vpcs.vpc_by(name=VPC, account_id=demo.account_id)
        vpc_offering = uow.vpcs.offering_by(name="Default VPC offering")
        tier_offering = uow.infra.network_offering_by(name="DefaultIsolatedNetworkOfferingForVpcNetworks")
        service = uow.infra.service_offering_by(name="Small Instance")
        template = uow.infra.template_by(name="tiny-linux")
        network = uow.conn.execute(select(t.networks.c.uuid).where(t.networks.c.name == "demo-network")).scalar()
    if found is not None:
        return found.uuid
    assert zone and vpc_offering and tier_offering and service and template and network
    if _public_range(uow, admin):
        # An older demo network was implemented without a public range: take its source NAT now.
        routers.restart_network(uow, demo, network, False)
    vpc = vpc_service.create_vpc(uow, demo, NewVpc(VPC, "Demo VPC", "10.2.0.0/16", vpc_offering.uuid, zone.uuid)).value
    for tier_name, gateway, vm_name in TIERS:
        tier = networks.create_network(uow, demo, NewNetwork(tier_name, f"Demo VPC tier {tier_name}", zone.uuid,
                                                            tier_offering.uuid, gateway=gateway,
                                                            netmask="255.255.255.0", vpc_uuid=vpc.uuid))
        vms.deploy(uow, demo, NewVm(zone.uuid, service["uuid"], template["uuid"], (NicRequest(tier.uuid),),
                                   name=vm_name))
    return vpc.uuid


def describe(world: DemoWorld, endpoint: str) -> str:
    """What to print: the endpoint, the demo user's keys, and a cs command to try."""
    state = "created" if world.created else "already there"
    return "\n".join([
        f"Demo world {state} (11 VMs of account {ACCOUNT} in 4 zones; the data: {DATA_NOTE}).",
        f"Zone {ZONE} (public range {PUBLIC_RANGE.start_ip}-{PUBLIC_RANGE.end_ip}), account "
        f"{ACCOUNT}, network demo-network 10.1.1.0/24 with VMs web-1 and web-2, VPC {VPC} 10.2.0.0/16 "
        f"({world.vpc_uuid}) with tiers demo-web and demo-db and VMs vpc-web-1 and vpc-db-1.",
        f"Web UI: open {endpoint.removesuffix('/client/api')}/ and sign in as {ACCOUNT} with password {PASSWORD}",
        "As the demo user, with the cs client (source .venv/bin/activate; pip install cs):",
        f"  export CLOUDSTACK_ENDPOINT={endpoint}",
        f"  export CLOUDSTACK_KEY={world.api_key}",
        f"  export CLOUDSTACK_SECRET={world.secret_key}",
        f"  cs addIpToNic nicid={world.nic_uuid}",
        f"  cs listNics virtualmachineid={world.vm_uuid}",
        *(demo_guarded.describe(world.guarded) if world.guarded else []),
        *(demo_elastic.describe(world.elastic) if world.elastic else []),
    ])
