"""The seed's workflow end to end with the real `cs` client against `nicstack serve --demo` (the README's tour).

Acquire a guest IP on a VM's NIC, acquire a public IP, enable static NAT from the public IP to the
guest IP, try to release the guest IP (refused, reason shown), disable static NAT, release the
public IP, release the guest IP; the root admin fetches the router's documents at each step.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cs import CloudStack, CloudStackApiException

from tests.support.process import Served, serving
from tests.support.rules import dnat_lines
from tests.support.waiting import eventually

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("seed-workflow"), "--demo") as server:
        yield server


def cs_cli(served: Served, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).parent / "cs"
    program = str(executable) if executable.exists() else shutil.which("cs")
    assert program, "the cs command is not installed"
    key, secret = served.demo_keys()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDSTACK_")}
    env.update(HOME=str(tmp_path), CLOUDSTACK_ENDPOINT=served.url, CLOUDSTACK_KEY=key, CLOUDSTACK_SECRET=secret)
    return subprocess.run([program, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=False)


def test_the_seed_workflow_runs_end_to_end_with_cs_and_the_router_follows(served: Served, tmp_path: Path) -> None:
    key, secret = served.demo_keys()
    cs = CloudStack(endpoint=served.url, key=key, secret=secret, fetch_result=True, poll_interval=0.05)
    vm = cs.listVirtualMachines(name="web-1")["virtualmachine"][0]
    nic = vm["nic"][0]

    def router() -> dict[str, Any]:
        config: dict[str, Any] = served.admin.call("getRouterConfig", networkid=nic["networkid"])["routerconfig"]
        return config

    start = router()
    guest = cs.addIpToNic(nicid=nic["id"])["nicsecondaryip"]
    public = cs.associateIpAddress(networkid=nic["networkid"])["ipaddress"]
    assert public["issourcenat"] is False and public["associatednetworkid"] == nic["networkid"]
    before = router()
    assert not dnat_lines(before, public["ipaddress"], guest["ipaddress"])

    assert cs.enableStaticNat(ipaddressid=public["id"], virtualmachineid=vm["id"],
                              vmguestip=guest["ipaddress"]) == {"success": True}
    # enableStaticNat answers at once; its job publishes the router's next generation right after.
    mapped = eventually(router, lambda c: c["generation"] > before["generation"])
    assert dnat_lines(mapped, public["ipaddress"], guest["ipaddress"])
    assert mapped["generation"] == before["generation"] + 1

    with pytest.raises(CloudStackApiException) as refused:
        cs.removeIpFromNic(id=guest["id"])
    assert refused.value.error["errorcode"] == 536
    assert f"static NAT from public IP {public['ipaddress']}" in refused.value.error["errortext"]
    shown = cs_cli(served, tmp_path, "removeIpFromNic", f"id={guest['id']}")
    assert shown.returncode != 0 and f"static NAT from public IP {public['ipaddress']}" in shown.stdout + shown.stderr

    assert cs.disableStaticNat(ipaddressid=public["id"]) == {"success": True}
    unmapped = router()
    assert not dnat_lines(unmapped, public["ipaddress"], guest["ipaddress"])
    assert unmapped["iptables"] == before["iptables"] and unmapped["generation"] == mapped["generation"] + 1
    assert cs.disassociateIpAddress(id=public["id"]) == {"success": True}
    assert cs.removeIpFromNic(id=guest["id"]) == {"success": True}
    assert router()["digest"] == start["digest"]


def test_the_demo_world_has_a_public_range_and_a_vpc_with_a_vm_in_each_of_two_tiers(served: Served,
                                                                                      tmp_path: Path) -> None:
    key, secret = served.demo_keys()
    cs = CloudStack(endpoint=served.url, key=key, secret=secret, fetch_result=True, poll_interval=0.05)
    [vpc] = cs.listVPCs(name="demo-vpc")["vpc"]
    assert sorted(n["name"] for n in vpc["network"]) == ["demo-db", "demo-web"]
    for name in ("vpc-web-1", "vpc-db-1"):
        [vm] = cs.listVirtualMachines(name=name)["virtualmachine"]
        assert vm["nic"][0]["vpcid"] == vpc["id"]
    ranges = served.admin.items("listVlanIpRanges", "vlaniprange", forvirtualnetwork=True)
    # demo-zone's, and the elastic IPs of the Basic zone demo-eip-zone.
    assert sorted((r["startip"], r["endip"]) for r in ranges) == [("198.51.100.10", "198.51.100.99"),
                                                                   ("203.0.113.10", "203.0.113.99")]
    listed = json.loads(cs_cli(served, tmp_path, "listPublicIpAddresses", "issourcenat=true").stdout)
    assert listed["count"] == 2  # demo-network's and the VPC's source NAT addresses
    assert "Traceback" not in served.output()


def test_nicstack_render_router_prints_the_documents_get_router_config_returns(served: Served) -> None:
    network = served.admin.items("listNetworks", "network", listall=True, keyword="demo-network")[0]["id"]
    vpc = served.admin.items("listVPCs", "vpc", listall=True, name="demo-vpc")[0]["id"]
    database = f"sqlite:///{served.log.parent}/nicstack.db"
    for option, value, key in (("--network", network, "networkid"), ("--vpc", vpc, "vpcid")):
        printed = subprocess.run(
            [sys.executable, "-m", "nicstack.cli", "render", "router", option, value, "--document", "iptables",
             "--database-url", database], capture_output=True, text=True, timeout=60, check=True,
        ).stdout
        assert printed == served.admin.call("getRouterConfig", **{key: value})["routerconfig"]["iptables"]
    unknown = subprocess.run([sys.executable, "-m", "nicstack.cli", "render", "router", "--vpc", network,
                              "--database-url", database], capture_output=True, text=True, timeout=60, check=False)
    assert unknown.returncode == 1 and network in unknown.stderr and "Traceback" not in unknown.stderr
