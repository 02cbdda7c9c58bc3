"""Domain values -> CloudStack response objects (nic, virtualmachine, network, nicsecondaryip)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nicstack.api.replies import JsonObject
from nicstack.api.schema import Spec, fields, kind
from nicstack.api.tagging import TAGS
from nicstack.domain.model import Network, Nic, NicSecondaryIp, Vm

DATE_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"


def wire_date(value: datetime | None) -> str | None:
    """CloudStack's date format; the database stores UTC."""
    return value.strftime(DATE_FORMAT) if value is not None else None


def nic_view(nic: Nic) -> JsonObject:
    return {
        "id": nic.uuid,
        "networkid": nic.network_uuid,
        "networkname": nic.network_name,
        "virtualmachineid": nic.vm_uuid,
        "ipaddress": nic.ip4_address,
        "netmask": nic.netmask,
        "gateway": nic.gateway,
        "macaddress": nic.mac_address,
        "isdefault": nic.is_default,
        "deviceid": str(nic.device_id),
        "traffictype": "Guest",
        "type": str(nic.guest_type),
        "broadcasturi": f"vlan://{nic.vlan}" if nic.vlan else None,
        "isolationuri": f"vlan://{nic.vlan}" if nic.vlan else None,
        "ip6address": nic.ip6_address,
        "ip6gateway": nic.ip6_gateway if nic.ip6_address else None,
        "ip6cidr": nic.ip6_cidr if nic.ip6_address else None,
        "vpcid": nic.vpc_uuid,
        "extradhcpoption": [],
        "secondaryip": [{"id": s.uuid, "ipaddress": s.address,
                         **({"description": s.description} if s.description is not None else {})}
                        for s in nic.secondary_ips],
    }


def vm_view(vm: Vm) -> JsonObject:
    return {
        "id": vm.uuid,
        "name": vm.name,
        "displayname": vm.display_name,
        "state": str(vm.state),
        "zoneid": vm.zone_uuid,
        "zonename": vm.zone_name,
        "account": vm.account_name,
        "domainid": vm.domain_uuid,
        "domain": vm.domain_name,
        "hypervisor": str(vm.hypervisor),
        "hostid": vm.host_uuid,
        "hostname": vm.host_name,
        "serviceofferingid": vm.service_offering_uuid,
        "serviceofferingname": vm.service_offering_name,
        "templateid": vm.template_uuid,
        "templatename": vm.template_name,
        "created": wire_date(vm.created),
        "haenable": False,
        "nic": [nic_view(n) for n in vm.nics],
        "securitygroup": [{"id": u, "name": n} for u, n in vm.security_groups] or None,
        # CloudStack 4.17+ says keypairs, older versions keypair: clients of both read one of them.
        **({"keypairs": vm.keypairs, "keypair": vm.keypairs} if vm.keypairs else {}),
    }


def network_view(net: Network) -> JsonObject:
    offering = net.offering
    view: dict[str, Any] = {
        "id": net.uuid,
        "name": net.name,
        "displaytext": net.display_text,
        "zoneid": net.zone_uuid,
        "zonename": net.zone_name,
        "type": str(net.guest_type),
        "cidr": net.cidr,
        "gateway": net.gateway,
        "netmask": net.netmask,
        "ip6cidr": net.ip6_cidr,
        "ip6gateway": net.ip6_gateway,
        "state": net.state,
        "account": net.account_name,
        "domainid": net.domain_uuid,
        "domain": net.domain_name,
        "acltype": net.acl_type,
        "vlan": net.vlan,
        "networkofferingid": offering.uuid,
        "networkofferingname": offering.name,
        "networkofferingdisplaytext": offering.display_text,
        "traffictype": "Guest",
        "issystem": False,
        "isdefault": False,
        "specifyipranges": offering.specify_ip_ranges,
        "restartrequired": False,
        "created": wire_date(net.created),
        "service": [{"name": s} for s in offering.services],
    }
    if net.vpc_uuid is not None:
        # Only VPC tiers carry the key: Ansible skips every network that has it.
        view["vpcid"] = net.vpc_uuid
    if net.acl_uuid is not None:
        view |= {"aclid": net.acl_uuid, "aclname": net.acl_name}
    if net.network_domain is not None:
        view["networkdomain"] = net.network_domain
    return view


def secondary_ip_view(s: NicSecondaryIp) -> JsonObject:
    return {
        "id": s.uuid,
        "ipaddress": s.address,
        "nicid": s.nic_uuid,
        "networkid": s.network_uuid,
        "virtualmachineid": s.vm_uuid,
        **({"description": s.description} if s.description is not None else {}),
    }


NETWORK_SPEC: Spec = {
    "id": "string",
    "name": "string",
    "displaytext": "string",
    "zoneid": "string",
    "zonename": "string",
    "type": "string",
    "cidr": "string",
    "gateway": "string",
    "netmask": "string",
    "state": "string",
    "account": "string",
    "domainid": "string",
    "domain": "string",
    "acltype": "string",
    "networkofferingid": "string",
    "networkofferingname": "string",
    "networkofferingdisplaytext": "string",
    "traffictype": "string",
    "issystem": "boolean",
    "isdefault": "boolean",
    "specifyipranges": "boolean",
    "restartrequired": "boolean",
    "created": "date",
    "service": ("list", fields({
        "name": "string",
    })),
    "tags": TAGS,
    "vpcid": "string",
    "ip6cidr": "string",
    "ip6gateway": "string",
    "vlan": "string",
    "aclid": "string",
    "aclname": "string",
    "networkdomain": "string",
}
NETWORK = kind("network", NETWORK_SPEC)


NIC = kind("nic", {
    "id": "string",
    "networkid": "string",
    "networkname": "string",
    "virtualmachineid": "string",
    "ipaddress": "string",
    "netmask": "string",
    "gateway": "string",
    "macaddress": "string",
    "isdefault": "boolean",
    "deviceid": "string",
    "traffictype": "string",
    "type": "string",
    "extradhcpoption": "list",
    "secondaryip": ("list", fields({
        "id": "string",
        "ipaddress": "string",
        "description": "string",
        "applied": "boolean",
    })),
    "tags": TAGS,
})


VIRTUAL_MACHINE = kind("virtualmachine", {
    "id": "string",
    "name": "string",
    "displayname": "string",
    "state": "string",
    "zoneid": "string",
    "zonename": "string",
    "account": "string",
    "domainid": "string",
    "domain": "string",
    "hypervisor": "string",
    "hostid": "string",
    "hostname": "string",
    "serviceofferingid": "string",
    "serviceofferingname": "string",
    "templateid": "string",
    "templatename": "string",
    "created": "date",
    "haenable": "boolean",
    "nic": ("list", fields({
        "id": "string",
        "networkid": "string",
        "networkname": "string",
        "virtualmachineid": "string",
        "ipaddress": "string",
        "netmask": "string",
        "gateway": "string",
        "macaddress": "string",
        "isdefault": "boolean",
        "deviceid": "string",
        "traffictype": "string",
        "type": "string",
        "extradhcpoption": "list",
        "secondaryip": ("list", fields({
            "id": "string",
            "ipaddress": "string",
            "description": "string",
        })),
        "vpcid": "string",
        "broadcasturi": "string",
        "isolationuri": "string",
        "ip6address": "string",
        "ip6gateway": "string",
        "ip6cidr": "string",
    })),
    "tags": TAGS,
    "securitygroup": ("list", fields({
        "id": "string",
        "name": "string",
    })),
    "keypairs": "string",
    "keypair": "string",
})


NIC_SECONDARY_IP = kind("nicsecondaryip", {
    "id": "string",
    "ipaddress": "string",
    "nicid": "string",
    "networkid": "string",
    "virtualmachineid": "string",
    "description": "string",
}, also=('nicsecondaryips',))
