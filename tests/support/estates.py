"""An account's estate: one of every kind of thing an account owns, built through the API.

The foreign-id tests point each command at another account's things; the owner's own estate
fills the command's other parameters, so the one under test is what decides the answer.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from tests.support.client import Client
from tests.support.rules import vpc_offerings
from tests.support.world import Tenant, Zone, deploy, make_network, unique


@dataclass
class Estate:
    """What `owner` owns, by kind (the names the foreign-id test maps parameters to)."""

    owner: Tenant
    ids: dict[str, str] = field(default_factory=dict)
    secondary_ip: str = ""  # the address of ids["secondaryip"]

    @property
    def client(self) -> Client:
        return self.owner.client


def public_key(n: int) -> str:
    """A distinct, well-formed ed25519 public key for each n (its 32 key bytes are not a real point: nothing
    checks that here, and nicstack never uses the key)."""
    kind = b"ssh-ed25519"
    blob = len(kind).to_bytes(4, "big") + kind + (32).to_bytes(4, "big") + n.to_bytes(32, "big")
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} key-{n}@example.com"


def build_estate(owner: Tenant, zone: Zone, d: dict[str, str], third_octet: int) -> Estate:
    """A network with a VM, a secondary IP, public IPs with static NAT, port forwarding, a load
    balancer and a firewall rule; a VPC; a security group with an ingress and an egress rule."""
    c = owner.client
    e = Estate(owner)
    net = make_network(c, zone, d["isolated"], gateway=f"10.{third_octet}.1.1", netmask="255.255.255.0")
    vm = deploy(c, zone, d, net["id"])
    e.ids.update(network=net["id"], vm=vm["id"], nic=vm["nic"][0]["id"])
    job = c.call("addIpToNic", nicid=e.ids["nic"])["jobid"]
    secondary = c.wait(job)["jobresult"]["nicsecondaryip"]
    e.ids.update(job=job, secondaryip=secondary["id"])
    e.secondary_ip = secondary["ipaddress"]
    nat, pf, lb = (c.run("associateIpAddress", networkid=net["id"])["ipaddress"]["id"] for _ in range(3))
    c.call("enableStaticNat", ipaddressid=nat, virtualmachineid=vm["id"], vmguestip=e.secondary_ip)
    e.ids["publicip"] = nat
    e.ids["rulesip"] = pf  # a public IP without static NAT: it takes more rules
    e.ids["firewallrule"] = c.run("createFirewallRule", ipaddressid=nat, protocol="tcp", startport=22,
                                  endport=22)["firewallrule"]["id"]
    e.ids["egressfirewallrule"] = c.run("createEgressFirewallRule", networkid=net["id"], protocol="tcp",
                                        startport=25)["firewallrule"]["id"]
    e.ids["ipforwardingrule"] = c.run("createIpForwardingRule", ipaddressid=nat, protocol="tcp", startport=8000,
                                      endport=8001)["ipforwardingrule"]["id"]
    e.ids["portforwardingrule"] = c.run("createPortForwardingRule", ipaddressid=pf, protocol="tcp", publicport=2222,
                                        privateport=22, virtualmachineid=vm["id"])["portforwardingrule"]["id"]
    e.ids["loadbalancerrule"] = c.run("createLoadBalancerRule", publicipid=lb, name=unique("lb"),
                                      algorithm="roundrobin", publicport=80, privateport=80)["loadbalancer"]["id"]
    c.run("assignToLoadBalancerRule", id=e.ids["loadbalancerrule"], virtualmachineids=vm["id"])
    vpc_offering, _ = vpc_offerings(c)
    e.ids["vpc"] = c.run("createVPC", name=unique("vpc"), displaytext="estate", cidr=f"10.{third_octet + 100}.0.0/16",
                         vpcofferingid=vpc_offering, zoneid=zone.id)["vpc"]["id"]
    acl = c.run("createNetworkACLList", name=unique("acl"), vpcid=e.ids["vpc"])["networkacllist"]["id"]
    e.ids["networkacl"] = acl
    e.ids["networkaclitem"] = c.run("createNetworkACL", aclid=acl, protocol="tcp", startport=22)["networkacl"]["id"]
    group = c.call("createSecurityGroup", name=unique("sg"))["securitygroup"]
    e.ids["securitygroup"] = group["id"]
    ingress = c.run("authorizeSecurityGroupIngress", securitygroupid=group["id"], protocol="tcp", startport=22,
                    endport=22, cidrlist="192.0.2.0/24")["securitygroup"]["ingressrule"][0]
    egress = c.run("authorizeSecurityGroupEgress", securitygroupid=group["id"], protocol="tcp", startport=443,
                   endport=443, cidrlist="192.0.2.0/24")["securitygroup"]["egressrule"][0]
    e.ids.update(ingressrule=ingress["ruleid"], egressrule=egress["ruleid"])
    e.ids["volume"] = c.items("listVolumes", "volume", virtualmachineid=vm["id"])[0]["id"]
    e.ids["sshkeypair"] = c.call("registerSSHKeyPair", name=unique("key"),
                                 publickey=public_key(third_octet))["keypair"]["id"]
    e.ids["event"] = c.items("listEvents", "event")[0]["id"]
    account: dict[str, Any] = c.items("listAccounts", "account")[0]
    e.ids.update(user=owner.user_id, account=account["id"], domain=owner.domain_id)
    return e
