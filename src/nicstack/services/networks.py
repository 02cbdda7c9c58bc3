"""Use cases of guest networks: create, list, delete (isolated and L2 for now)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

from nicstack.db import tables as t
from nicstack.db.repos.networks import NetworkQuery
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_access, may_use_domain, network_audience
from nicstack.domain.errors import ParameterError, ResourceInUse, UnknownEntity, Unsupported
from nicstack.domain.jobs import Started
from nicstack.domain.kinds import AllocationKind, GuestType, NetworkState, ZoneType
from nicstack.domain.model import Account, Network
from nicstack.ipam.addresses import parse_address, parse_network, usable_bounds
from nicstack.services import lookup, lookup_rules, network_acls, shared_networks, vpc_tiers
from nicstack.services.public_ips import ensure_source_nat, forget_network
from nicstack.services.scope import OwnerFilter, list_scope

DEFAULT_GUEST_CIDR = "10.1.1.0/24"
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


@dataclass(frozen=True, slots=True)
class NewNetwork:
    name: str
    display_text: str
    zone_uuid: str
    offering_uuid: str
    cidr: str | None = None
    gateway: str | None = None
    netmask: str | None = None
    ip6_cidr: str | None = None
    ip6_gateway: str | None = None
    account: str | None = None
    domain_uuid: str | None = None
    vpc_uuid: str | None = None
    # Shared networks: the first IP range, the VLAN and who may use it (CloudStack's acltype).
    start_ip: str | None = None
    end_ip: str | None = None
    start_ipv6: str | None = None
    end_ipv6: str | None = None
    vlan: str | None = None
    acl_type: str | None = None
    # A VPC tier's network ACL list (createNetwork aclid).
    acl_uuid: str | None = None
    network_domain: str | None = None


def owner_account(uow: SqlUnitOfWork, caller: Caller, account: str | None, domain_uuid: str | None) -> Account:
    """The account a new resource belongs to: the caller's, or one an admin names."""
    if account is None:
        found = uow.accounts.account_by(id=caller.account_id)
        assert found is not None
        return found
    domain = uow.accounts.domain_by(uuid=domain_uuid) if domain_uuid else None
    # A domain the caller may not use answers as one that does not exist (not "no such account").
    if domain_uuid and (domain is None or not may_use_domain(caller, domain.path)):
        raise UnknownEntity("domainid", domain_uuid)
    domain_id = domain.id if domain else caller.domain_id
    target = uow.accounts.account_by(name=account, domain_id=domain_id)
    if target is None or not may_access(caller, target.id, target.domain_path):
        raise UnknownEntity("account", account)
    return target


def _ipv4_layout(spec: NewNetwork) -> tuple[IPv4Network, str]:
    if spec.gateway and spec.netmask:
        gateway = parse_address(spec.gateway, "gateway")
        try:
            cidr = IPv4Network(f"{gateway}/{spec.netmask}", strict=False)
        except ValueError:
            raise ParameterError(f"Invalid value {spec.netmask!r} for netmask: not a netmask") from None
    else:
        parsed = parse_network(spec.cidr or DEFAULT_GUEST_CIDR, "cidr")
        if not isinstance(parsed, IPv4Network):
            raise ParameterError(f"Invalid value {spec.cidr!r} for cidr: not an IPv4 CIDR")
        cidr = parsed
        gateway = parse_address(spec.gateway, "gateway") if spec.gateway else cidr.network_address + 1
    if cidr.prefixlen > 30:
        raise ParameterError(f"CIDR {cidr} is too small for a guest network: use /30 or larger")
    low, high = usable_bounds(cidr)
    if gateway not in cidr or not low <= int(gateway) <= high:
        raise ParameterError(f"Gateway {gateway} is not a usable address of {cidr}")
    return cidr, str(gateway)


def _ipv6_layout(spec: NewNetwork) -> tuple[str, str] | tuple[None, None]:
    if spec.ip6_cidr is None:
        return None, None
    cidr = parse_network(spec.ip6_cidr, "ip6cidr")
    if not isinstance(cidr, IPv6Network) or cidr.prefixlen > 120:
        raise ParameterError(f"Invalid value {spec.ip6_cidr!r} for ip6cidr: need an IPv6 CIDR of /120 or larger")
    gateway = parse_address(spec.ip6_gateway, "ip6gateway") if spec.ip6_gateway else cidr.network_address + 1
    if gateway not in cidr:
        raise ParameterError(f"IPv6 gateway {gateway} is outside {cidr}")
    return str(cidr), str(gateway)


def create_network(uow: SqlUnitOfWork, caller: Caller, spec: NewNetwork) -> Network:
    with uow:
        if spec.acl_uuid is not None:
            network_acls.visible_list(uow, caller, spec.acl_uuid)  # an unknown list first, whatever else is wrong
        zone = uow.infra.zone_by(uuid=spec.zone_uuid)
        if zone is None:
            raise UnknownEntity("zoneid", spec.zone_uuid)
        offering = uow.infra.network_offering_by(uuid=spec.offering_uuid)
        if offering is None:
            raise UnknownEntity("networkofferingid", spec.offering_uuid)
        if offering.guest_type is GuestType.SHARED:
            owner = owner_account(uow, caller, spec.account, spec.domain_uuid) if spec.account else None
            return shared_networks.create_shared(uow, caller, spec, zone, offering, owner)
        if zone.network_type is not ZoneType.ADVANCED:
            raise Unsupported(f"Zone {zone.name} is a Basic zone: isolated networks need an Advanced zone")
        owner = owner_account(uow, caller, spec.account, spec.domain_uuid)
        values: dict[str, Any] = {
            "name": spec.name, "display_text": spec.display_text or spec.name, "zone_id": zone.id,
            "network_offering_id": offering.id, "guest_type": str(offering.guest_type), "acl_type": "Account",
            "state": str(NetworkState.ALLOCATED), "account_id": owner.id, "domain_id": owner.domain_id,
        }
        if offering.guest_type is GuestType.ISOLATED:
            cidr, gateway = _ipv4_layout(spec)
            ip6_cidr, ip6_gateway = _ipv6_layout(spec)
            values |= {"cidr": str(cidr), "gateway": gateway, "ip6_cidr": ip6_cidr, "ip6_gateway": ip6_gateway}
        tier_cidr = IPv4Network(values["cidr"]) if "cidr" in values else None
        values["vpc_id"] = vpc_tiers.tier_vpc_id(uow, caller, spec.vpc_uuid, offering, zone.id, owner.id, tier_cidr)
        values["network_acl_id"] = _tier_acl_id(uow, caller, spec.acl_uuid, values["vpc_id"])
        values["network_domain"] = spec.network_domain
        network_id = uow.networks.create(**values)
        if offering.guest_type is GuestType.ISOLATED:
            # The virtual router answers on the gateway address: reserve it like any consumer.
            gw = ip_address(values["gateway"])
            uow.allocations.insert(network_id, 4, int(gw), AllocationKind.ROUTER)
        uow.events.record(caller, "NETWORK.CREATE", f"Created network {spec.name}",
                      account_id=owner.id, domain_id=owner.domain_id)
        uow.outbox.network(network_id)
        created = uow.networks.network_by(id=network_id)
        assert created is not None
        return created


def _tier_acl_id(uow: SqlUnitOfWork, caller: Caller, acl_uuid: str | None, vpc_id: int | None) -> int | None:
    if acl_uuid is None:
        return None
    if vpc_id is None:
        raise ParameterError(f"Invalid value {acl_uuid!r} for aclid: only VPC tiers have ACL lists (give vpcid)")
    vpc = uow.vpcs.vpc_by(id=vpc_id)
    assert vpc is not None
    return network_acls.tier_list(uow, caller, acl_uuid, vpc).id


@dataclass(frozen=True, slots=True)
class NetworkChanges:
    """updateNetwork: what a user may change without re-implementing the network (None: unchanged)."""

    name: str | None = None
    display_text: str | None = None
    network_domain: str | None = None
    # Accepted when it names the network's own offering (Ansible's cs_network always sends it).
    offering_uuid: str | None = None


def update_network(uow: SqlUnitOfWork, caller: Caller, uuid: str, changes: NetworkChanges) -> Started[Network]:
    with uow:
        net = lookup.network(uow, caller, uuid, "id")
        shared_networks.ensure_may_manage(caller, net)
        if changes.offering_uuid is not None and changes.offering_uuid != net.offering.uuid:
            if uow.infra.network_offering_by(uuid=changes.offering_uuid) is None:
                raise UnknownEntity("networkofferingid", changes.offering_uuid)
            raise Unsupported(f"Network {net.name} keeps its offering {net.offering.name}: changing the offering "
                              "re-implements the network, which nicstack does not do")
        values: dict[str, Any] = {}
        for key, value in (("name", changes.name), ("display_text", changes.display_text)):
            if value is not None:
                if not value.strip():
                    raise ParameterError(f"Invalid value {value!r} for {key.replace('_', '')}: it cannot be blank")
                values[key] = value
        if changes.network_domain is not None:
            values["network_domain"] = _domain_name(changes.network_domain)
        if values:
            uow.networks.update(net.id, **values)
            uow.outbox.network(net.id)  # the router's documents name the network
            uow.events.record(caller, "NETWORK.UPDATE", f"Updated network {net.name}",
                              account_id=net.account_id, domain_id=net.domain_id)
        updated = uow.networks.network_by(id=net.id)
        assert updated is not None
        job = uow.start_job(caller, "updateNetwork", result=updated, instance=("Network", net.uuid))
        return Started(job, updated)


def _domain_name(text: str) -> str | None:
    """A DNS domain as CloudStack checks it: labels of letters, digits and hyphens; '' clears it."""
    name = text.strip().rstrip(".")
    if not name:
        return None
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ParameterError(f"Invalid value {text!r} for networkdomain: not a DNS domain name")
    return name


@dataclass(frozen=True, slots=True)
class NetworkFilter:
    """listNetworks: the networks the caller sees among `owner`'s, narrowed by the rest (None: any)."""

    owner: OwnerFilter = field(default_factory=OwnerFilter)
    uuid: str | None = None
    zone_uuid: str | None = None
    vpc_uuid: str | None = None
    kind: str | None = None  # Isolated, Shared or L2, in any case
    keyword: str | None = None  # within the name
    page: tuple[int, int] | None = None
    tags: tuple[tuple[str, str | None], ...] = ()  # every (key, value) pair; a None value: any


def list_networks(uow: SqlUnitOfWork, caller: Caller, wanted: NetworkFilter) -> tuple[list[Network], int]:
    """Raises UnknownEntity for an owner, network, zone or VPC the caller may not see (checked in that order)."""
    with uow.reading():
        # A network asked for by id is shown wherever the caller may see it, as if listall were given.
        owner = replace(wanted.owner, list_all=True) if wanted.uuid is not None else wanted.owner
        query = NetworkQuery(
            network_audience(caller, list_scope(uow, caller, owner)),
            network_id=None if wanted.uuid is None else lookup.network(uow, caller, wanted.uuid, "id").id,
            zone_id=None if wanted.zone_uuid is None else lookup.zone(uow, wanted.zone_uuid).id,
            vpc_id=None if wanted.vpc_uuid is None else lookup_rules.vpc(uow, caller, wanted.vpc_uuid).id,
            guest_type=_guest_type(wanted.kind) if wanted.kind else None,
            keyword=wanted.keyword,
            tags=wanted.tags,
        )
        return uow.networks.matching(query, wanted.page)


def _guest_type(kind: str) -> str:
    # Stored as Isolated, Shared, L2: CloudStack accepts any case.
    return "L2" if kind.lower() == "l2" else kind.capitalize()


def delete_network(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> str:
    with uow:
        net = lookup.network(uow, caller, uuid, "id")
        shared_networks.ensure_may_manage(caller, net)
        if uow.vms.nic_in_network(net.id):
            raise ResourceInUse(f"Network {net.name} still has VM NICs; remove them or expunge the VMs first")
        # Rules first: they point at the network's allocations.
        forget_network(uow, net.id)
        uow.conn.execute(t.ip_allocations.delete().where(t.ip_allocations.c.network_id == net.id))
        uow.networks.mark_removed(net.id)
        uow.events.record(caller, "NETWORK.DELETE", f"Deleted network {net.name}",
                      account_id=net.account_id, domain_id=net.domain_id)
        vpc_id = uow.vpcs.vpc_id_of_network(net.id)
        if vpc_id is not None:
            uow.outbox.vpc(vpc_id)  # the VPC router loses the tier
        return uow.start_job(caller, "deleteNetwork", instance=("Network", net.uuid))


def implement(uow: SqlUnitOfWork, net: Network) -> None:
    if net.state != NetworkState.IMPLEMENTED:
        uow.networks.set_state(net.id, str(NetworkState.IMPLEMENTED))
        ensure_source_nat(uow, net)
        uow.outbox.network(net.id)
