"""No user ever learns of another account's things: a foreign id answers exactly as an unknown one.

Every command that takes a uuid is driven by two callers that must not see account A's estate:
another account B of A's domain, and a domain admin C of a sibling domain. Each request naming
one of A's things is sent again with a random uuid in its place; the two answers must have the
same status and, with the uuid masked, the same text, and the database must not change. The
callers' own estates fill the commands' other parameters, so the uuid under test decides (the
random uuid's answer must name that parameter, or the probe proved nothing).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

import nicstack.api.app  # noqa: F401 - registers every command
from nicstack.api.params import Param, ParamType
from nicstack.api.registry import COMMANDS, ROOT, Command
from nicstack.domain.kinds import Role
from tests.conftest import Cloud
from tests.support.client import Client
from tests.support.estates import Estate, build_estate, public_key
from tests.support.probes import changes, send, snapshot
from tests.support.rules import make_public_zone, vpc_offerings
from tests.support.world import Zone, defaults, make_tenant, unique

pytestmark = pytest.mark.api

# What a uuid parameter names, by parameter name...
PARAM_KINDS = {
    "nicid": "nic", "virtualmachineid": "vm", "virtualmachineids": "vm", "networkid": "network",
    "associatednetworkid": "network", "networkids": "network", "ipaddressid": "publicip", "publicipid": "publicip",
    "vpcid": "vpc", "securitygroupid": "securitygroup", "securitygroupids": "securitygroup", "jobid": "job",
    "domainid": "domain", "parentdomainid": "domain", "aclid": "networkacl",
}
# ... and `id`, by command.
ID_KINDS = {
    **dict.fromkeys(("destroyVirtualMachine", "expungeVirtualMachine", "recoverVirtualMachine", "rebootVirtualMachine",
                     "startVirtualMachine", "stopVirtualMachine", "updateVirtualMachine", "listVirtualMachines"), "vm"),
    **dict.fromkeys(("deleteNetwork", "restartNetwork", "listNetworks", "updateNetwork"), "network"),
    **dict.fromkeys(("disassociateIpAddress", "listPublicIpAddresses"), "publicip"),
    **dict.fromkeys(("deletePortForwardingRule", "updatePortForwardingRule", "listPortForwardingRules"),
                    "portforwardingrule"),
    **dict.fromkeys(("deleteLoadBalancerRule", "assignToLoadBalancerRule", "removeFromLoadBalancerRule",
                     "updateLoadBalancerRule", "listLoadBalancerRuleInstances", "listLoadBalancerRules"),
                    "loadbalancerrule"),
    **dict.fromkeys(("deleteFirewallRule", "listFirewallRules"), "firewallrule"),
    **dict.fromkeys(("deleteIpForwardingRule", "listIpForwardingRules"), "ipforwardingrule"),
    **dict.fromkeys(("deleteEgressFirewallRule", "listEgressFirewallRules"), "egressfirewallrule"),
    **dict.fromkeys(("deleteSecurityGroup", "listSecurityGroups"), "securitygroup"),
    **dict.fromkeys(("deleteVPC", "restartVPC", "listVPCs", "updateVPC"), "vpc"),
    **dict.fromkeys(("deleteNetworkACLList", "listNetworkACLLists"), "networkacl"),
    **dict.fromkeys(("updateNetworkACLItem", "deleteNetworkACL", "listNetworkACLs"), "networkaclitem"),
    "listVolumes": "volume", "listSSHKeyPairs": "sshkeypair",
    **dict.fromkeys(("listUsers", "registerUserKeys", "enableUser"), "user"),
    "revokeSecurityGroupIngress": "ingressrule", "revokeSecurityGroupEgress": "egressrule",
    "removeIpFromNic": "secondaryip", "listAccounts": "account", "listDomains": "domain", "listEvents": "event",
    "listRouters": "router",
}
# Uuids inside map parameters: (map, key) -> kind.
MAP_KINDS = {("vmidipmap", "vmid"): "vm", ("iptonetworklist", "networkid"): "network"}
# usersecuritygrouplist names groups by account and group name: CloudStack rules may name anyone's; tags are
# key/value pairs.
MAPS_WITHOUT_UUIDS = frozenset({"usersecuritygrouplist", "tags"})
# Things no account owns (the same for every caller that may see them).
SHARED = frozenset({"zoneid", "podid", "hostid", "clusterid", "physicalnetworkid", "serviceofferingid", "templateid",
                    "networkofferingid", "vpcofferingid"})
SHARED_IDS = frozenset({"listZones", "listPods", "listHosts", "listServiceOfferings", "listTemplates",
                        "listNetworkOfferings", "listVPCOfferings", "listVlanIpRanges", "deleteVlanIpRange",
                        "listDiskOfferings", "listOsTypes"})

# Valid values for the other required parameters, so a request fails, if at all, on the uuid.
FILLERS = {
    "protocol": "tcp", "publicport": "8022", "privateport": "22", "algorithm": "roundrobin", "cidr": "10.250.0.0/16",
    "templatefilter": "featured", "email": "probe@example.com", "firstname": "Probe", "lastname": "Probe",
    "password": "pw-probe", "startport": "8022", "endport": "8022", "displaytext": "probe",
    "publickey": public_key(999),
}
# Per probe (command, parameter under test): values other than the fillers, and optional
# parameters the command checks before the uuid; "@kind" is the caller's own thing.
_RULE = {"protocol": "tcp", "startport": "22", "endport": "22", "cidrlist": "192.0.2.0/24"}
EXTRAS: dict[tuple[str, str], dict[str, str]] = {
    ("assignToLoadBalancerRule", "id"): {"virtualmachineids": "@vm"},
    ("removeFromLoadBalancerRule", "id"): {"virtualmachineids": "@vm"},
    ("authorizeSecurityGroupIngress", "securitygroupid"): _RULE,
    ("authorizeSecurityGroupEgress", "securitygroupid"): _RULE,
    ("authorizeSecurityGroupIngress", "domainid"): {**_RULE, "securitygroupname": "default"},
    ("authorizeSecurityGroupEgress", "domainid"): {**_RULE, "securitygroupname": "default"},
    ("createAccount", "domainid"): {"accounttype": "0"},
    ("deleteSecurityGroup", "domainid"): {"name": "default"},
    ("createNetwork", "vpcid"): {"networkofferingid": "@tieroffering"},
    # A rule with its members in one request: the rule's public IP is checked before the members.
    ("createLoadBalancerRuleWithMembers", "publicipid"): {"virtualmachineids": "@vm"},
    ("createLoadBalancerRuleWithMembers", "networkid"): {"virtualmachineids": "@vm", "publicipid": "@rulesip"},
    ("createLoadBalancerRuleWithMembers", "virtualmachineids"): {"publicipid": "@rulesip"},
    ("createLoadBalancerRuleWithMembers", "vmidipmap.vmid"): {"publicipid": "@rulesip"},
}
# Probes whose command refuses before looking the uuid up, with this world (so they prove nothing).
UNREACHED = frozenset({
    ("deployVirtualMachine", "securitygroupids"),  # security groups need a security-group network
    ("updateVirtualMachine", "securitygroupids"),  # a VM's groups change only while it is stopped
})
MASK = "<uuid>"


def uuid_params(command: Command) -> list[Param]:
    return [p for p in command.params if p.type is ParamType.UUID or p.items is ParamType.UUID]


def kind_of(command: Command, param: str) -> str | None:
    """The kind of thing the parameter names; None for things no account owns."""
    if param in SHARED or (param == "id" and command.name in SHARED_IDS):
        return None
    return ID_KINDS[command.name] if param == "id" else PARAM_KINDS[param]


def test_every_uuid_parameter_of_every_command_has_a_kind() -> None:
    """A new command or parameter must say what it names, or the test below would skip it."""
    missing = []
    for command in COMMANDS.values():
        for p in uuid_params(command):
            try:
                kind_of(command, p.name)
            except KeyError:
                missing.append(f"{command.name}.{p.name}")
        for p in command.params:
            if p.type is ParamType.MAP and p.name not in MAPS_WITHOUT_UUIDS and all(m != p.name for m, _ in MAP_KINDS):
                missing.append(f"{command.name}.{p.name} (map)")
    assert not missing, "parameters without a kind in PARAM_KINDS/ID_KINDS/SHARED: " + ", ".join(missing)


@dataclass
class World:
    zone: Zone
    shared: dict[str, str]  # param name -> uuid of a thing no account owns
    a: Estate  # the victim
    callers: dict[str, tuple[Estate, dict[str, str]]]  # who -> (own estate, foreign things by kind)


@pytest.fixture(scope="module")
def world(cloud: Cloud) -> World:
    admin = cloud.admin
    zone = make_public_zone(admin)
    d = defaults(admin)
    d1 = admin.call("createDomain", name=unique("d1"))["domain"]["id"]
    d2 = admin.call("createDomain", name=unique("d2"))["domain"]["id"]
    root = admin.items("listDomains", "domain")[0]["id"]
    a = build_estate(make_tenant(admin, d1), zone, d, 11)
    b = build_estate(make_tenant(admin, d1), zone, d, 12)
    c = build_estate(make_tenant(admin, d2, accounttype=int(Role.DOMAIN_ADMIN)), zone, d, 13)
    foreign = dict(a.ids)
    vpc_offering, tier_offering = vpc_offerings(admin)
    shared = {"zoneid": zone.id, "podid": zone.pod_id, "hostid": zone.host_ids[0],
              "serviceofferingid": d["serviceofferingid"], "templateid": d["templateid"],
              "networkofferingid": d["isolated"], "vpcofferingid": vpc_offering, "tieroffering": tier_offering}
    return World(zone, shared, a, {
        # B shares A's domain, so the domains foreign to it are the root and the sibling.
        "another account": (b, {**foreign, "domain": root}),
        "a sibling domain's admin": (c, {**foreign, "domain": d1}),
    })


@dataclass(frozen=True)
class Probe:
    command: Command
    param: str
    kind: str
    pairs: tuple[tuple[str, str], ...]  # with the placeholder MASK where the uuid goes

    def with_value(self, value: str) -> tuple[tuple[str, str], ...]:
        return tuple((k, v.replace(MASK, value)) for k, v in self.pairs)


def _own(world: World, estate: Estate, command: Command, p: Param) -> str | None:
    kind = kind_of(command, p.name)
    if kind is None:
        return world.shared.get(p.name)
    return estate.ids.get(kind)


def _resolve(world: World, estate: Estate, value: str) -> str:
    if not value.startswith("@"):
        return value
    return estate.ids.get(value[1:]) or world.shared[value[1:]]


def probes(world: World, estate: Estate, command: Command) -> Iterator[Probe]:
    """One request per uuid parameter (and uuid in a map) naming an account-owned thing."""
    targets: list[tuple[str, str, tuple[tuple[str, str], ...]]] = []
    for p in uuid_params(command):
        kind = kind_of(command, p.name)
        if kind is not None:
            targets.append((p.name, kind, ((p.name, MASK),)))
    for p in command.params:
        for (name, key), kind in MAP_KINDS.items():
            if p.name == name:
                other = "vmip" if key == "vmid" else "ip"
                targets.append((f"{name}.{key}", kind, ((f"{name}[0].{key}", MASK),
                                                        (f"{name}[0].{other}", estate.secondary_ip))))
    for param, kind, pairs in targets:
        given = {k.split("[")[0] for k, _ in pairs}
        extra = EXTRAS.get((command.name, param), {})
        rest: list[tuple[str, str]] = []
        for p in command.params:
            if not p.required or p.name in given:
                continue
            own = _own(world, estate, command, p) if p.type is ParamType.UUID else None
            rest.append((p.name, extra.get(p.name) or own or FILLERS.get(p.name) or unique("probe")))
        given |= {name for name, _ in rest}
        rest += [(name, value) for name, value in extra.items() if name not in given]
        rest = [(name, _resolve(world, estate, value)) for name, value in rest]
        if param == "domainid" and any(p.name == "account" for p in command.params):
            # The probe: a real account name with a domain the caller may not use.
            rest.append(("account", world.a.owner.account))
        yield Probe(command, param, kind, (*pairs, *rest))


def _masked(response: requests.Response, *values: str) -> tuple[int, str]:
    text = response.text
    for value in values:
        text = text.replace(value, MASK)
    return response.status_code, text


def _job_result(client: Client, response: requests.Response) -> str:
    """For an accepted async request, its job's outcome (as JSON text)."""
    body = response.json()
    inner = next(iter(body.values()))
    if response.status_code != 200 or not isinstance(inner, dict) or "jobid" not in inner:
        return ""
    job = client.wait(inner["jobid"])
    return json.dumps({k: job.get(k) for k in ("jobstatus", "jobresultcode", "jobresult")}, sort_keys=True)


@pytest.mark.parametrize("who", ["another account", "a sibling domain's admin"])
def test_a_foreign_id_answers_exactly_as_a_random_one_and_changes_nothing(cloud: Cloud, world: World, who: str) -> None:
    estate, foreign = world.callers[who]
    role = Role.DOMAIN_ADMIN if who.endswith("admin") else Role.USER
    found: list[str] = []
    tried, unreached = 0, set()
    before = snapshot(cloud.db)
    for command in sorted(COMMANDS.values(), key=lambda c: c.name):
        if role not in command.roles or command.roles == ROOT:
            continue
        for probe in probes(world, estate, command):
            value = foreign.get(probe.kind)
            if value is None:
                continue
            random = str(uuid.uuid4())
            theirs = send(estate.client, command.name, probe.with_value(value))
            unknown = send(estate.client, command.name, probe.with_value(random))
            tried += 1
            if f"Invalid parameter {probe.param.split('.')[0]} value=" not in unknown.text:
                unreached.add((command.name, probe.param))
            left, right = _masked(theirs, value, random), _masked(unknown, value, random)
            if left == right and theirs.status_code == 200:
                left = (200, _job_result(estate.client, theirs).replace(value, MASK))
                right = (200, _job_result(estate.client, unknown).replace(random, MASK))
            if left != right:
                found.append(f"{command.name} {probe.param}=<{probe.kind} of account A>: HTTP {left[0]} {left[1][:300]}"
                             f"\n    but a random uuid: HTTP {right[0]} {right[1][:300]}")
    found += changes(before, snapshot(cloud.db))
    assert tried > 100, f"only {tried} probes: the world lacks things the kinds name"
    # The callers' own things fill the other parameters, so the uuid under test decides the answer.
    assert unreached <= UNREACHED, f"probes refused before their uuid was looked up: {sorted(unreached - UNREACHED)}"
    assert not found, f"as {who}, {len(found)} of {tried} foreign ids answered differently:\n" + "\n".join(found)
