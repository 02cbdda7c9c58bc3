"""Security groups end to end: anti-spoofing and group rules follow secondary IPs, with real packets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nicstack.render.sg_ipset import nic_set_v4
from nicstack.render.sg_iptables import from_chain
from tests.dataplane.hosts import HostWorld, claim, host_world, knows, learned
from tests.dataplane.topology import Topology
from tests.support.process import Served

pytestmark = pytest.mark.dataplane


@pytest.fixture
def hosts(served: Served, tmp_path: Path, net: Topology) -> Iterator[HostWorld]:
    with host_world(served, tmp_path, net) as made:
        yield made


@pytest.mark.parametrize(("family", "spoofed"), [("ipaddress", "10.3.0.190"), ("ip6address", "fd00:3::abcd")],
                         ids=["ipv4", "ipv6"])
def test_a_vm_sending_from_an_address_it_was_not_given_is_dropped_until_addiptonic(
        hosts: HostWorld, family: str, spoofed: str) -> None:
    sender, receiver = hosts.vm(0), hosts.vm(0)
    hosts.agent(0)
    hosts.applied()
    target, own = receiver.nics[0][family], sender.nics[0][family]
    endpoint = f"[{target}]:9000" if ":" in target else f"{target}:9000"
    sender.add_address(spoofed, 64 if ":" in spoofed else 24)
    knows(receiver, sender, spoofed)
    with receiver.serving(endpoint):
        assert sender.connect(endpoint, own) == f"{target}:9000 from {own}"
        assert sender.connect(endpoint, spoofed) == "dropped"
        added = hosts.user.run("addIpToNic", nicid=sender.nics[0]["id"], ipaddress=spoofed)["nicsecondaryip"]
        hosts.applied()
        assert sender.connect(endpoint, spoofed) == f"{target}:9000 from {spoofed}"
        hosts.user.run("removeIpFromNic", id=added["id"])
        hosts.applied()
        assert sender.connect(endpoint, spoofed) == "dropped"


def test_arp_claiming_an_address_not_given_is_dropped_until_addiptonic(hosts: HostWorld) -> None:
    sender, receiver = hosts.vm(0), hosts.vm(0)
    hosts.agent(0)
    hosts.applied()
    target, claimed = receiver.nics[0]["ipaddress"], "10.3.0.191"
    claim(sender, claimed, target)
    assert not learned(receiver, claimed)
    hosts.user.run("addIpToNic", nicid=sender.nics[0]["id"], ipaddress=claimed)
    hosts.applied()
    claim(sender, claimed, target)
    assert learned(receiver, claimed)


def test_a_group_rule_naming_group_a_lets_a_members_secondary_in_and_stops_after_its_release(
        hosts: HostWorld) -> None:
    members, servers = hosts.group("a"), hosts.group("b")
    hosts.user.run("authorizeSecurityGroupIngress", securitygroupid=servers["id"], protocol="tcp", startport=9000,
                   endport=9000, **{"usersecuritygrouplist[0].account": hosts.tenant.account,
                                    "usersecuritygrouplist[0].group": members["name"]})
    member, server, stranger = hosts.vm(0, members["id"]), hosts.vm(0, servers["id"]), hosts.vm(0)
    hosts.agent(0)
    hosts.applied()
    target, secondary = server.nics[0]["ipaddress"], "10.3.0.192"
    member.add_address(secondary)
    for vm, address in ((member, secondary), (stranger, stranger.nics[0]["ipaddress"])):
        knows(server, vm, address)
    with server.serving(f"{target}:9000"):
        assert member.connect(f"{target}:9000", member.nics[0]["ipaddress"]).endswith(member.nics[0]["ipaddress"])
        assert stranger.connect(f"{target}:9000", stranger.nics[0]["ipaddress"]) == "dropped"
        added = hosts.user.run("addIpToNic", nicid=member.nics[0]["id"], ipaddress=secondary)["nicsecondaryip"]
        hosts.applied()
        assert member.connect(f"{target}:9000", secondary) == f"{target}:9000 from {secondary}"
        hosts.user.run("removeIpFromNic", id=added["id"])
        hosts.applied()
        assert member.connect(f"{target}:9000", secondary) == "dropped"


def test_no_blink_while_the_agent_re_applies_the_same_state_and_a_second_apply_changes_nothing(
        hosts: HostWorld) -> None:
    client, server = hosts.vm(0), hosts.vm(0)
    agent = hosts.agent(0)
    hosts.applied()
    saved = {tool: hosts.topology.saved(hosts.hosts[0], tool) for tool in ("iptables", "ip6tables", "ebtables")}
    target = server.nics[0]["ipaddress"]
    with hosts.topology.echo_stream_server(server.ns, target, 9100), \
            hosts.topology.streaming(client.ns, target, 9100, 4.0) as stream:
        for _ in range(3):
            # A restarted agent holds nothing: it applies the whole documents, the state they already say.
            agent.kill()
            agent.start()
            hosts.applied()
    assert stream["sent"] > 100 and not stream["tcp_error"], stream
    assert (stream["icmp_answered"], stream["tcp_echoed"]) == (stream["sent"], stream["sent"]), stream
    assert {tool: hosts.topology.saved(hosts.hosts[0], tool) for tool in saved} == saved


def test_after_migration_the_new_hosts_agent_allows_the_secondary_and_the_old_host_holds_nothing_of_it(
        served: Served, tmp_path: Path, net: Topology) -> None:
    with host_world(served, tmp_path, net, hosts=2) as two:
        mover, peer = two.vm(0), two.vm(1)
        two.agent(0)
        two.agent(1)
        secondary = "10.3.0.193"
        two.user.run("addIpToNic", nicid=mover.nics[0]["id"], ipaddress=secondary)
        mover.add_address(secondary)
        knows(peer, mover, secondary)
        target = peer.nics[0]["ipaddress"]
        two.applied(0)
        two.applied(1)
        with peer.serving(f"{target}:9000"):
            assert mover.connect(f"{target}:9000", secondary) == f"{target}:9000 from {secondary}"
            two.admin.run("migrateVirtualMachine", virtualmachineid=mover.id, hostid=two.zone.host_ids[1])
            net.replug(mover, two.hosts[1], "br0")
            two.applied(0)
            two.applied(1)
            assert mover.connect(f"{target}:9000", secondary) == f"{target}:9000 from {secondary}"
        nic = mover.nics[0]["id"]
        old = two.hosts[0]
        assert nic_set_v4(nic) not in net.saved(old, "ipset") and from_chain(nic) not in net.saved(old, "iptables")
        assert nic_set_v4(nic) in net.saved(two.hosts[1], "ipset")
