"""The rows every installation starts with, and the admin's first credentials."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, select

from nicstack.db import tables as t
from nicstack.db.rows import new_uuid, now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.credentials import hash_password, new_key
from nicstack.domain.kinds import GuestType, Role
from nicstack.domain.network_acls import DEFAULT_ALLOW, DEFAULT_DENY

ADMIN = "admin"
SYSTEM = "system"
# A hash no password can match (auth.check_password cannot parse it): the admin cannot log in
# before bootstrap_admin has set a real password.
UNUSABLE_PASSWORD = "!"

_ISOLATED = ("Dhcp", "Dns", "Firewall", "Lb", "PortForwarding", "SourceNat", "StaticNat", "UserData", "Vpn")
_VPC = ("Dhcp", "Dns", "Lb", "NetworkACL", "PortForwarding", "SourceNat", "StaticNat", "UserData", "Vpn")

# CloudStack's default offerings, by their CloudStack names (clients look them up by name).
NETWORK_OFFERINGS: tuple[dict[str, Any], ...] = (
    {
        "name": "DefaultIsolatedNetworkOfferingWithSourceNatService",
        "display_text": "Offering for Isolated networks with Source Nat service enabled",
        "guest_type": GuestType.ISOLATED, "services": _ISOLATED, "is_default": True,
    },
    {
        "name": "DefaultSharedNetworkOfferingWithSGService",
        "display_text": "Offering for Shared Security group enabled networks",
        "guest_type": GuestType.SHARED, "services": ("Dhcp", "Dns", "SecurityGroup", "UserData"),
        "specify_vlan": True, "specify_ip_ranges": True,
    },
    {
        # Elastic IPs (static NAT) and elastic load balancing for a Basic zone, served by nicstack's router.
        "name": "DefaultSharedNetscalerEIPandELBNetworkOffering",
        "display_text": "Offering for Shared networks with Elastic IP and Elastic LB capabilities",
        "guest_type": GuestType.SHARED, "services": ("Dhcp", "Dns", "Lb", "SecurityGroup", "StaticNat", "UserData"),
        "specify_vlan": True, "specify_ip_ranges": True,
    },
    {
        "name": "DefaultSharedNetworkOffering",
        "display_text": "Offering for Shared networks",
        "guest_type": GuestType.SHARED, "services": ("Dhcp", "Dns", "UserData"),
        "specify_vlan": True, "specify_ip_ranges": True,
    },
    {
        "name": "DefaultIsolatedNetworkOfferingForVpcNetworks",
        "display_text": "Offering for Isolated VPC networks with Source Nat service enabled",
        "guest_type": GuestType.ISOLATED, "services": _VPC, "for_vpc": True,
    },
    {
        "name": "DefaultL2NetworkOffering",
        "display_text": "Offering for L2 networks",
        "guest_type": GuestType.L2, "services": (),
    },
)

# CloudStack's default VPC offering, by its CloudStack name.
VPC_OFFERINGS: tuple[dict[str, Any], ...] = (
    {"name": "Default VPC offering", "display_text": "Default VPC offering", "services": _VPC, "is_default": True},
)

SERVICE_OFFERINGS: tuple[dict[str, Any], ...] = (
    {"name": "Small Instance", "display_text": "Small Instance", "cpu_number": 1, "cpu_speed": 500, "memory": 512},
    {"name": "Medium Instance", "display_text": "Medium Instance", "cpu_number": 1, "cpu_speed": 1000, "memory": 1024},
)

TEMPLATES: tuple[dict[str, Any], ...] = (
    {
        "name": "CentOS 5.5(64-bit) no GUI (KVM)", "display_text": "CentOS 5.5(64-bit) no GUI (KVM)",
        "os_type": "CentOS 5.5 (64-bit)", "format": "QCOW2", "is_featured": True, "is_public": True,
    },
    {
        "name": "tiny-linux", "display_text": "tiny-linux", "os_type": "Other Linux (64-bit)",
        "format": "QCOW2", "is_featured": True, "is_public": True,
    },
)


@dataclass(frozen=True, slots=True)
class AdminKeys:
    """The admin's first credentials; `generated` names those not taken from the environment."""

    api_key: str
    secret_key: str
    password: str
    generated: frozenset[str]


def _id_of(uow: SqlUnitOfWork, table: Any, **where: Any) -> int | None:
    query = select(table.c.id)
    for key, value in where.items():
        query = query.where(table.c[key] == value)
    return uow.conn.execute(query).scalar()


def _ensure(uow: SqlUnitOfWork, table: Any, key: dict[str, Any], values: dict[str, Any]) -> int:
    found = _id_of(uow, table, **key)
    if found is not None:
        return found
    inserted = uow.conn.execute(
        table.insert().values(uuid=new_uuid(), created=now(), **key, **values)
    ).inserted_primary_key
    assert inserted is not None
    return int(inserted[0])


def _seed_identity(uow: SqlUnitOfWork) -> None:
    root = _ensure(uow, t.domains, {"parent_id": None, "path": "/"}, {"name": "ROOT", "level": 0})
    for name in (ADMIN, SYSTEM):
        _ensure(
            uow, t.accounts, {"domain_id": root, "name": name}, {"role": int(Role.ROOT_ADMIN), "state": "enabled"}
        )
    admin = _id_of(uow, t.accounts, domain_id=root, name=ADMIN)
    _ensure(
        uow, t.users, {"account_id": admin, "username": ADMIN},
        {"password_hash": UNUSABLE_PASSWORD, "firstname": "admin", "lastname": "cloud", "state": "enabled"},
    )


def _seed_catalogue(uow: SqlUnitOfWork) -> None:
    for spec in NETWORK_OFFERINGS:
        if uow.infra.network_offering_by(name=spec["name"]) is None:
            uow.infra.create_network_offering(
                name=spec["name"], display_text=spec["display_text"], guest_type=str(spec["guest_type"]),
                services=spec["services"], specify_vlan=spec.get("specify_vlan", False),
                specify_ip_ranges=spec.get("specify_ip_ranges", False), for_vpc=spec.get("for_vpc", False),
                is_default=spec.get("is_default", False), state="Enabled",
            )
    for spec in VPC_OFFERINGS:
        if uow.vpcs.offering_by(name=spec["name"]) is None:
            uow.vpcs.create_offering(name=spec["name"], display_text=spec["display_text"],
                                 services=",".join(spec["services"]), is_default=spec["is_default"], state="Enabled")
    for spec in SERVICE_OFFERINGS:
        if uow.infra.service_offering_by(name=spec["name"]) is None:
            uow.infra.create_service_offering(**spec)
    for spec in TEMPLATES:
        if uow.infra.template_by(name=spec["name"]) is None:
            uow.infra.create_template(**spec)


# CloudStack's built-in ACL lists: every VPC may give them to a tier, nobody may change them.
NETWORK_ACLS: tuple[tuple[str, str, str], ...] = (
    (DEFAULT_ALLOW, "Default Network ACL Allow All", "Allow"),
    (DEFAULT_DENY, "Default Network ACL Deny All", "Deny"),
)

# CloudStack's default disk offerings (GiB; Custom: the user gives the size).
DISK_OFFERINGS: tuple[dict[str, Any], ...] = (
    {"name": "Small", "display_text": "Small Disk, 5 GB", "disk_size": 5, "is_customized": False},
    {"name": "Medium", "display_text": "Medium Disk, 20 GB", "disk_size": 20, "is_customized": False},
    {"name": "Large", "display_text": "Large Disk, 100 GB", "disk_size": 100, "is_customized": False},
    {"name": "Custom", "display_text": "Custom Disk", "disk_size": 0, "is_customized": True},
)


def _seed_network_acls(uow: SqlUnitOfWork) -> None:
    for name, description, action in NETWORK_ACLS:
        if uow.network_acls.list_by(name=name, vpc_id=None) is not None:
            continue
        acl_id = uow.network_acls.create_list(name, description, None)
        for number, traffic in enumerate(("Ingress", "Egress"), start=1):
            uow.network_acls.create_item(acl_id, number=number, action=action, traffic_type=traffic,
                                         protocol="all", cidr_list="0.0.0.0/0")
    for spec in DISK_OFFERINGS:
        values = {key: value for key, value in spec.items() if key != "name"}
        _ensure(uow, t.disk_offerings, {"name": spec["name"]}, values | {"storage_type": "shared"})


def seed_defaults(uow: SqlUnitOfWork) -> None:
    """Insert whatever default row is missing; running it again changes nothing."""
    _seed_identity(uow)
    _seed_catalogue(uow)
    _seed_network_acls(uow)


def admin_user(conn: Connection) -> Row[Any]:
    """The root admin's user row (id, api_key, secret_key, password_hash)."""
    row = conn.execute(
        select(t.users.c.id, t.users.c.api_key, t.users.c.secret_key, t.users.c.password_hash)
        .select_from(t.users.join(t.accounts, t.accounts.c.id == t.users.c.account_id).join(
            t.domains, t.domains.c.id == t.accounts.c.domain_id
        ))
        .where(t.domains.c.path == "/", t.accounts.c.name == ADMIN, t.users.c.username == ADMIN)
    ).first()
    if row is None:
        raise RuntimeError("the admin user does not exist: run seed_defaults first")
    return row


def bootstrap_admin(uow: SqlUnitOfWork) -> AdminKeys | None:
    """Give the admin user its first keys and password, once; None when it already has keys.

    Values come from NICSTACK_ADMIN_API_KEY, NICSTACK_ADMIN_SECRET_KEY and
    NICSTACK_ADMIN_PASSWORD when set, else they are generated (and must be shown once).
    """
    row = admin_user(uow.conn)
    if row.api_key is not None:
        return None
    generated: set[str] = set()

    def pick(variable: str, field: str, make: Any) -> str:
        given = os.environ.get(variable)
        if given:
            return given
        generated.add(field)
        return str(make())

    api_key = pick("NICSTACK_ADMIN_API_KEY", "api_key", new_key)
    secret_key = pick("NICSTACK_ADMIN_SECRET_KEY", "secret_key", new_key)
    password = pick("NICSTACK_ADMIN_PASSWORD", "password", lambda: secrets.token_urlsafe(12))
    uow.conn.execute(
        t.users.update()
        .where(t.users.c.id == row.id)
        .values(api_key=api_key, secret_key=secret_key, password_hash=hash_password(password))
    )
    return AdminKeys(api_key, secret_key, password, frozenset(generated))
