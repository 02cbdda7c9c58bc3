"""A walk through the demo world that calls (nearly) every command over the signed API and records
what each answered: the objects its response (or its job's result) holds. The schema test checks
them against what listApis declares."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.client import ApiError, Client

SSH_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl schema@test")


@dataclass
class Recorder:
    """Calls commands and records (command, answer): the response inside the envelope, or the job's result."""

    admin: Client
    user: Client
    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, command: str, client: Client | None = None, **params: Any) -> dict[str, Any]:
        who = client or self.admin
        inner = who.call(command, **params)
        if "jobid" in inner and command != "queryAsyncJobResult":
            job = who.wait(inner["jobid"])
            if job["jobstatus"] == 2:
                raise ApiError(job["jobresultcode"], {"x": job["jobresult"]})
            self.seen.append(("queryAsyncJobResult", job))
            inner = job["jobresult"]
        self.seen.append((command, inner))
        return inner

    def items(self, command: str, key: str, client: Client | None = None, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self(command, client, **params).get(key, [])
        return found


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def first(items: list[dict[str, Any]], test: Callable[[dict[str, Any]], bool] = lambda _: True) -> dict[str, Any]:
    return next(i for i in items if test(i))


def walk(r: Recorder) -> None:
    u = r.user
    # Discovery, catalogue and world.
    r("listCapabilities")
    r("listApis", name="addIpToNic")
    r("listApis", name="listVirtualMachines")
    zones = r.items("listZones", "zone")
    zone = first(zones, lambda z: z["networktype"] == "Advanced")
    pods = r.items("listPods", "pod")
    hosts = r.items("listHosts", "host")
    r.items("listDomains", "domain")
    r.items("listAccounts", "account")
    users = r.items("listUsers", "user")
    offerings = r.items("listNetworkOfferings", "networkoffering")
    services = r.items("listServiceOfferings", "serviceoffering")
    templates = r.items("listTemplates", "template", templatefilter="all")
    r("listDiskOfferings")
    r("listOsTypes")
    r("listHypervisors")
    r("listConfigurations", name="vm.network.nic.max.secondary.ipaddresses")
    r("updateConfiguration", name="vm.network.nic.max.secondary.ipaddresses", value="256")
    r("listEvents", pagesize=50, page=1)
    r("listVPCOfferings")
    vpcs = r.items("listVPCs", "vpc", listall=True)
    networks = r.items("listNetworks", "network", listall=True)
    r("listRouters")
    r("listVlanIpRanges")
    r("listVolumes", listall=True)
    r("listSecurityGroups", listall=True)
    r("listNetworkACLLists")
    r("listNetworkACLs", listall=True)
    r("listPublicIpAddresses", listall=True)
    r("listFirewallRules", listall=True)
    r("listEgressFirewallRules", listall=True)
    r("listPortForwardingRules", listall=True)
    r("listIpForwardingRules", listall=True)
    r("listLoadBalancerRules", listall=True)
    r("listTags", listall=True)
    r("listSSHKeyPairs", listall=True)
    vms = r.items("listVirtualMachines", "virtualmachine", listall=True)
    r("listAsyncJobs", listall=True)

    isolated = first(networks, lambda n: n["name"] == "demo-network")
    vm = first(vms, lambda v: v["nic"][0]["networkid"] == isolated["id"])
    nic = vm["nic"][0]
    r("listNics", virtualmachineid=vm["id"])
    r("listFreeIpAddresses", networkid=isolated["id"])
    r("listNetworkAddressUsage", networkid=isolated["id"])
    r("getSecondaryIpLimit", nicid=nic["id"])
    r("getRouterConfig", networkid=isolated["id"])
    kvm = first(hosts, lambda h: h["hypervisor"] == "KVM")
    r("getHostConfig", hostid=kvm["id"])
    r("getHostConfig", hostid=kvm["id"], sincegeneration=1)

    # The feature.
    one = r("addIpToNic", nicid=nic["id"], description="schema")["nicsecondaryip"]
    several = r("addIpToNic", nicid=nic["id"], count=2)["nicsecondaryips"]
    r("listNics", virtualmachineid=vm["id"])
    for s in several:
        r("removeIpFromNic", id=s["id"])
    r("updateVmNicIp", nicid=nic["id"])

    # Tags and key pairs.
    r("createTags", None, resourceids=vm["id"], resourcetype="UserVm",
      **{"tags[0].key": "team", "tags[0].value": "schema"}, customer="acme")
    r("listTags", listall=True)
    r("listVirtualMachines", id=vm["id"])
    r("deleteTags", None, resourceids=vm["id"], resourcetype="UserVm", **{"tags[0].key": "team"})
    made = unique("kp")
    r("registerSSHKeyPair", name=made, publickey=SSH_KEY)
    r("listSSHKeyPairs", listall=True)
    r("deleteSSHKeyPair", name=made)

    # Identity.
    domain = r("createDomain", name=unique("dom"))["domain"]
    name = unique("acct")
    account = r("createAccount", accounttype=0, email="a@example.com", firstname="A", lastname="B",
                password="secret-password", username=name, domainid=domain["id"])["account"]
    r("registerUserKeys", id=account["user"][0]["id"])
    r("enableUser", id=account["user"][0]["id"])
    del users

    # Infrastructure.
    new_zone = r("createZone", name=unique("zone"), networktype="Advanced", dns1="8.8.8.8",
                 internaldns1="10.0.0.2")["zone"]
    pod = r("createPod", zoneid=new_zone["id"], name=unique("pod"), gateway="192.168.7.1", netmask="255.255.255.0",
            startip="192.168.7.10", endip="192.168.7.20")["pod"]
    r("addHost", zoneid=new_zone["id"], podid=pod["id"], hypervisor="KVM", url="http://192.168.7.11",
      username="root", password="x")
    vlan = r("createVlanIpRange", zoneid=new_zone["id"], gateway="203.0.113.1", netmask="255.255.255.0",
             startip="203.0.113.10", endip="203.0.113.20", forvirtualnetwork=True)["vlan"]
    r("deleteVlanIpRange", id=vlan["id"])

    # VMs.
    template = first(templates)
    service = first(services)
    sg_offering = first(offerings, lambda o: o["name"] == "DefaultIsolatedNetworkOfferingWithSourceNatService")
    net = r("createNetwork", name=unique("net"), displaytext="schema", networkofferingid=sg_offering["id"],
            zoneid=zone["id"], gateway="10.9.0.1", netmask="255.255.255.0", networkdomain="schema.internal")["network"]
    r("updateNetwork", id=net["id"], displaytext="schema net")
    pair = unique("kp")
    r("registerSSHKeyPair", name=pair, publickey=SSH_KEY, client=u)
    new_vm = r("deployVirtualMachine", u, zoneid=zone["id"], serviceofferingid=service["id"],
               templateid=template["id"], networkids=isolated["id"], keypairs=pair,
               userdata=base64.b64encode(b"#!/bin/sh\n").decode())["virtualmachine"]
    r("getVirtualMachineUserData", u, virtualmachineid=new_vm["id"])
    r("updateVirtualMachine", u, id=new_vm["id"], displayname="schema-vm")
    r("stopVirtualMachine", u, id=new_vm["id"])
    r("startVirtualMachine", u, id=new_vm["id"])
    r("rebootVirtualMachine", u, id=new_vm["id"])
    r("listVolumes", u, virtualmachineid=new_vm["id"])
    added = r("addNicToVirtualMachine", virtualmachineid=new_vm["id"], networkid=net["id"])["virtualmachine"]
    other = first(added["nic"], lambda n: n["networkid"] == net["id"])
    r("updateDefaultNicForVirtualMachine", virtualmachineid=new_vm["id"], nicid=other["id"])
    first_nic = first(added["nic"], lambda n: n["networkid"] == isolated["id"])
    r("updateDefaultNicForVirtualMachine", virtualmachineid=new_vm["id"], nicid=first_nic["id"])
    r("removeNicFromVirtualMachine", virtualmachineid=new_vm["id"], nicid=other["id"])
    demo_pod = first(pods, lambda p: p["zoneid"] == zone["id"])
    [spare] = r.items("addHost", "host", zoneid=zone["id"], podid=demo_pod["id"], hypervisor=new_vm["hypervisor"],
                      url="http://192.168.100.12", username="root", password="x")
    r("migrateVirtualMachine", virtualmachineid=new_vm["id"], hostid=spare["id"])
    r("restartNetwork", id=isolated["id"])

    # Public addresses and their rules.
    ip = r("associateIpAddress", u, networkid=isolated["id"])["ipaddress"]
    r("enableStaticNat", u, ipaddressid=ip["id"], virtualmachineid=new_vm["id"])
    r("listPublicIpAddresses", u, id=ip["id"])
    r("listPublicIpAddresses", id=ip["id"])
    fw = r("createFirewallRule", u, ipaddressid=ip["id"], protocol="tcp", startport=22, endport=22)["firewallrule"]
    r("listFirewallRules", u)
    r("deleteFirewallRule", u, id=fw["id"])
    fwd = r("createIpForwardingRule", u, ipaddressid=ip["id"], protocol="tcp", startport=80)["ipforwardingrule"]
    r("listIpForwardingRules", u)
    r("deleteIpForwardingRule", u, id=fwd["id"])
    r("disableStaticNat", u, ipaddressid=ip["id"])
    pf = r("createPortForwardingRule", u, ipaddressid=ip["id"], protocol="tcp", publicport=2222, privateport=22,
           virtualmachineid=new_vm["id"])["portforwardingrule"]
    r("updatePortForwardingRule", u, id=pf["id"], privateport=23)
    r("listPortForwardingRules", u)
    r("deletePortForwardingRule", u, id=pf["id"])
    lb = r("createLoadBalancerRule", u, publicipid=ip["id"], name=unique("lb"), algorithm="roundrobin",
           publicport=80, privateport=8080, description="schema")["loadbalancer"]
    r("assignToLoadBalancerRule", u, id=lb["id"], virtualmachineids=new_vm["id"])
    r("listLoadBalancerRules", u)
    r("listLoadBalancerRuleInstances", u, id=lb["id"])
    r("updateLoadBalancerRule", u, id=lb["id"], algorithm="leastconn")
    r("removeFromLoadBalancerRule", u, id=lb["id"], virtualmachineids=new_vm["id"])
    r("deleteLoadBalancerRule", u, id=lb["id"])
    both = r("createLoadBalancerRuleWithMembers", u, publicipid=ip["id"], name=unique("lb"), algorithm="source",
             publicport=443, privateport=8443, virtualmachineids=new_vm["id"])["loadbalancer"]
    r("deleteLoadBalancerRule", u, id=both["id"])
    egress = r("createEgressFirewallRule", u, networkid=isolated["id"], protocol="tcp", startport=443, endport=443,
               cidrlist="10.1.1.0/24")["firewallrule"]
    r("listEgressFirewallRules", u)
    r("deleteEgressFirewallRule", u, id=egress["id"])
    r("disassociateIpAddress", u, id=ip["id"])
    r("removeIpFromNic", id=one["id"])

    # VPCs and their ACLs.
    vpc_offering = first(r.items("listVPCOfferings", "vpcoffering"))
    vpc = r("createVPC", u, name=unique("vpc"), cidr="10.50.0.0/16", vpcofferingid=vpc_offering["id"],
            zoneid=zone["id"], networkdomain="vpc.internal")["vpc"]
    r("updateVPC", u, id=vpc["id"], displaytext="schema vpc")
    acl = r("createNetworkACLList", u, name=unique("acl"), description="schema", vpcid=vpc["id"])["networkacllist"]
    item = r("createNetworkACL", u, aclid=acl["id"], protocol="tcp", startport=22, endport=22,
             cidrlist="0.0.0.0/0", traffictype="Ingress", action="Allow", reason="ssh")["networkacl"]
    r("createNetworkACL", u, aclid=acl["id"], protocol="icmp", icmptype=8, icmpcode=0, traffictype="Ingress")
    r("updateNetworkACLItem", u, id=item["id"], number=5)
    r("listNetworkACLs", u, aclid=acl["id"])
    r("listNetworkACLLists", u, vpcid=vpc["id"])
    tier_offering = first(offerings, lambda o: o["name"] == "DefaultIsolatedNetworkOfferingForVpcNetworks")
    tier = r("createNetwork", u, name=unique("tier"), displaytext="tier", networkofferingid=tier_offering["id"],
             zoneid=zone["id"], gateway="10.50.1.1", netmask="255.255.255.0", vpcid=vpc["id"],
             aclid=acl["id"])["network"]
    r("listNetworks", u, vpcid=vpc["id"])
    r("listVPCs", u, id=vpc["id"])
    default_deny = first(r.items("listNetworkACLLists", "networkacllist", name="default_deny"))
    r("replaceNetworkACLList", u, aclid=default_deny["id"], networkid=tier["id"])
    r("restartVPC", u, id=vpc["id"])
    r("deleteNetworkACL", u, id=item["id"])
    r("deleteNetwork", u, id=tier["id"])
    r("deleteNetworkACLList", u, id=acl["id"])
    r("deleteVPC", u, id=vpc["id"])
    del vpcs

    # Security groups.
    group = r("createSecurityGroup", u, name=unique("sg"), description="schema")["securitygroup"]
    ingress = r("authorizeSecurityGroupIngress", u, securitygroupid=group["id"], protocol="tcp", startport=22,
                endport=22, cidrlist="0.0.0.0/0")["securitygroup"]["ingressrule"][0]
    outgoing = r("authorizeSecurityGroupEgress", u, securitygroupid=group["id"], protocol="icmp", icmptype=-1,
                 icmpcode=-1, cidrlist="0.0.0.0/0")["securitygroup"]["egressrule"][0]
    r("listSecurityGroups", u)
    r("revokeSecurityGroupIngress", u, id=ingress["ruleid"])
    r("revokeSecurityGroupEgress", u, id=outgoing["ruleid"])
    r("deleteSecurityGroup", u, id=group["id"])

    # The data plane's agents.
    r("createAgent", networkid=isolated["id"])
    r("reportAppliedConfig", networkid=isolated["id"], generation=1, digest="0" * 64, agent="schema")
    r("reportAppliedConfig", networkid=isolated["id"], generation=1, error="schema failure", agent="schema")
    r("getRouterConfig", networkid=isolated["id"])
    r("listRouters")
    r("listHosts")
    r("deleteAgent", networkid=isolated["id"])

    # The end of a VM, and of what was made for it.
    r("destroyVirtualMachine", u, id=new_vm["id"])
    r("recoverVirtualMachine", u, id=new_vm["id"])
    r("destroyVirtualMachine", u, id=new_vm["id"], expunge=True)
    gone = r("deployVirtualMachine", u, zoneid=zone["id"], serviceofferingid=service["id"],
             templateid=template["id"], networkids=isolated["id"], startvm=False)["virtualmachine"]
    r("destroyVirtualMachine", u, id=gone["id"])
    r("expungeVirtualMachine", id=gone["id"])
    r("deleteNetwork", id=net["id"])
    r("listAsyncJobs", u)
    r("listEvents", u, pagesize=20, page=1)
