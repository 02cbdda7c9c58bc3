"""The demo world `nicstack serve --demo` creates once: a zone, a host, account demo, a network, two VMs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.repos import accounts, infra
from nicstack.domain.access import Caller
from nicstack.domain.kinds import Role
from nicstack.services import identity, infrastructure, networks, vms
from nicstack.services.identity import NewAccount
from nicstack.services.infrastructure import NewHost, NewPod, NewZone
from nicstack.services.networks import NewNetwork
from nicstack.services.vms import NewVm, NicRequest

ZONE = "demo-zone"
ACCOUNT = "demo"


@dataclass(frozen=True, slots=True)
class DemoWorld:
    api_key: str
    secret_key: str
    vm_uuid: str
    nic_uuid: str
    network_uuid: str
    created: bool


def _admin(db: Database) -> Caller:
    with db.read() as conn:
        [user] = accounts.users_by(conn, username="admin")
        return accounts.caller_of(user)


def build_demo(db: Database) -> DemoWorld:
    """Create the demo world unless it exists; return how to reach it."""
    with db.read() as conn:
        exists = infra.zone_by(conn, name=ZONE) is not None
    created = not exists
    if created:
        admin = _admin(db)
        zone = infrastructure.create_zone(db, admin, NewZone(ZONE, "Advanced", "8.8.8.8", "10.0.0.2"))
        pod = infrastructure.create_pod(db, admin, NewPod(zone.uuid, "demo-pod", "192.168.100.1", "255.255.255.0",
                                                           "192.168.100.10", "192.168.100.200"))
        infrastructure.add_host(db, admin, NewHost(zone.uuid, pod.uuid, "KVM", "http://192.168.100.11"))
        identity.create_account(db, admin, NewAccount(Role.USER, ACCOUNT, "demo-password", "demo@example.com",
                                                      "Demo", "User", ACCOUNT))
        with db.read() as conn:
            [user] = accounts.users_by(conn, username=ACCOUNT)
        identity.register_user_keys(db, admin, user.uuid)
        demo = accounts.caller_of(user)
        with db.read() as conn:
            offering = infra.network_offering_by(conn, name="DefaultIsolatedNetworkOfferingWithSourceNatService")
            service = infra.service_offering_by(conn, name="Small Instance")
            template = infra.template_by(conn, name="tiny-linux")
        assert offering is not None and service is not None and template is not None
        net = networks.create_network(db, demo, NewNetwork("demo-network", "Demo isolated network", zone.uuid,
                                                           offering.uuid, gateway="10.1.1.1",
                                                           netmask="255.255.255.0"))
        for name in ("web-1", "web-2"):
            vms.deploy(db, demo, NewVm(zone.uuid, service["uuid"], template["uuid"], (NicRequest(net.uuid),),
                                       name=name))
    with db.read() as conn:
        [user] = accounts.users_by(conn, username=ACCOUNT)
        vm = conn.execute(
            select(t.vms.c.id, t.vms.c.uuid).where(t.vms.c.name == "web-1", t.vms.c.account_id == user.account.id)
        ).one()
        nic = conn.execute(select(t.nics.c.uuid, t.nics.c.network_id).where(t.nics.c.vm_id == vm.id)).one()
        net_uuid = conn.execute(select(t.networks.c.uuid).where(t.networks.c.id == nic.network_id)).scalar_one()
    assert user.api_key is not None and user.secret_key is not None
    return DemoWorld(user.api_key, user.secret_key, vm.uuid, nic.uuid, net_uuid, created)


def describe(world: DemoWorld, endpoint: str) -> str:
    """What to print: the endpoint, the demo user's keys, and a cs command to try."""
    state = "created" if world.created else "already there"
    return "\n".join([
        f"Demo world {state}: zone {ZONE}, network demo-network 10.1.1.0/24, account {ACCOUNT}, VMs web-1 and web-2.",
        "Try it with the cs client (pip install cs):",
        f"  export CLOUDSTACK_ENDPOINT={endpoint}",
        f"  export CLOUDSTACK_KEY={world.api_key}",
        f"  export CLOUDSTACK_SECRET={world.secret_key}",
        f"  cs addIpToNic nicid={world.nic_uuid}",
        f"  cs listNics virtualmachineid={world.vm_uuid}",
    ])
