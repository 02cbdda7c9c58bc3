"""What each command answers, as listApis describes it: the fields of its response object.

A `Kind` is one CloudStack response class (NicResponse, UserVmResponse...): the key its objects
come under (`nic`) and its fields, each with CloudStack's type name (the Java field type's simple
name, lower case: string, boolean, integer, long, date, list, map) and description. A field whose
value is a list of objects or one object carries the fields of those objects (`response`, as
CloudStack nests them). Each table lives next to the view function that produces its objects, and
`tests/api/test_list_apis_schema.py` renders real objects through the real commands and checks that
every key they produce is declared, with its type, and that every declared field is produced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nicstack.api.replies import JsonObject

# The type names CloudStack's listApis gives response fields.
TYPES = frozenset({"string", "boolean", "integer", "long", "date", "list", "map", "object"})


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: str
    description: str
    response: tuple[Field, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")


@dataclass(frozen=True, slots=True)
class Kind:
    """One response class. `name` is the key its objects come under in a reply and in a job's result;
    `also` are other keys the same objects come under (a list of them, another command's name for them).
    A `flat` kind is answered without a key: its fields are the response itself (success, a job)."""

    name: str
    fields: tuple[Field, ...]
    also: tuple[str, ...] = ()
    flat: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.name, *self.also)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def named(self, *also: str) -> Kind:
        """The same class answered under other keys (listLoadBalancerRuleInstances' VMs)."""
        return Kind(self.name, self.fields, also, self.flat)


# A declaration: name -> its type, or (its type, the fields of its nested objects). The description
# comes from DESCRIPTIONS (one per field name, as CloudStack's ApiConstants names them), or from
# `about` where a kind's field means something of its own.
Fields = tuple[Field, ...]
Spec = Mapping[str, str | tuple[str, Fields]]


def fields(spec: Spec, about: Mapping[str, str] | None = None) -> Fields:
    """Fields from a declaration table."""
    made = []
    for name, entry in spec.items():
        type_, nested = (entry, ()) if isinstance(entry, str) else entry
        text = (about or {}).get(name) or DESCRIPTIONS.get(name)
        if text is None:
            raise ValueError(f"field {name} has no description")
        made.append(Field(name, type_, text, nested))
    return tuple(made)


def kind(name: str, spec: Spec, *, about: Mapping[str, str] | None = None, also: tuple[str, ...] = (),
         flat: bool = False) -> Kind:
    own = {"id": f"the ID of the {name}", "name": f"the name of the {name}"} | dict(about or {})
    return Kind(name, fields(spec, own), also, flat)


def described(f: Field) -> JsonObject:
    """A field as listApis shows it."""
    view: JsonObject = {"name": f.name, "description": f.description, "type": f.type}
    if f.response:
        view["response"] = [described(sub) for sub in f.response]
    return view


# What each response field name means (CloudStack's words where it has them).
DESCRIPTIONS: dict[str, str] = {
    "account": "the account owning the object",
    "accountid": "the ID of the account",
    "accounttype": "the account type (0 user, 1 root admin, 2 domain admin)",
    "aclid": "the ID of the network ACL list",
    "aclname": "the name of the network ACL list",
    "acltype": "the ACL type: Account or Domain",
    "action": "Allow or Deny",
    "addresses": "the router's addresses document",
    "agent": "the agent's credentials",
    "agentname": "the name the data-plane agent reported",
    "algorithm": "the load balancing algorithm (roundrobin, leastconn, source)",
    "allocated": "the date the address was acquired",
    "allocationstate": "the allocation state (Enabled or Disabled)",
    "allowusercreateprojects": "true if regular users may create projects",
    "allowuserexpungerecovervm": "true if users may expunge and recover their VMs",
    "allowuserviewdestroyedvm": "true if users may list their destroyed VMs",
    "apikey": "the API key",
    "apilimitinterval": "the API throttling interval in seconds",
    "apilimitmax": "the API calls allowed per interval",
    "applied": "nicstack: true when every data-plane agent concerned has applied the address",
    "applieddigest": "the digest of the documents the agent applied",
    "appliedgeneration": "the configuration generation the agent applied",
    "associatednetworkid": "the ID of the network the address is associated with",
    "associatednetworkname": "the name of the network the address is associated with",
    "attached": "the date the volume was attached",
    "availability": "the availability of the offering (Required or Optional)",
    "available": "how many more secondary addresses the NIC may have",
    "broadcasturi": "the broadcast URI of the NIC",
    "cacheMode": "the cache mode of the disk offering",
    "canchooseservicecapability": "true if the capability may be chosen",
    "capability": "the capabilities of the service",
    "category": "the category of the setting",
    "cells": "the address pool in equal cells, each with its free and held counts",
    "cidr": "the CIDR",
    "cidrlist": "the comma-separated source CIDRs",
    "cloudstackversion": "the CloudStack version nicstack answers as",
    "cmd": "the command the job runs",
    "completed": "the date the job completed",
    "component": "the component the setting belongs to",
    "conservemode": "true if the offering is in conserve mode",
    "count": "the number of addresses",
    "counts": "the number of addresses of each kind (free, primary, secondary, router...)",
    "cpunumber": "the number of CPUs",
    "cpuspeed": "the CPU speed in MHz",
    "created": "the date the object was created",
    "crossZones": "true if the template is available in every zone",
    "customdiskofferingmaxsize": "the largest custom disk size in GB",
    "customdiskofferingminsize": "the smallest custom disk size in GB",
    "customer": "the customer associated with the tag",
    "dataplanestate": "nicstack: the state of the target's data plane (Applied, Pending, Failed, NoAgent...)",
    "defaultuse": "true if the offering is a default one",
    "defaultvalue": "the default value of the setting",
    "description": "the description",
    "destcidrlist": "the comma-separated destination CIDRs",
    "destroyed": "true if the volume is destroyed",
    "deviceid": "the device ID",
    "dhcpprovider": "the DHCP provider of the zone",
    "digest": "the digest of the published documents",
    "disksize": "the disk size in GB",
    "displayname": "the display name",
    "displayoffering": "true if the offering is shown to users",
    "displaytext": "the display text",
    "displayvolume": "true if the volume is shown to users",
    "distributedvpcrouter": "true if the VPC router is distributed",
    "dns1": "the first DNS server",
    "documents": "the host's documents by name (ipset, iptables, ip6tables, ebtables, vifs)",
    "domain": "the name of the domain",
    "domainid": "the ID of the domain",
    "domainpath": "the path of the domain",
    "dynamicrolesenabled": "true if dynamic roles are enabled",
    "ebtables": "the ebtables document",
    "egressdefaultpolicy": "true if egress traffic is allowed by default",
    "egressrule": "the egress rules of the group",
    "email": "the email address",
    "end": "the last address of the range",
    "endip": "the last IP address",
    "endipv6": "the last IPv6 address",
    "endport": "the last port",
    "extradhcpoption": "the extra DHCP options of the NIC",
    "fingerprint": "the fingerprint of the public key",
    "firstfree": "the first free address",
    "firstname": "the first name",
    "fordisplay": "true if the object is shown to users",
    "format": "the format of the template",
    "forvirtualnetwork": "true if the range or address is for virtual (isolated) networks",
    "forvpc": "true if the offering is for VPC tiers",
    "free": "the number of free addresses",
    "full": "true if the whole documents are answered, false if only the changes",
    "gateway": "the gateway",
    "generation": "the configuration generation published",
    "guestipaddress": "the router's address in its guest network",
    "guestiptype": "the guest type (Isolated, Shared, L2)",
    "guestnetmask": "the netmask of the router's guest network",
    "guestnetworkid": "the ID of the router's guest network",
    "guestnetworkname": "the name of the router's guest network",
    "haenable": "true if high availability is enabled",
    "haproxy": "the router's haproxy.cfg document",
    "haschild": "true if the domain has subdomains",
    "held": "the number of addresses of each kind held in the cell",
    "hostid": "the ID of the host",
    "hostname": "the name of the host",
    "hypervisor": "the hypervisor",
    "icmpcode": "the ICMP code",
    "icmptype": "the ICMP type",
    "id": "the ID",
    "ingressrule": "the ingress rules of the group",
    "internaldns1": "the first internal DNS server",
    "internetprotocol": "the internet protocol (IPv4, DualStack)",
    "ip6address": "the IPv6 address",
    "ip6cidr": "the IPv6 CIDR",
    "ip6gateway": "the IPv6 gateway",
    "ip6tables": "the ip6tables document",
    "ipaddress": "the IP address",
    "ipaddressid": "the ID of the public IP address",
    "ipranges": "the IP ranges",
    "ipset": "the ipset document",
    "iptables": "the iptables-restore document",
    "ipv4": "the IPv4 addresses",
    "is2faenabled": "true if two-factor authentication is enabled",
    "isasync": "true if the API is asynchronous",
    "iscleanuprequired": "true if the account needs cleanup",
    "iscustomized": "true if the offering is customized",
    "isdefault": "true if it is the default",
    "isdynamic": "true if a change applies without restart",
    "isdynamicallyscalable": "true if the VM can be scaled dynamically",
    "isextractable": "true if it can be extracted",
    "isfeatured": "true if the template is featured",
    "isolationuri": "the isolation URI of the NIC",
    "ispersistent": "true if the networks of the offering are persistent",
    "isportable": "true if the address is portable",
    "ispublic": "true if the template is public",
    "isready": "true if the template is ready",
    "isredundantrouter": "true if the router is redundant",
    "issourcenat": "true if the address is the network's source NAT address",
    "isstaticnat": "true if static NAT is enabled on the address",
    "issystem": "true if it is a system object",
    "isuserdefined": "true if the OS type is user defined",
    "jobid": "the ID of the job",
    "jobinstanceid": "the ID of the object the job acts on",
    "jobinstancetype": "the type of the object the job acts on",
    "jobprocstatus": "the progress of the job",
    "jobresult": "the result of the job: the object it answers, or success",
    "jobresultcode": "the result code of the job",
    "jobresulttype": "the type of the job's result",
    "jobstatus": "the status of the job (0 pending, 1 succeeded, 2 failed)",
    "key": "the tag key",
    "keypair": "the SSH key pairs of the VM (before CloudStack 4.17)",
    "keypairs": "the SSH key pairs of the VM",
    "kind": "the kind of the object",
    "kvmsnapshotenabled": "true if KVM snapshots are enabled",
    "lastapplied": "when the agent last applied a generation",
    "lasterror": "the last error the agent reported",
    "lasterrortime": "when the agent reported its last error",
    "lastheartbeat": "the agent's last report",
    "lastname": "the last name",
    "lbvmipaddresses": "the guest addresses of the VM mapped to the rule",
    "length": "the length of the parameter",
    "level": "the level",
    "limit": "the most secondary addresses the NIC may have",
    "limitcpuuse": "true if CPU use is capped",
    "loadbalancerruleinstance": "the VM",
    "localstorageenabled": "true if local storage is enabled",
    "macaddress": "the MAC address",
    "memory": "the memory in MB",
    "metadata": "the router's metadata document",
    "name": "the name",
    "netmask": "the netmask",
    "network": "the tiers of the VPC",
    "networkdomain": "the network domain",
    "networkid": "the ID of the network",
    "networkname": "the name of the network",
    "networkofferingdisplaytext": "the display text of the network offering",
    "networkofferingid": "the ID of the network offering",
    "networkofferingname": "the name of the network offering",
    "networktype": "the network type of the zone (Basic or Advanced)",
    "nic": "the NICs",
    "nicid": "the ID of the NIC",
    "number": "the number of the item, its order in the list",
    "offerha": "true if the offering offers HA",
    "oscategoryname": "the name of the OS category",
    "ostypename": "the name of the OS type",
    "params": "the parameters of the API",
    "parentdomainid": "the ID of the parent domain",
    "parentdomainname": "the name of the parent domain",
    "passwordenabled": "true if the template supports passwords",
    "path": "the path",
    "podid": "the ID of the pod",
    "podname": "the name of the pod",
    "primary": "the number of primary addresses",
    "privateendport": "the last private port",
    "privateport": "the private port",
    "projectinviterequired": "true if project invitations are required",
    "protocol": "the protocol",
    "provider": "the providers of the service",
    "provisioningtype": "the provisioning type",
    "publicendport": "the last public port",
    "publicip": "the public IP address",
    "publicipid": "the ID of the public IP address",
    "publicnetmask": "the netmask of the public address",
    "publicport": "the public port",
    "publishedgeneration": "nicstack: the configuration generation published for the target",
    "ranges": "the free ranges",
    "reason": "the reason of the item",
    "redundantstate": "the redundant state of the router",
    "redundantvpcrouter": "true if the VPC router is redundant",
    "regionlevelvpc": "true if the VPC is region level",
    "regionsecondaryenabled": "true if region-wide secondary storage is enabled",
    "related": "comma-separated related APIs",
    "required": "true if the parameter is required",
    "requiresupgrade": "true if the router needs an upgrade",
    "resourceid": "the ID of the resource",
    "resourcestate": "the resource state of the host",
    "resourcetype": "the resource type",
    "response": "the response fields of the API",
    "restartrequired": "true if a restart is required",
    "role": "the role",
    "rolename": "the name of the role",
    "roletype": "the type of the role",
    "router": "the number of router addresses",
    "ruleid": "the ID of the rule",
    "runs": "the address pool as runs of one kind, in numeric order",
    "secondaryip": "the secondary addresses of the NIC",
    "secretkey": "the secret key",
    "securitygroup": "the security groups",
    "securitygroupname": "the name of the security group",
    "securitygroupsenabled": "true if security groups are enabled",
    "service": "the services",
    "serviceofferingid": "the ID of the service offering",
    "serviceofferingname": "the name of the service offering",
    "since": "the version the API or parameter appeared in",
    "sincegeneration": "the generation the changes are since",
    "size": "the size",
    "specifyipranges": "true if IP ranges are specified",
    "specifyvlan": "true if a VLAN is specified",
    "sshkeyenabled": "true if the template supports SSH keys",
    "start": "the first address of the range",
    "startip": "the first IP address",
    "startipv6": "the first IPv6 address",
    "startport": "the first port",
    "state": "the state",
    "status": "the status",
    "storagetype": "the storage type",
    "success": "true if the operation succeeded",
    "supportELB": "true if elastic load balancing is supported",
    "supportsregionLevelvpc": "true if region-level VPCs are supported",
    "tags": "the resource tags",
    "target": "the data-plane target (network:, vpc: or host: and its ID)",
    "targetid": "the ID of the target",
    "targettype": "the type of the target (network, vpc or host)",
    "templateid": "the ID of the template",
    "templatename": "the name of the template",
    "templatetype": "the type of the template",
    "total": "the number of addresses",
    "traffictype": "the traffic type",
    "truncated": "true if the list was cut short",
    "type": "the type",
    "used": "the number of addresses used",
    "user": "the users of the account",
    "userdata": "the base64 user data",
    "userid": "the ID of the user",
    "username": "the user name",
    "userpublictemplateenabled": "true if users may publish templates",
    "usersource": "the source of the user",
    "value": "the value",
    "version": "the version",
    "vifs": "the vifs document",
    "virtualmachinecount": "the number of VMs in the group",
    "virtualmachinedisplayname": "the display name of the VM",
    "virtualmachineid": "the ID of the VM",
    "virtualmachineids": "the IDs of the VMs",
    "virtualmachinename": "the name of the VM",
    "vlan": "the VLAN",
    "vlanid": "the ID of the VLAN range",
    "vlanname": "the name of the VLAN range",
    "vmdisplayname": "the display name of the VM",
    "vmguestip": "the guest address of the VM the rule targets",
    "vmipaddress": "the guest address of the VM static NAT targets",
    "vmname": "the name of the VM",
    "vmstate": "the state of the VM",
    "vpcid": "the ID of the VPC",
    "vpcname": "the name of the VPC",
    "vpcofferingid": "the ID of the VPC offering",
    "vpcofferingname": "the name of the VPC offering",
    "zoneid": "the ID of the zone",
    "zonename": "the name of the zone",
}


# What a command that only reports success answers (CloudStack's SuccessResponse).
SUCCESS = kind("success", {"success": "boolean", "displaytext": "string"},
               about={"displaytext": "any text associated with the success or failure"}, flat=True)
