"""Security groups with secondary IPs (test plan 22-27): the hosts' rendered anti-spoofing and group sets follow.

An Advanced zone with security groups, one KVM, one XenServer and one VMware host, and a shared
network with the SecurityGroup service. What each host must enforce is read back through
getHostConfig: whole ipset/ebtables documents, or the change lines since a generation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from nicstack.cli import main
from nicstack.render.sg_ebtables import arp_chain
from nicstack.render.sg_ipset import group_set_v4, group_set_v6, nic_set_v4, nic_set_v6
from tests.conftest import Cloud
from tests.support import scenarios as sc
from tests.support.client import UNKNOWN, Client
from tests.support.world import Tenant, Zone, defaults, make_tenant, unique
from tests.unit.test_host_render import set_members

pytestmark = pytest.mark.api

KVM, XEN, VMWARE = 0, 1, 2


@dataclass
class Sg:
    cloud: Cloud
    zone: Zone
    d: dict[str, str]
    network: dict[str, Any]
    tenant: Tenant

    @property
    def admin(self) -> Client:
        return self.cloud.admin

    @property
    def user(self) -> Client:
        return self.tenant.client

    def deploy(self, host: int, *networks: str, **params: Any) -> dict[str, Any]:
        vm: dict[str, Any] = self.admin.run(
            "deployVirtualMachine", zoneid=self.zone.id, serviceofferingid=self.d["serviceofferingid"],
            templateid=self.d["templateid"], networkids=",".join(networks or (self.network["id"],)),
            hostid=self.zone.host_ids[host], account=self.tenant.account, domainid=self.tenant.domain_id,
            **params)["virtualmachine"]
        return vm

    def config(self, host: int, since: int | None = None) -> dict[str, Any]:
        params = {"hostid": self.zone.host_ids[host]} | ({"sincegeneration": since} if since is not None else {})
        found: dict[str, Any] = self.admin.call("getHostConfig", **params)["hostconfig"]
        return found

    def group(self, name: str) -> dict[str, Any]:
        created: dict[str, Any] = self.user.call("createSecurityGroup", name=name)["securitygroup"]
        return created


def allowed(config: dict[str, Any], nic_id: str) -> tuple[set[str], set[str], set[str]]:
    """A NIC's IPv4 set, IPv6 set (less its link-local) and the IPv4 addresses its ARP rules let it claim."""
    docs = config["documents"]
    sets = set_members(docs["ipset"])
    arp = set(re.findall(rf"-A {arp_chain(nic_id)} .*--arp-ip-src (\S+) -j RETURN", docs["ebtables"]))
    v6 = {a for a in sets.get(nic_set_v6(nic_id), set()) if not a.startswith("fe80:")}
    return sets.get(nic_set_v4(nic_id), set()), v6, arp


@pytest.fixture(scope="module")
def zone(cloud: Cloud) -> Zone:
    return sc.make_advanced_zone(cloud.admin, ("KVM", "XenServer", "VMware"), sg=True)


@pytest.fixture
def w(cloud: Cloud, zone: Zone) -> Sg:
    network = sc.make_shared_network(cloud.admin, zone, sc.SG_OFFERING, gateway="10.40.0.1", netmask="255.255.255.0",
                                     startip="10.40.0.10", endip="10.40.0.250", ip6cidr="fd00:40::/64",
                                     startipv6="fd00:40::100", endipv6="fd00:40::ffff")
    return Sg(cloud, zone, defaults(cloud.admin), network, make_tenant(cloud.admin))


def test_a_secondary_ip_joins_the_vms_anti_spoofing_sets_and_arp_rules_on_its_host(w: Sg) -> None:
    vm = w.deploy(KVM)
    nic = vm["nic"][0]
    before = w.config(KVM)
    assert allowed(before, nic["id"]) == ({nic["ipaddress"]}, {nic["ip6address"]}, {nic["ipaddress"]})
    v4 = sc.add(w.user, nic["id"], "10.40.0.200")
    v6 = sc.add(w.user, nic["id"], "fd00:40::abcd")
    after = w.config(KVM)
    assert allowed(after, nic["id"]) == (
        {nic["ipaddress"], "10.40.0.200"}, {nic["ip6address"], "fd00:40::abcd"}, {nic["ipaddress"], "10.40.0.200"})
    changes = w.config(KVM, since=before["generation"])
    assert changes["full"] is False and changes["generation"] == before["generation"] + 2
    assert changes["changes"]["ipsetlines"] == [f"add {nic_set_v4(nic['id'])} 10.40.0.200 -exist",
                                                f"add {nic_set_v6(nic['id'])} fd00:40::abcd -exist"]
    assert [line.split("--arp-ip-src ")[1] for line in changes["changes"]["ebtableslines"]] == ["10.40.0.200 -j RETURN"]
    events = w.user.items("listEvents", "event", type="NIC.SECONDARY.IP.CONFIGURE")
    assert any("10.40.0.200" in e["description"] for e in events)
    assert any(e["type"] == "NET.IPASSIGN" for e in w.user.items("listEvents", "event", type="NET.IPASSIGN"))
    sc.remove(w.user, v4["id"])
    sc.remove(w.user, v6["id"])


def test_a_removed_secondary_ip_leaves_the_sets_and_the_arp_rules(w: Sg) -> None:
    vm = w.deploy(XEN)
    nic = vm["nic"][0]
    sec = sc.add(w.user, nic["id"], "10.40.0.201")
    assert "10.40.0.201" in allowed(w.config(XEN), nic["id"])[2]
    generation = w.config(XEN)["generation"]
    sc.remove(w.user, sec["id"])
    v4, _, arp = allowed(w.config(XEN), nic["id"])
    assert v4 == arp == {nic["ipaddress"]}
    changes = w.config(XEN, since=generation)["changes"]
    assert changes["ipsetlines"] == [f"del {nic_set_v4(nic['id'])} 10.40.0.201 -exist"]
    assert changes["ebtableslines"][0].startswith(f"-D {arp_chain(nic['id'])} ")
    assert "tap" in w.config(XEN)["documents"]["ebtables"]  # XenServer guards the emulated twin too


def test_hosts_of_a_group_allowing_another_group_follow_its_members_secondary_ips(w: Sg) -> None:
    admins, web = w.group(unique("admins")), w.group(unique("web"))
    w.user.run("authorizeSecurityGroupIngress", securitygroupid=web["id"], protocol="tcp", startport=22, endport=22,
               **{"usersecuritygrouplist[0].account": w.tenant.account,
                  "usersecuritygrouplist[0].group": admins["name"]})
    member = w.deploy(KVM, securitygroupids=admins["id"])
    server = w.deploy(XEN, securitygroupids=web["id"])
    assert [g["id"] for g in server["securitygroup"]] == [web["id"]]
    group_set = group_set_v4(admins["id"])
    assert set_members(w.config(XEN)["documents"]["ipset"])[group_set] == {member["nic"][0]["ipaddress"]}
    generation = w.config(XEN)["generation"]
    sec = sc.add(w.user, member["nic"][0]["id"], "10.40.0.202")
    assert set_members(w.config(XEN)["documents"]["ipset"])[group_set] == {member["nic"][0]["ipaddress"],
                                                                           "10.40.0.202"}
    assert w.config(XEN, since=generation)["changes"]["ipsetlines"] == [f"add {group_set} 10.40.0.202 -exist"]
    assert f"--match-set {group_set} src -p tcp -m tcp --dport 22 -j ACCEPT" in w.config(XEN)["documents"]["iptables"]
    sc.remove(w.user, sec["id"])
    assert set_members(w.config(XEN)["documents"]["ipset"])[group_set] == {member["nic"][0]["ipaddress"]}
    six = sc.add(w.user, member["nic"][0]["id"], "fd00:40::beef")
    assert "fd00:40::beef" in set_members(w.config(XEN)["documents"]["ipset"])[group_set_v6(admins["id"])]
    sc.remove(w.user, six["id"])


def test_each_nic_of_a_vm_with_several_nics_lists_its_own_secondary_ips(w: Sg) -> None:
    second = sc.make_shared_network(w.admin, w.zone, sc.SG_OFFERING, gateway="10.41.0.1", netmask="255.255.255.0",
                                    startip="10.41.0.10", endip="10.41.0.50")
    vm = w.deploy(KVM, w.network["id"], second["id"])
    first_nic, second_nic = vm["nic"]
    a = sc.add(w.user, first_nic["id"], "10.40.0.203")
    b = sc.add(w.user, second_nic["id"], "10.41.0.33")
    config = w.config(KVM)
    assert allowed(config, first_nic["id"])[0] == {first_nic["ipaddress"], "10.40.0.203"}
    assert allowed(config, second_nic["id"])[0] == {second_nic["ipaddress"], "10.41.0.33"}
    assert allowed(config, second_nic["id"])[2] == {second_nic["ipaddress"], "10.41.0.33"}
    sc.remove(w.user, a["id"])
    sc.remove(w.user, b["id"])


def test_stop_start_reboot_and_migration_recompute_what_each_host_holds(w: Sg) -> None:
    other_kvm = sc.add_host(w.admin, w.zone.id, w.zone.pod_id, "KVM")
    vm = w.deploy(KVM)
    nic = vm["nic"][0]
    secs = [sc.add(w.user, nic["id"])["ipaddress"] for _ in range(2)]
    wanted = {nic["ipaddress"], *secs}
    w.user.run("stopVirtualMachine", id=vm["id"])
    assert nic_set_v4(nic["id"]) not in set_members(w.config(KVM)["documents"]["ipset"])
    w.admin.run("startVirtualMachine", id=vm["id"], hostid=w.zone.host_ids[KVM])
    assert allowed(w.config(KVM), nic["id"])[0] == wanted
    w.user.run("rebootVirtualMachine", id=vm["id"])
    assert allowed(w.config(KVM), nic["id"])[0] == wanted
    moved = w.admin.run("migrateVirtualMachine", virtualmachineid=vm["id"], hostid=other_kvm)["virtualmachine"]
    assert moved["hostid"] == other_kvm
    on_new = w.admin.call("getHostConfig", hostid=other_kvm)["hostconfig"]
    assert allowed(on_new, nic["id"])[0] == allowed(on_new, nic["id"])[2] == wanted
    assert nic_set_v4(nic["id"]) not in set_members(w.config(KVM)["documents"]["ipset"])
    refused = w.admin.error("migrateVirtualMachine", virtualmachineid=vm["id"], hostid=w.zone.host_ids[XEN])
    assert refused.code == 431 and "hypervisor" in refused.text


def test_a_vmware_host_refuses_vms_of_security_group_networks_with_432(w: Sg) -> None:
    refused = w.admin.error("deployVirtualMachine", zoneid=w.zone.id, serviceofferingid=w.d["serviceofferingid"],
                            templateid=w.d["templateid"], networkids=w.network["id"],
                            hostid=w.zone.host_ids[VMWARE])
    assert refused.code == 432 and "VMware" in refused.text and w.network["name"] in refused.text
    vm = w.deploy(KVM)
    moved = w.admin.error("migrateVirtualMachine", virtualmachineid=vm["id"], hostid=w.zone.host_ids[VMWARE])
    assert moved.code == 432 and "VMware" in moved.text
    config = w.admin.error("getHostConfig", hostid=w.zone.host_ids[VMWARE])
    assert config.code == 432 and "VMware" in config.text
    isolated = w.user.call("createNetwork", name=unique("iso"), displaytext="iso", zoneid=w.zone.id,
                           networkofferingid=w.d["isolated"])["network"]
    on_vmware = w.deploy(VMWARE, isolated["id"])
    plugged = w.user.error("addNicToVirtualMachine", virtualmachineid=on_vmware["id"], networkid=w.network["id"])
    assert plugged.code == 432 and "VMware" in plugged.text
    # Automatic placement passes over the VMware host, though it is the least loaded one.
    placed = w.user.run("deployVirtualMachine", zoneid=w.zone.id, serviceofferingid=w.d["serviceofferingid"],
                        templateid=w.d["templateid"], networkids=w.network["id"])["virtualmachine"]
    assert placed["hypervisor"] != "VMware"


def test_groups_have_rules_defaults_and_refuse_unsafe_deletes(w: Sg) -> None:
    groups = {g["name"]: g for g in w.user.items("listSecurityGroups", "securitygroup")}
    assert "default" in groups
    web = w.group(unique("web"))
    rules = w.user.run("authorizeSecurityGroupIngress", securitygroupid=web["id"], protocol="TCP", startport=80,
                       endport=443, cidrlist="0.0.0.0/0,::/0")["securitygroup"]
    assert [(r["protocol"], r["startport"], r["endport"], r["cidr"]) for r in rules["ingressrule"]] == [
        ("tcp", 80, 443, "0.0.0.0/0"), ("tcp", 80, 443, "::/0")]
    egress = w.user.run("authorizeSecurityGroupEgress", securitygroupname=web["name"], protocol="icmp", icmptype=8,
                        icmpcode=0, cidrlist="10.0.0.0/8")["securitygroup"]["egressrule"]
    assert [(r["icmptype"], r["icmpcode"]) for r in egress] == [(8, 0)]
    twice = w.user.error("authorizeSecurityGroupIngress", securitygroupid=web["id"], protocol="tcp", startport=80,
                         endport=443, cidrlist="0.0.0.0/0")
    assert twice.code == 431 and "already" in twice.text
    no_ports = w.user.error("authorizeSecurityGroupIngress", securitygroupid=web["id"], protocol="tcp",
                            cidrlist="0.0.0.0/0")
    assert no_ports.code == 431 and "startport" in no_ports.text
    wrong_way = w.user.error("revokeSecurityGroupIngress", id=egress[0]["ruleid"])
    assert wrong_way.code == 431 and "revokeSecurityGroupEgress" in wrong_way.text
    assert w.user.run("revokeSecurityGroupEgress", id=egress[0]["ruleid"]) == {"success": True}
    vm = w.deploy(KVM, securitygroupnames=web["name"])
    in_use = w.user.error("deleteSecurityGroup", id=web["id"])
    assert in_use.code == 536 and vm["id"] in in_use.text
    default = w.user.error("deleteSecurityGroup", name="default")
    assert default.code == 431 and "default" in default.text
    stranger = make_tenant(w.admin).client
    hidden = stranger.error("deleteSecurityGroup", id=web["id"])
    assert hidden.code == 431 and UNKNOWN in hidden.text
    running = w.user.error("updateVirtualMachine", id=vm["id"], securitygroupnames="default")
    assert running.code == 431 and "stop" in running.text
    w.user.run("stopVirtualMachine", id=vm["id"])
    updated = w.user.call("updateVirtualMachine", id=vm["id"], securitygroupnames="default")["virtualmachine"]
    assert [g["name"] for g in updated["securitygroup"]] == ["default"]
    assert w.user.call("deleteSecurityGroup", id=web["id"]) == {"success": True}


def test_a_rule_change_reaches_the_hosts_of_the_groups_members(w: Sg) -> None:
    group = w.group(unique("db"))
    vm = w.deploy(XEN, securitygroupids=group["id"])
    assert "--dport 5432" not in w.config(XEN)["documents"]["iptables"]
    rule = w.user.run("authorizeSecurityGroupIngress", securitygroupid=group["id"], protocol="tcp", startport=5432,
                      cidrlist="10.40.0.0/24")["securitygroup"]["ingressrule"][0]
    assert "-s 10.40.0.0/24 -p tcp -m tcp --dport 5432 -j ACCEPT" in w.config(XEN)["documents"]["iptables"]
    w.user.run("revokeSecurityGroupIngress", id=rule["ruleid"])
    assert "--dport 5432" not in w.config(XEN)["documents"]["iptables"]
    assert vm["securitygroup"][0]["name"] == group["name"]


def test_nicstack_render_host_prints_the_documents_get_host_config_serves(
    w: Sg, capsys: pytest.CaptureFixture[str]
) -> None:
    vm = w.deploy(KVM)
    sec = sc.add(w.user, vm["nic"][0]["id"], "10.40.0.204")
    assert main(["render", "host", "--host", w.zone.host_ids[KVM], "--document", "ipset",
                 "--database-url", w.cloud.database_url]) == 0
    printed = capsys.readouterr().out
    assert printed == w.config(KVM)["documents"]["ipset"]
    assert f"add {nic_set_v4(vm['nic'][0]['id'])}-t 10.40.0.204" in printed
    assert main(["render", "host", "--host", w.zone.host_ids[VMWARE], "--database-url", w.cloud.database_url]) == 1
    assert "VMware" in capsys.readouterr().err
    sc.remove(w.user, sec["id"])
