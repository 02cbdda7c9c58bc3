"""Agents converge to the committed state: after a crash of the agent, and across a restart of the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dataplane.hosts import HostWorld, host_world, knows
from tests.dataplane.topology import Topology
from tests.support.process import Served

pytestmark = pytest.mark.dataplane


@pytest.fixture
def hosts(served: Served, tmp_path: Path, net: Topology) -> Iterator[HostWorld]:
    with host_world(served, tmp_path, net) as made:
        yield made



def live(hosts: HostWorld, vm_id: str) -> dict[str, bool]:
    """Each secondary IP of the VM and whether the user sees it applied by every agent concerned."""
    nics = hosts.user.items("listNics", "nic", virtualmachineid=vm_id)
    return {s["ipaddress"]: s["applied"] for nic in nics for s in nic["secondaryip"]}


def test_an_agent_killed_while_an_address_is_added_applies_it_when_it_comes_back(hosts: HostWorld) -> None:
    sender, receiver = hosts.vm(0), hosts.vm(0)
    agent = hosts.agent(0)
    hosts.applied()
    added = "10.3.0.194"
    sender.add_address(added)
    knows(receiver, sender, added)
    target = receiver.nics[0]["ipaddress"]
    knows(sender, receiver, target)
    with receiver.serving(f"{target}:9000"):
        agent.kill()
        hosts.user.run("addIpToNic", nicid=sender.nics[0]["id"], ipaddress=added)
        assert sender.connect(f"{target}:9000", added) == "dropped"
        assert live(hosts, sender.id) == {added: False}
        agent.start()
        hosts.applied()
        assert sender.connect(f"{target}:9000", added) == f"{target}:9000 from {added}"
        assert live(hosts, sender.id) == {added: True}
    [host] = hosts.admin.items("listHosts", "host", id=hosts.zone.host_ids[0])
    assert host["dataplanestate"] == "Applied" and host["appliedgeneration"] == host["publishedgeneration"], host


def test_an_agent_keeps_running_across_a_server_restart_and_applies_what_is_committed_after_it(
        hosts: HostWorld) -> None:
    sender, receiver = hosts.vm(0), hosts.vm(0)
    agent = hosts.agent(0)
    hosts.applied()
    added = "10.3.0.195"
    sender.add_address(added)
    knows(receiver, sender, added)
    target = receiver.nics[0]["ipaddress"]
    knows(sender, receiver, target)
    with receiver.serving(f"{target}:9000"):
        hosts.served.restart(down_for=2.0)
        assert agent.process.poll() is None, agent.output()[-2000:]
        hosts.user.run("addIpToNic", nicid=sender.nics[0]["id"], ipaddress=added)
        hosts.applied()
        assert sender.connect(f"{target}:9000", added) == f"{target}:9000 from {added}"
    assert "Connection refused" in agent.output() or "unreachable" in agent.output().lower(), agent.output()[-2000:]
