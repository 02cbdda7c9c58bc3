"""Wire dicts for the world around the feature: identity, infrastructure, catalogue, events, jobs."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from nicstack.api.params import Param, ParamType
from nicstack.api.registry import Command
from nicstack.api.replies import ListReply
from nicstack.api.schema import SUCCESS, Kind, Spec, described, fields, kind
from nicstack.api.scope import page_of
from nicstack.db.repos.jobs import Job
from nicstack.domain.kinds import JobStatus, Role
from nicstack.domain.model import Account, Domain, Host, NetworkOffering, Pod, User, Zone
from nicstack.domain.policy import Setting
from nicstack.services.identity import shown_path

JsonObject = dict[str, Any]
VERSION = "4.19.0.0"
SINCE = "4.2.0"

ROLE_TYPES = {Role.ROOT_ADMIN: "Admin", Role.DOMAIN_ADMIN: "DomainAdmin", Role.USER: "User", Role.AGENT: "Agent"}
ROLE_NAMES = {Role.ROOT_ADMIN: "Root Admin", Role.DOMAIN_ADMIN: "Domain Admin", Role.USER: "User",
              Role.AGENT: "Data-plane agent"}
# Which provider CloudStack names for a service of a default offering.
_PROVIDERS = {"SecurityGroup": "SecurityGroupProvider"}


def wire_date(dt: datetime | None) -> str | None:
    """CloudStack's date format; every stored datetime is naive UTC."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S+0000") if dt is not None else None


def listing(name: str, items: Sequence[JsonObject], args: dict[str, Any]) -> ListReply:
    """A list reply showing the requested page; `count` is the total across pages."""
    window = page_of(args)
    shown = items if window is None else items[window[0] : window[0] + window[1]]
    return ListReply(name, list(shown), len(items))


def domain(d: Domain, parent_name: str | None, has_child: bool) -> JsonObject:
    return {
        "id": d.uuid, "name": d.name, "level": d.level, "parentdomainid": d.parent_uuid,
        "parentdomainname": parent_name, "haschild": has_child, "path": shown_path(d.path),
        "state": "Active", "created": wire_date(d.created),
    }


def user(u: User) -> JsonObject:
    a = u.account
    return {
        "id": u.uuid, "username": u.username, "firstname": u.firstname, "lastname": u.lastname,
        "email": u.email, "created": wire_date(u.created), "state": u.state, "account": a.name,
        "accountid": a.uuid, "accounttype": int(a.role), "roletype": ROLE_TYPES[a.role],
        "rolename": ROLE_NAMES[a.role], "domainid": a.domain_uuid, "domain": a.domain_name,
        "apikey": u.api_key, "isdefault": a.name in ("admin", "system") and a.domain_path == "/",
        "usersource": "native", "is2faenabled": False,
    }


def account(a: Account, users: list[User]) -> JsonObject:
    return {
        "id": a.uuid, "name": a.name, "accounttype": int(a.role), "roletype": ROLE_TYPES[a.role],
        "rolename": ROLE_NAMES[a.role], "domainid": a.domain_uuid, "domain": a.domain_name,
        "domainpath": shown_path(a.domain_path), "state": a.state, "created": wire_date(a.created),
        "isdefault": a.name in ("admin", "system") and a.domain_path == "/",
        "iscleanuprequired": False, "user": [user(u) for u in users],
    }


def zone(z: Zone) -> JsonObject:
    return {
        "id": z.uuid, "name": z.name, "networktype": str(z.network_type),
        "securitygroupsenabled": z.security_groups_enabled, "allocationstate": z.allocation_state,
        "dns1": z.dns1, "internaldns1": z.internal_dns1, "guestcidraddress": z.guest_cidr,
        "dhcpprovider": "VirtualRouter", "localstorageenabled": False, "type": "Core",
    }


def pod(p: Pod) -> JsonObject:
    ranges = [{"startip": p.start_ip, "endip": p.end_ip}] if p.start_ip else []
    return {
        "id": p.uuid, "name": p.name, "zoneid": p.zone_uuid, "zonename": p.zone_name, "gateway": p.gateway,
        "netmask": p.netmask, "allocationstate": p.allocation_state, "ipranges": ranges,
        # Lists since 4.16 (one entry per range); older clients read these.
        "startip": [p.start_ip] if p.start_ip else None, "endip": [p.end_ip] if p.end_ip else None,
    }


def host(h: Host) -> JsonObject:
    return {
        "id": h.uuid, "name": h.name, "type": "Routing", "state": h.state, "resourcestate": h.resource_state,
        "ipaddress": h.ip_address, "hypervisor": str(h.hypervisor), "zoneid": h.zone_uuid,
        "zonename": h.zone_name, "podid": h.pod_uuid, "podname": h.pod_name, "created": wire_date(h.created),
        "version": VERSION,
    }


def _provider(service: str, for_vpc: bool) -> str:
    return _PROVIDERS.get(service, "VpcVirtualRouter" if for_vpc else "VirtualRouter")


# A name-based uuid for CloudStack's "System Offering For Software Router" (nicstack has no system offerings).
ROUTER_SERVICE_OFFERING = str(uuid.uuid5(uuid.NAMESPACE_URL, "nicstack:System Offering For Software Router"))


def network_offering(o: NetworkOffering) -> JsonObject:
    return {
        "id": o.uuid, "name": o.name, "displaytext": o.display_text, "guestiptype": str(o.guest_type),
        "traffictype": "Guest", "isdefault": o.is_default, "specifyvlan": o.specify_vlan,
        "specifyipranges": o.specify_ip_ranges, "forvpc": o.for_vpc, "state": o.state,
        "availability": "Required" if o.is_default else "Optional", "conservemode": True,
        "ispersistent": False, "egressdefaultpolicy": o.egress_default_allow, "internetprotocol": "IPv4",
        "created": wire_date(o.created),
        "service": [_service(o, s) for s in sorted(o.services)],
        # The system offering of the offering's virtual router; libcloud reads the key from every offering.
        "serviceofferingid": ROUTER_SERVICE_OFFERING,
    }


def _service(o: NetworkOffering, name: str) -> JsonObject:
    view: JsonObject = {"name": name, "provider": [{"name": _provider(name, o.for_vpc)}]}
    # CloudStack's capability names (Network.Capability), which clients read to tell an EIP/ELB offering.
    capabilities = {"StaticNat": (("ElasticIp", o.elastic_ip), ("AssociatePublicIP", False)),
                    "Lb": (("ElasticLb", o.elastic_lb),)}.get(name, ())
    if capabilities:
        view["capability"] = [{"name": key, "value": str(value).lower(), "canchooseservicecapability": False}
                              for key, value in capabilities]
    return view


def service_offering(o: dict[str, Any]) -> JsonObject:
    return {
        "id": o["uuid"], "name": o["name"], "displaytext": o["display_text"], "cpunumber": o["cpu_number"],
        "cpuspeed": o["cpu_speed"], "memory": o["memory"], "created": wire_date(o["created"]),
        "storagetype": "shared", "offerha": False, "limitcpuuse": False, "issystem": False,
        "defaultuse": False, "iscustomized": False,
    }


def template(tpl: dict[str, Any], z: Zone | None, owner: tuple[str, str] | None) -> JsonObject:
    """One template as listed in zone `z` (CloudStack lists a cross-zone template once per zone)."""
    return {
        "id": tpl["uuid"], "name": tpl["name"], "displaytext": tpl["display_text"],
        "ispublic": bool(tpl["is_public"]), "isfeatured": bool(tpl["is_featured"]), "isready": True,
        "format": tpl["format"], "ostypename": tpl["os_type"], "created": wire_date(tpl["created"]),
        "hypervisor": "KVM", "templatetype": "BUILTIN", "status": "Download Complete",
        "passwordenabled": False, "isextractable": False, "crossZones": True, "sshkeyenabled": False,
        "isdynamicallyscalable": False, "zoneid": z.uuid if z else None, "zonename": z.name if z else None,
        "account": "system", "domainid": owner[0] if owner else None, "domain": owner[1] if owner else None,
    }


def event(e: dict[str, Any]) -> JsonObject:
    return {
        "id": e["uuid"], "type": e["type"], "level": e["level"], "description": e["description"],
        "account": e["account"], "domainid": e["domainid"], "domain": e["domain"],
        "created": wire_date(e["created"]), "state": e["state"], "username": e.get("username"),
    }


_SETTING_TYPES = {int: "Number", bool: "Boolean"}


def configuration(s: Setting, value: str) -> JsonObject:
    return {
        "name": s.name, "value": value, "category": s.category, "description": s.description,
        "isdynamic": True, "defaultvalue": s.default, "type": _SETTING_TYPES.get(s.kind, "String"),
        "component": "nicstack",
    }


def asyncjob(j: Job) -> JsonObject:
    """A job as queryAsyncJobResult and listAsyncJobs show it (spec 01, section 4)."""
    body: JsonObject = {
        "jobid": j.uuid, "jobstatus": int(j.status), "jobresultcode": j.result_code, "jobprocstatus": 0,
        "jobinstancetype": j.instance_type, "jobinstanceid": j.instance_uuid, "cmd": j.cmd,
        "userid": j.user_uuid, "accountid": j.account_uuid, "created": wire_date(j.created),
    }
    if j.status is not JobStatus.PENDING:
        body |= {"completed": wire_date(j.completed), "jobresulttype": "object", "jobresult": j.result or {}}
    return body


def related(commands: Iterable[Command]) -> dict[str, list[str]]:
    """The commands answering each kind, by its name, as CloudStack relates them: by response class, commands
    that only report success not related to anything."""
    found: dict[str, list[str]] = {}
    for c in sorted(commands, key=lambda c: c.name):
        if c.answers is not None and c.answers is not SUCCESS:
            found.setdefault(c.answers.name, []).append(c.name)
    return found


# What a uuid parameter of each name refers to: the kind whose listing commands are the parameter's `related`.
# `id` refers to the kind the command answers.
PARAM_KINDS = {
    "nicid": "nic", "virtualmachineid": "virtualmachine", "networkid": "network", "zoneid": "zone", "podid": "pod",
    "hostid": "host", "domainid": "domain", "vpcid": "vpc", "aclid": "networkacllist", "ipaddressid": "publicipaddress",
    "publicipid": "publicipaddress", "securitygroupid": "securitygroup", "networkofferingid": "networkoffering",
    "serviceofferingid": "serviceoffering", "templateid": "template", "vpcofferingid": "vpcoffering",
    "parentdomainid": "domain", "associatednetworkid": "network",
}


def api(c: Command, relations: Mapping[str, list[str]]) -> JsonObject:
    """One command as listApis describes it: `related` names the other commands answering the same kind;
    a parameter's, the commands answering the kind it refers to."""
    answers = c.answers
    own = answers.name if answers is not None and answers is not SUCCESS else None

    def refers(p: Param) -> str | None:
        if p.type is not ParamType.UUID:
            return None
        target = own if p.name == "id" else PARAM_KINDS.get(p.name)
        return ",".join(relations.get(target, [])) or None if target else None

    return {
        "name": c.name, "description": c.description, "isasync": c.is_async, "since": SINCE,
        "related": ",".join(n for n in relations.get(own, []) if n != c.name) or None if own else None,
        "params": [
            {
                "name": p.name, "description": p.description, "type": str(p.type), "length": p.length,
                "required": p.required, "since": SINCE, "related": refers(p),
            }
            for p in c.params
        ],
        "response": [described(f) for f in answers.fields] if answers is not None else [],
    }


# A response field as listApis describes it, and the fields of its nested objects (two levels: a VM's NIC's
# secondary addresses).
_FIELD = {"name": "string", "description": "string", "type": "string"}
_FIELD_ABOUT = {"name": "the name of the response field", "description": "the description of the response field",
                "type": "the type of the response field", "response": "the fields of its nested objects"}
RESPONSE_FIELDS = fields({**_FIELD, "response": ("list", fields({**_FIELD, "response": ("list", fields(
    _FIELD, _FIELD_ABOUT))}, _FIELD_ABOUT))}, _FIELD_ABOUT)

API = kind("api", {
    "name": "string",
    "description": "string",
    "isasync": "boolean",
    "since": "string",
    "related": "string",
    "params": ("list", fields({
        "name": "string",
        "description": "string",
        "type": "string",
        "length": "integer",
        "required": "boolean",
        "since": "string",
        "related": "string",
    })),
    "response": ("list", RESPONSE_FIELDS),
}, about={"description": "the description of the API", "name": "the name of the API"})


ZONE = kind("zone", {
    "id": "string",
    "name": "string",
    "networktype": "string",
    "securitygroupsenabled": "boolean",
    "allocationstate": "string",
    "dns1": "string",
    "internaldns1": "string",
    "dhcpprovider": "string",
    "localstorageenabled": "boolean",
    "type": "string",
})


POD = kind("pod", {
    "id": "string",
    "name": "string",
    "zoneid": "string",
    "zonename": "string",
    "gateway": "string",
    "netmask": "string",
    "allocationstate": "string",
    "ipranges": ("list", fields({
        "startip": "string",
        "endip": "string",
    })),
    "startip": "list",
    "endip": "list",
})


HOST = kind("host", {
    "id": "string",
    "name": "string",
    "type": "string",
    "state": "string",
    "resourcestate": "string",
    "ipaddress": "string",
    "hypervisor": "string",
    "zoneid": "string",
    "zonename": "string",
    "podid": "string",
    "podname": "string",
    "created": "date",
    "version": "string",
    "publishedgeneration": "integer",
    "dataplanestate": "string",
})


DOMAIN = kind("domain", {
    "id": "string",
    "name": "string",
    "level": "integer",
    "haschild": "boolean",
    "path": "string",
    "state": "string",
    "created": "date",
    "parentdomainid": "string",
    "parentdomainname": "string",
})


USER_SPEC: Spec = {
    "id": "string",
    "username": "string",
    "firstname": "string",
    "lastname": "string",
    "created": "date",
    "state": "string",
    "account": "string",
    "accountid": "string",
    "accounttype": "integer",
    "roletype": "string",
    "rolename": "string",
    "domainid": "string",
    "domain": "string",
    "apikey": "string",
    "isdefault": "boolean",
    "usersource": "string",
    "is2faenabled": "boolean",
    "email": "string",
}


ACCOUNT = kind("account", {
    "id": "string",
    "name": "string",
    "accounttype": "integer",
    "roletype": "string",
    "rolename": "string",
    "domainid": "string",
    "domain": "string",
    "domainpath": "string",
    "state": "string",
    "created": "date",
    "isdefault": "boolean",
    "iscleanuprequired": "boolean",
    "user": ("list", fields(USER_SPEC)),
})


USER = kind("user", USER_SPEC)


NETWORK_OFFERING = kind("networkoffering", {
    "id": "string",
    "name": "string",
    "displaytext": "string",
    "guestiptype": "string",
    "traffictype": "string",
    "isdefault": "boolean",
    "specifyvlan": "boolean",
    "specifyipranges": "boolean",
    "forvpc": "boolean",
    "state": "string",
    "availability": "string",
    "conservemode": "boolean",
    "ispersistent": "boolean",
    "egressdefaultpolicy": "boolean",
    "internetprotocol": "string",
    "created": "date",
    "service": ("list", fields({
        "name": "string",
        "provider": ("list", fields({
            "name": "string",
        })),
        "capability": ("list", fields({
            "name": "string",
            "value": "string",
            "canchooseservicecapability": "boolean",
        })),
    })),
    "serviceofferingid": "string",
})


SERVICE_OFFERING = kind("serviceoffering", {
    "id": "string",
    "name": "string",
    "displaytext": "string",
    "cpunumber": "integer",
    "cpuspeed": "integer",
    "memory": "integer",
    "created": "date",
    "storagetype": "string",
    "offerha": "boolean",
    "limitcpuuse": "boolean",
    "issystem": "boolean",
    "defaultuse": "boolean",
    "iscustomized": "boolean",
})


TEMPLATE = kind("template", {
    "id": "string",
    "name": "string",
    "displaytext": "string",
    "ispublic": "boolean",
    "isfeatured": "boolean",
    "isready": "boolean",
    "format": "string",
    "ostypename": "string",
    "created": "date",
    "hypervisor": "string",
    "templatetype": "string",
    "status": "string",
    "passwordenabled": "boolean",
    "isextractable": "boolean",
    "crossZones": "boolean",
    "sshkeyenabled": "boolean",
    "isdynamicallyscalable": "boolean",
    "zoneid": "string",
    "zonename": "string",
    "account": "string",
    "domainid": "string",
    "domain": "string",
})


CONFIGURATION = kind("configuration", {
    "name": "string",
    "value": "string",
    "category": "string",
    "description": "string",
    "isdynamic": "boolean",
    "defaultvalue": "string",
    "type": "string",
    "component": "string",
})


EVENT = kind("event", {
    "id": "string",
    "type": "string",
    "level": "string",
    "description": "string",
    "account": "string",
    "domainid": "string",
    "domain": "string",
    "created": "date",
    "state": "string",
    "username": "string",
})


ASYNC_JOB = kind("asyncjobs", {
    "jobid": "string",
    "jobstatus": "integer",
    "jobresultcode": "integer",
    "jobprocstatus": "integer",
    "jobinstancetype": "string",
    "jobinstanceid": "string",
    "cmd": "string",
    "userid": "string",
    "accountid": "string",
    "created": "date",
    "completed": "date",
    "jobresulttype": "string",
    "jobresult": "map",
}, flat=True)

ASYNC_JOBS = Kind("asyncjobs", ASYNC_JOB.fields)
