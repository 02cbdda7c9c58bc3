"""The guest's side: a VM reads its addresses from the router's metadata service and configures them.

Through the real router agent in a namespace: the VM asks 169.254.169.254 (and its gateway, where
CloudStack's cloud-init datasource looks) from its own namespace; the router knows it by its
address and MAC, never by what it sends. `nicstack-guest apply` inside the VM adds the secondary
address the cloud reserved, and static NAT from the public side then reaches a server bound to it.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import time

import pytest

from tests.dataplane.cloud import RouterWorld
from tests.dataplane.topology import CLIENT, Vm, unanswered

pytestmark = pytest.mark.dataplane

METADATA = "http://169.254.169.254"
# The router agent's metadata server rereads its document within 0.1 s of the agent writing it.
FRESH_WITHIN = 2.0

FETCH = """
import http.client, sys
from urllib.parse import urlsplit
url, source = urlsplit(sys.argv[1]), sys.argv[2]
conn = http.client.HTTPConnection(url.hostname, 80, timeout=3, source_address=(source, 0) if source else None)
try:
    conn.request("GET", url.path)
    reply = conn.getresponse()
    print(reply.status, reply.read().decode(), sep="\\n", end="")
except OSError as exc:
    print("unreachable", exc, end="")
"""


def fetch(vm: Vm, url: str, source: str = "") -> tuple[str, str]:
    """(status, body) of GET `url` from inside the VM, from its address `source` if given."""
    done = subprocess.run(["ip", "netns", "exec", vm.ns, sys.executable, "-c", FETCH, url, source],
                          capture_output=True, text=True, timeout=10, check=True)
    status, _, body = done.stdout.partition("\n")
    return status, body


def addresses_of(vm: Vm, mac: str, base: str = METADATA) -> set[str]:
    status, body = fetch(vm, f"{base}/latest/meta-data/network/interfaces/macs/{mac}/local-ipv4s")
    return set(body.split()) if status == "200" else set()


def eventually(vm: Vm, mac: str, wanted: set[str]) -> set[str]:
    """The addresses the metadata lists for `mac`, once they are `wanted` (or whatever they are after the wait)."""
    deadline = time.monotonic() + FRESH_WITHIN
    while (found := addresses_of(vm, mac)) != wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def guest(vm: Vm, *argv: str) -> str:
    """`nicstack-guest` run inside the VM, as a user would after logging in."""
    done = subprocess.run(["ip", "netns", "exec", vm.ns, sys.executable, "-m", "nicstack.guest.cli", *argv],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def held(vm: Vm) -> str:
    return vm.ip("-4", "-o", "addr", "show", "dev", "eth0")


def test_a_vm_reads_its_secondary_address_from_the_metadata_and_another_vm_of_the_network_never_sees_it(
        world: RouterWorld) -> None:
    network = world.network(1)
    web, other = world.vm(network), world.vm(network)
    world.router(network)
    world.applied(network)
    nic = web.nics[0]
    assert eventually(web, nic["macaddress"], {nic["ipaddress"]}) == {nic["ipaddress"]}

    added = world.user.run("addIpToNic", nicid=nic["id"])["nicsecondaryip"]["ipaddress"]
    world.applied(network)
    both = {nic["ipaddress"], added}
    assert eventually(web, nic["macaddress"], both) == both
    # Where CloudStack's cloud-init datasource asks: the router's address on the network.
    assert addresses_of(web, nic["macaddress"], f"http://{nic['gateway']}") == both
    assert fetch(web, f"{METADATA}/latest/meta-data/local-ipv4") == ("200", nic["ipaddress"])
    status, vm_id = fetch(web, f"{METADATA}/latest/meta-data/instance-id")
    assert status == "200" and vm_id == web.id
    assert fetch(web, f"{METADATA}/latest/user-data")[0] == "404"
    world.user.call("updateVirtualMachine", id=web.id, userdata=base64.b64encode(b"#cloud-config\n").decode())
    deadline = time.monotonic() + 10  # a synchronous command: published by the job that follows it, then applied
    while fetch(web, f"{METADATA}/latest/user-data")[0] != "200" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fetch(web, f"{METADATA}/latest/user-data") == ("200", "#cloud-config\n")

    # The other VM asks for the first one's MAC: it is answered as a VM that has no such NIC.
    mine = other.nics[0]
    assert addresses_of(other, nic["macaddress"]) == set()
    assert addresses_of(other, mine["macaddress"]) == {mine["ipaddress"]}
    status, listing = fetch(other, f"{METADATA}/latest/meta-data/network/interfaces/macs/")
    assert status == "200" and listing.split() == [f"{mine['macaddress']}/"]
    assert added not in fetch(other, f"{METADATA}/latest/meta-data/local-ipv4")[1]

    # A VM that claims the first one's address (without its MAC) is not taken for it.
    other.add_address(added)
    status, body = fetch(other, f"{METADATA}/latest/meta-data/instance-id", source=added)
    assert status != "200" or body != web.id, "the router answered a VM by an address it borrowed"


def test_nicstack_guest_apply_configures_the_reserved_address_static_nat_reaches_it_and_release_removes_it(
        world: RouterWorld) -> None:
    network = world.network(1)
    vm = world.vm(network)
    world.router(network)
    nic = vm.nics[0]
    added = world.user.run("addIpToNic", nicid=nic["id"])["nicsecondaryip"]
    public = world.static_nat(vm.id, added["ipaddress"], network, 8080)
    world.applied(network)
    eventually(vm, nic["macaddress"], {nic["ipaddress"], added["ipaddress"]})

    assert f"add {added['ipaddress']}/24 dev eth0" in guest(vm, "apply")
    assert f"{added['ipaddress']}/24" in held(vm)
    assert "nothing to change" in guest(vm, "apply")
    with vm.serving(f"{added['ipaddress']}:8080"):
        assert world.topology.from_client(f"{public['ipaddress']}:8080") == f"{added['ipaddress']}:8080 from {CLIENT}"

    world.user.run("disableStaticNat", ipaddressid=public["id"])
    world.user.run("removeIpFromNic", id=added["id"])
    world.applied(network)
    assert eventually(vm, nic["macaddress"], {nic["ipaddress"]}) == {nic["ipaddress"]}
    assert f"del {added['ipaddress']}/24 dev eth0" in guest(vm, "apply")
    assert added["ipaddress"] not in held(vm) and nic["ipaddress"] in held(vm)
    with vm.serving(f"{nic['ipaddress']}:8080"):
        assert unanswered(world.topology.from_client(f"{public['ipaddress']}:8080"))
