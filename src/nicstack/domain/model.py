"""The entities, as immutable values. Internal integer ids; uuids are what the wire shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_network

from nicstack.domain.codec import tagged
from nicstack.domain.kinds import GuestType, Hypervisor, Role, VmState, VmType, ZoneType


@dataclass(frozen=True, slots=True)
class Domain:
    id: int
    uuid: str
    name: str
    parent_uuid: str | None
    path: str
    level: int
    created: datetime


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    uuid: str
    name: str
    role: Role
    state: str
    domain_id: int
    domain_uuid: str
    domain_name: str
    domain_path: str
    created: datetime


@dataclass(frozen=True, slots=True)
class User:
    id: int
    uuid: str
    username: str
    firstname: str
    lastname: str
    email: str | None
    api_key: str | None
    secret_key: str | None
    state: str
    password_hash: str
    account: Account
    created: datetime


@dataclass(frozen=True, slots=True)
class Zone:
    id: int
    uuid: str
    name: str
    network_type: ZoneType
    security_groups_enabled: bool
    allocation_state: str
    dns1: str | None
    internal_dns1: str | None
    guest_cidr: str | None


@dataclass(frozen=True, slots=True)
class Pod:
    id: int
    uuid: str
    name: str
    zone_id: int
    zone_uuid: str
    zone_name: str
    gateway: str
    netmask: str
    start_ip: str | None
    end_ip: str | None
    allocation_state: str


@dataclass(frozen=True, slots=True)
class Host:
    id: int
    uuid: str
    name: str
    zone_id: int
    zone_uuid: str
    zone_name: str
    pod_id: int
    pod_uuid: str
    pod_name: str
    hypervisor: Hypervisor
    ip_address: str
    state: str
    resource_state: str
    created: datetime


@dataclass(frozen=True, slots=True)
class NetworkOffering:
    id: int
    uuid: str
    name: str
    display_text: str
    guest_type: GuestType
    services: tuple[str, ...]
    specify_vlan: bool
    specify_ip_ranges: bool
    for_vpc: bool
    is_default: bool
    state: str
    created: datetime
    egress_default_allow: bool = True

    # A shared offering's static NAT and load balancing are CloudStack's elastic IP and elastic LB: a shared
    # network has no source NAT address to share, so each public address is acquired and mapped on its own.
    @property
    def elastic_ip(self) -> bool:
        return self.guest_type is GuestType.SHARED and "StaticNat" in self.services

    @property
    def elastic_lb(self) -> bool:
        return self.guest_type is GuestType.SHARED and "Lb" in self.services


@tagged("network")
@dataclass(frozen=True, slots=True)
class Network:
    id: int
    uuid: str
    name: str
    display_text: str
    zone_id: int
    zone_uuid: str
    zone_name: str
    offering: NetworkOffering
    guest_type: GuestType
    acl_type: str
    cidr: str | None
    gateway: str | None
    ip6_cidr: str | None
    ip6_gateway: str | None
    vlan: str | None
    state: str
    account_id: int | None
    account_name: str | None
    domain_id: int
    domain_uuid: str
    domain_name: str
    domain_path: str
    vpc_uuid: str | None
    created: datetime
    network_domain: str | None = None
    # A VPC tier's network ACL list (None: none chosen, the router lets in only what rules open).
    acl_uuid: str | None = None
    acl_name: str | None = None

    @property
    def netmask(self) -> str | None:
        if self.cidr is None:
            return None
        return str(ip_network(self.cidr).netmask)


@dataclass(frozen=True, slots=True)
class SecondaryIp:
    id: int
    uuid: str
    nic_id: int
    network_id: int
    address: str
    created: datetime
    description: str | None = None


@tagged("nic_secondary_ip")
@dataclass(frozen=True, slots=True)
class NicSecondaryIp:
    """A secondary IP with the uuids of what holds it: what addIpToNic answers (CloudStack's nicsecondaryip)."""

    uuid: str
    address: str
    nic_uuid: str
    network_uuid: str
    vm_uuid: str
    description: str | None = None


@tagged("nic_secondary_ips")
@dataclass(frozen=True, slots=True)
class ReservedAddresses:
    """What addIpToNic reserved, in order: one address, or (asked with count or ipaddresses) `several`."""

    items: tuple[NicSecondaryIp, ...]
    several: bool = False


@dataclass(frozen=True, slots=True)
class Nic:
    id: int
    uuid: str
    vm_id: int
    vm_uuid: str
    network_id: int
    network_uuid: str
    network_name: str
    guest_type: GuestType
    device_id: int
    mac_address: str
    ip4_address: str | None
    netmask: str | None
    gateway: str | None
    ip6_address: str | None
    ip6_gateway: str | None
    ip6_cidr: str | None
    is_default: bool
    secondary_ip: bool
    vpc_uuid: str | None
    vlan: str | None
    secondary_ips: tuple[SecondaryIp, ...] = ()


@tagged("vm")
@dataclass(frozen=True, slots=True)
class Vm:
    id: int
    uuid: str
    name: str
    display_name: str
    vm_type: VmType
    state: VmState
    zone_id: int
    zone_uuid: str
    zone_name: str
    host_id: int | None
    host_uuid: str | None
    host_name: str | None
    hypervisor: Hypervisor
    account_id: int
    account_name: str
    domain_id: int
    domain_uuid: str
    domain_name: str
    domain_path: str
    service_offering_uuid: str | None
    service_offering_name: str | None
    template_uuid: str | None
    template_name: str | None
    created: datetime
    nics: tuple[Nic, ...] = ()
    # (uuid, name) of the VM's security groups (VMs in security-group networks only).
    security_groups: tuple[tuple[str, str], ...] = ()
    # deployVirtualMachine's SSH key pairs, comma-separated names (stored and returned, never used here).
    keypairs: str | None = None
