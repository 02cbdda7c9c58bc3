"""Use cases of VPCs: createVPC, deleteVPC, restartVPC (tiers are createNetwork with vpcid)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.codec import register
from nicstack.domain.errors import ParameterError, ResourceInUse, UnknownEntity, Unsupported
from nicstack.domain.jobs import Started
from nicstack.domain.kinds import ZoneType
from nicstack.domain.model import Network
from nicstack.domain.rules import Vpc
from nicstack.ipam.addresses import parse_network
from nicstack.services import lookup, lookup_rules, routers
from nicstack.services.networks import owner_account
from nicstack.services.public_ips import forget_vpc
from nicstack.services.rule_targets import record

VPC_STATE = "Enabled"
# A VPC must leave room for tiers: a /28 holds one small tier.
SMALLEST_VPC_PREFIX = 28


@dataclass(frozen=True, slots=True)
class NewVpc:
    name: str
    display_text: str
    cidr: str
    offering_uuid: str
    zone_uuid: str
    network_domain: str | None = None
    account: str | None = None
    domain_uuid: str | None = None


def create_vpc(uow: SqlUnitOfWork, caller: Caller, spec: NewVpc) -> Started[Vpc]:
    cidr = parse_network(spec.cidr, "cidr")
    if not isinstance(cidr, IPv4Network) or cidr.prefixlen > SMALLEST_VPC_PREFIX:
        raise ParameterError(f"Invalid value {spec.cidr!r} for cidr: need an IPv4 CIDR of /{SMALLEST_VPC_PREFIX} "
                             "or larger")
    with uow:
        zone = lookup.zone(uow, spec.zone_uuid)
        if zone.network_type is not ZoneType.ADVANCED:
            raise Unsupported(f"Zone {zone.name} is a Basic zone: VPCs need an Advanced zone")
        offering = uow.vpcs.offering_by(uuid=spec.offering_uuid)
        if offering is None:
            raise UnknownEntity("vpcofferingid", spec.offering_uuid)
        if offering.state != "Enabled":
            raise ParameterError(f"VPC offering {offering.name} is {offering.state}")
        owner = owner_account(uow, caller, spec.account, spec.domain_uuid)
        vpc_id = uow.vpcs.create(
            name=spec.name, display_text=spec.display_text or spec.name, zone_id=zone.id,
            vpc_offering_id=offering.id, cidr=str(cidr), network_domain=spec.network_domain, state=VPC_STATE,
            account_id=owner.id, domain_id=owner.domain_id,
        )
        vpc = uow.vpcs.vpc_by(id=vpc_id)
        assert vpc is not None
        record(uow, caller, vpc.owner, "VPC.CREATE", f"Created VPC {vpc.name} ({vpc.cidr})")
        uow.outbox.vpc(vpc.id)
        job = uow.start_job(caller, "createVPC", result=vpc, instance=("Vpc", vpc.uuid))
        return Started(job, vpc)


def delete_vpc(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> str:
    """Delete a VPC without tiers, releasing its public IPs (source NAT included)."""
    with uow:
        vpc = lookup_rules.vpc(uow, caller, uuid, "id")
        uow.vpcs.lock(vpc.id)
        tiers = uow.vpcs.tiers(vpc.id)
        if tiers:
            names = ", ".join(name for _, _, name, _ in tiers)
            raise ResourceInUse(f"VPC {vpc.name} still has tiers ({names}): delete them first")
        forget_vpc(uow, vpc.id)
        uow.vpcs.mark_removed(vpc.id)
        record(uow, caller, vpc.owner, "VPC.DELETE", f"Deleted VPC {vpc.name}")
        uow.outbox.vpc(vpc.id)
        return uow.start_job(caller, "deleteVPC", instance=("Vpc", vpc.uuid))


def restart_vpc(uow: SqlUnitOfWork, caller: Caller, uuid: str, cleanup: bool) -> str:
    """Re-derive the VPC router's configuration from the stored state; rules and addresses persist."""
    with uow:
        vpc = lookup_rules.vpc(uow, caller, uuid, "id")
        uow.vpcs.lock(vpc.id)
        routers.restart_vpc(uow, caller, vpc)
        how = "with cleanup" if cleanup else "without cleanup"
        record(uow, caller, vpc.owner, "VPC.RESTART", f"Restarted VPC {vpc.name} {how}")
        return uow.start_job(caller, "restartVPC", instance=("Vpc", vpc.uuid))


@dataclass(frozen=True, slots=True)
class UpdatedVpc:
    """updateVPC's answer: the VPC as changed, with its tiers."""

    vpc: Vpc
    tiers: tuple[Network, ...]


register("updated_vpc", UpdatedVpc)


def update_vpc(uow: SqlUnitOfWork, caller: Caller, uuid: str, *, name: str | None = None,
               display_text: str | None = None) -> Started[UpdatedVpc]:
    """Change a VPC's name and display text (None: unchanged); raises ParameterError for a blank one."""
    with uow:
        vpc = lookup_rules.vpc(uow, caller, uuid, "id")
        values = {}
        for key, value in (("name", name), ("display_text", display_text)):
            if value is not None:
                if not value.strip():
                    raise ParameterError(f"Invalid value {value!r} for {key.replace('_', '')}: it cannot be blank")
                values[key] = value
        if values:
            uow.vpcs.update(vpc.id, **values)
            record(uow, caller, vpc.owner, "VPC.UPDATE", f"Updated VPC {vpc.name}")
            uow.outbox.vpc(vpc.id)
        updated = uow.vpcs.vpc_by(id=vpc.id)
        assert updated is not None
        tiers, _ = uow.networks.listing([t.networks.c.vpc_id == vpc.id], None)
        answer = UpdatedVpc(updated, tuple(tiers))
        return Started(uow.start_job(caller, "updateVPC", result=answer, instance=("Vpc", vpc.uuid)), answer)
