"""Public IPs, ranges, VPCs and rules -> CloudStack response objects (ports as strings where CloudStack sends them)."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network

from nicstack.api.replies import JsonObject
from nicstack.api.schema import fields, kind
from nicstack.api.tagging import TAGS
from nicstack.api.views import NETWORK_SPEC, network_view, wire_date
from nicstack.api.views_dataplane import DATAPLANE
from nicstack.domain.ip_ranges import GuestRange
from nicstack.domain.model import Network
from nicstack.domain.rules import (
    ANYWHERE,
    EgressRule,
    FirewallRule,
    IpForwardingRule,
    LoadBalancerRule,
    Owner,
    PortForwardingRule,
    PublicIp,
    VlanRange,
    Vpc,
    VpcOffering,
    join_cidrs,
)
from nicstack.domain.vocabulary import Protocol
from nicstack.services.routers import RouterConfig


def _owner(owner: Owner | None) -> JsonObject:
    if owner is None:
        return {}
    return {"account": owner.account_name, "domainid": owner.domain_uuid, "domain": owner.domain_name}


def vlan_range_view(r: VlanRange) -> JsonObject:
    cidr = IPv4Network(f"{r.gateway}/{r.netmask}", strict=False)
    return {
        "id": r.uuid, "forvirtualnetwork": r.for_virtual_network, "zoneid": r.zone_uuid, "vlan": r.vlan,
        "gateway": r.gateway, "netmask": r.netmask, "cidr": str(cidr), "startip": r.start_ip, "endip": r.end_ip,
        "description": f"{r.start_ip}-{r.end_ip}", "fordisplay": True,
    }


def guest_range_view(r: GuestRange) -> JsonObject:
    """A guest range of a shared network (Basic zone: of a pod), as listVlanIpRanges shows it."""
    return {
        "id": r.uuid, "forvirtualnetwork": False, "zoneid": r.zone_uuid, "vlan": r.vlan, "networkid": r.network_uuid,
        "podid": r.pod_uuid, "podname": r.pod_name, "gateway": r.gateway, "netmask": r.netmask, "startip": r.start_ip,
        "endip": r.end_ip, "ip6gateway": r.ip6_gateway, "ip6cidr": r.ip6_cidr, "startipv6": r.start_ipv6,
        "endipv6": r.end_ipv6, "domainid": r.domain_uuid, "domain": r.domain_name, "fordisplay": True,
        "description": ", ".join(r.shown(f) for f in (4, 6) if r.span(f)),
    }


def public_ip_view(ip: PublicIp, show_range: bool) -> JsonObject:
    view: JsonObject = {
        "id": ip.uuid, "ipaddress": ip.address, "allocated": wire_date(ip.allocated), "zoneid": ip.zone_uuid,
        "zonename": ip.zone_name, "issourcenat": ip.is_source_nat, "isstaticnat": ip.is_static_nat,
        "issystem": False, "forvirtualnetwork": True, "state": str(ip.state), "associatednetworkid": ip.network_uuid,
        "associatednetworkname": ip.network_name, "vlanname": ip.range_vlan, "isportable": False,
        "fordisplay": True, "tags": [], **_owner(ip.owner),
    }
    if show_range:
        # CloudStack shows the range id to root admins only.
        view["vlanid"] = ip.range_uuid
    if ip.vpc_uuid is not None:
        view |= {"vpcid": ip.vpc_uuid, "vpcname": ip.vpc_name}
    if ip.is_static_nat:
        view |= {
            "virtualmachineid": ip.vm_uuid, "virtualmachinename": ip.vm_name,
            "virtualmachinedisplayname": ip.vm_display_name, "vmipaddress": ip.vm_ip,
        }
    return view


def port_forward_view(r: PortForwardingRule) -> JsonObject:
    return {
        "id": r.base.uuid, "ipaddressid": r.base.ip_uuid, "ipaddress": r.base.ip_address, "protocol": r.protocol,
        "publicport": str(r.public_start), "publicendport": str(r.public_end), "privateport": str(r.private_start),
        "privateendport": str(r.private_end), "virtualmachineid": r.vm_uuid, "virtualmachinename": r.vm_name,
        "virtualmachinedisplayname": r.vm_display_name, "vmguestip": r.dest_ip, "networkid": r.base.network_uuid,
        "state": r.base.state, "cidrlist": join_cidrs(r.cidr_list) or "", "fordisplay": True, "tags": [],
    }


def ip_forward_view(r: IpForwardingRule) -> JsonObject:
    """CloudStack's IpForwardingRuleResponse (ports as numbers there), with the VM the static NAT maps to."""
    view: JsonObject = {
        "id": r.base.uuid, "protocol": r.protocol, "ipaddressid": r.base.ip_uuid, "ipaddress": r.base.ip_address,
        "startport": r.start_port, "endport": r.end_port, "state": r.base.state, "networkid": r.base.network_uuid,
        "tags": [],
    }
    if r.vm_uuid is not None:
        view |= {"virtualmachineid": r.vm_uuid, "virtualmachinename": r.vm_name,
                 "virtualmachinedisplayname": r.vm_display_name, "vmguestip": r.dest_ip}
    return view


def firewall_view(r: FirewallRule) -> JsonObject:
    view: JsonObject = {
        "id": r.base.uuid, "protocol": r.protocol, "startport": r.start_port, "endport": r.end_port,
        "ipaddressid": r.base.ip_uuid, "ipaddress": r.base.ip_address, "networkid": r.base.network_uuid,
        "state": r.base.state, "cidrlist": join_cidrs(r.cidr_list) or "", "fordisplay": True, "tags": [],
    }
    if r.protocol is Protocol.ICMP:
        # "Any" is stored as no value; CloudStack answers -1 for it, and clients read both keys of every ICMP
        # rule: Ansible's cs_firewall compares them (a missing one is a KeyError), Terraform's firewall resource
        # reads 0 for a missing one and so plans a change for `icmp_type = -1` forever.
        view |= {"icmptype": -1 if r.icmp_type is None else r.icmp_type,
                 "icmpcode": -1 if r.icmp_code is None else r.icmp_code}
    return view


def egress_view(r: EgressRule) -> JsonObject:
    """CloudStack's FirewallResponse of an egress rule: the network, source and destination CIDRs, no public IP."""
    view: JsonObject = {
        "id": r.uuid, "protocol": r.protocol, "startport": r.start_port, "endport": r.end_port,
        "networkid": r.network_uuid, "state": r.state, "cidrlist": ",".join(r.cidr_list),
        "destcidrlist": ",".join(r.dest_cidr_list), "traffictype": "Egress", "fordisplay": True, "tags": [],
    }
    if r.protocol is Protocol.ICMP:
        view |= {"icmptype": -1 if r.icmp_type is None else r.icmp_type,
                 "icmpcode": -1 if r.icmp_code is None else r.icmp_code}
    return view


def load_balancer_view(r: LoadBalancerRule) -> JsonObject:
    return {
        "id": r.base.uuid, "name": r.name, "description": r.description, "publicipid": r.base.ip_uuid,
        "publicip": r.base.ip_address, "publicport": str(r.public_port), "privateport": str(r.private_port),
        "algorithm": r.algorithm, "networkid": r.base.network_uuid, "state": r.base.state, "zoneid": r.zone_uuid,
        "zonename": r.zone_name, "protocol": r.protocol, "cidrlist": join_cidrs(r.cidr_list) or ANYWHERE,
        "fordisplay": True, "tags": [], **_owner(r.base.owner),
    }


def vpc_offering_view(o: VpcOffering) -> JsonObject:
    return {
        "id": o.uuid, "name": o.name, "displaytext": o.display_text, "isdefault": o.is_default, "state": o.state,
        "created": wire_date(o.created), "service": [{"name": s} for s in o.services],
        "distributedvpcrouter": False, "supportsregionLevelvpc": False, "fordisplay": True,
    }


def vpc_view(v: Vpc, tiers: Sequence[Network]) -> JsonObject:
    return {
        "id": v.uuid, "name": v.name, "displaytext": v.display_text, "state": v.state, "zoneid": v.zone_uuid,
        "zonename": v.zone_name, "cidr": v.cidr, "vpcofferingid": v.offering.uuid, "vpcofferingname": v.offering.name,
        "networkdomain": v.network_domain, "created": wire_date(v.created), "restartrequired": False,
        "redundantvpcrouter": False, "regionlevelvpc": False, "distributedvpcrouter": False, "fordisplay": True,
        "service": [{"name": s} for s in v.offering.services], "network": [network_view(n) for n in tiers],
        "tags": [], **_owner(v.owner),
    }


def router_config_view(c: RouterConfig, since: int | None = None) -> JsonObject:
    """nicstack's own object: the rendered documents of one virtual router and their generation; without the
    documents when the caller holds that generation already (`since`)."""
    where = {"networkid": c.uuid} if c.kind == "isolated" else {"vpcid": c.uuid}
    view: JsonObject = {
        "target": c.target, "kind": c.kind, **where, "generation": c.generation, "digest": c.digest,
        "sincegeneration": since, "full": since != c.generation,
    }
    if since != c.generation:
        view.update({"iptables": c.iptables, "haproxy": c.haproxy, "addresses": c.addresses, "metadata": c.metadata})
    return view


VPC_OFFERING = kind("vpcoffering", {
    "id": "string",
    "name": "string",
    "displaytext": "string",
    "isdefault": "boolean",
    "state": "string",
    "created": "date",
    "service": ("list", fields({
        "name": "string",
    })),
    "distributedvpcrouter": "boolean",
    "supportsregionLevelvpc": "boolean",
    "fordisplay": "boolean",
})


VPC = kind("vpc", {
    "id": "string",
    "name": "string",
    "displaytext": "string",
    "state": "string",
    "zoneid": "string",
    "zonename": "string",
    "cidr": "string",
    "vpcofferingid": "string",
    "vpcofferingname": "string",
    "created": "date",
    "restartrequired": "boolean",
    "redundantvpcrouter": "boolean",
    "regionlevelvpc": "boolean",
    "distributedvpcrouter": "boolean",
    "fordisplay": "boolean",
    "service": ("list", fields({
        "name": "string",
    })),
    # A VPC's tiers, as network_view shows them without what a tier never has (tags, IPv6, VLAN, domain).
    "network": ("list", fields({name: entry for name, entry in NETWORK_SPEC.items()
                                if name not in {"tags", "ip6cidr", "ip6gateway", "vlan", "networkdomain"}})),
    "tags": TAGS,
    "account": "string",
    "domainid": "string",
    "domain": "string",
    "networkdomain": "string",
})


FIREWALL_RULE = kind("firewallrule", {
    "id": "string",
    "protocol": "string",
    "startport": "integer",
    "endport": "integer",
    "ipaddressid": "string",
    "ipaddress": "string",
    "networkid": "string",
    "state": "string",
    "cidrlist": "string",
    "fordisplay": "boolean",
    "tags": TAGS,
    "destcidrlist": "string",
    "traffictype": "string",
})


PORT_FORWARDING_RULE = kind("portforwardingrule", {
    "id": "string",
    "ipaddressid": "string",
    "ipaddress": "string",
    "protocol": "string",
    "publicport": "string",
    "publicendport": "string",
    "privateport": "string",
    "privateendport": "string",
    "virtualmachineid": "string",
    "virtualmachinename": "string",
    "virtualmachinedisplayname": "string",
    "vmguestip": "string",
    "networkid": "string",
    "state": "string",
    "cidrlist": "string",
    "fordisplay": "boolean",
    "tags": TAGS,
})


IP_FORWARDING_RULE = kind("ipforwardingrule", {
    "id": "string",
    "protocol": "string",
    "ipaddressid": "string",
    "ipaddress": "string",
    "startport": "integer",
    "endport": "integer",
    "state": "string",
    "networkid": "string",
    "tags": TAGS,
    "virtualmachineid": "string",
    "virtualmachinename": "string",
    "virtualmachinedisplayname": "string",
    "vmguestip": "string",
})


LOAD_BALANCER_RULE = kind("loadbalancerrule", {
    "id": "string",
    "name": "string",
    "description": "string",
    "publicipid": "string",
    "publicip": "string",
    "publicport": "string",
    "privateport": "string",
    "algorithm": "string",
    "networkid": "string",
    "state": "string",
    "zoneid": "string",
    "zonename": "string",
    "protocol": "string",
    "cidrlist": "string",
    "fordisplay": "boolean",
    "tags": TAGS,
    "account": "string",
    "domainid": "string",
    "domain": "string",
}, also=('loadbalancer',))


VLAN_IP_RANGE = kind("vlaniprange", {
    "id": "string",
    "forvirtualnetwork": "boolean",
    "zoneid": "string",
    "vlan": "string",
    "networkid": "string",
    "gateway": "string",
    "netmask": "string",
    "startip": "string",
    "endip": "string",
    "ip6gateway": "string",
    "ip6cidr": "string",
    "startipv6": "string",
    "endipv6": "string",
    "domainid": "string",
    "domain": "string",
    "fordisplay": "boolean",
    "description": "string",
    "podid": "string",
    "podname": "string",
    "cidr": "string",
}, also=('vlan',))


PUBLIC_IP_ADDRESS = kind("publicipaddress", {
    "id": "string",
    "ipaddress": "string",
    "allocated": "date",
    "zoneid": "string",
    "zonename": "string",
    "issourcenat": "boolean",
    "isstaticnat": "boolean",
    "issystem": "boolean",
    "forvirtualnetwork": "boolean",
    "state": "string",
    "associatednetworkid": "string",
    "associatednetworkname": "string",
    "vlanname": "string",
    "isportable": "boolean",
    "fordisplay": "boolean",
    "tags": TAGS,
    "account": "string",
    "domainid": "string",
    "domain": "string",
    "vlanid": "string",
    "vpcid": "string",
    "vpcname": "string",
    "virtualmachineid": "string",
    "virtualmachinename": "string",
    "virtualmachinedisplayname": "string",
    "vmipaddress": "string",
}, also=('ipaddress',))


ROUTER_CONFIG = kind("routerconfig", {
    "target": "string",
    "kind": "string",
    "networkid": "string",
    "generation": "integer",
    "digest": "string",
    "full": "boolean",
    "iptables": "string",
    "haproxy": "string",
    "addresses": "string",
    "metadata": "string",
    **DATAPLANE,
})
