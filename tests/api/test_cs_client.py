"""The real `cs` client (library and CLI) against a `nicstack serve` subprocess."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from cs import CloudStack, CloudStackApiException

from tests.support.client import UNKNOWN
from tests.support.process import Served, serving
from tests.support.world import Tenant, Zone, defaults, deploy, make_network, make_tenant, make_zone

pytestmark = pytest.mark.api

CIDR = ipaddress.ip_network("10.1.1.0/24")


class CountingSession(requests.Session):
    """A requests session that counts the API calls cs sends through it."""

    def __init__(self) -> None:
        super().__init__()
        self.commands: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.commands.append(request.url or "")
        return super().send(request, **kwargs)


@dataclass
class World:
    served: Served
    zone: Zone
    tenant: Tenant
    network: dict[str, Any]
    vms: list[dict[str, Any]]

    def cs(self, **options: Any) -> Any:
        """A `cs` client with the tenant's keys that waits for job results."""
        return CloudStack(endpoint=self.served.url, key=self.tenant.client.api_key,
                          secret=self.tenant.client.secret_key, fetch_result=True, poll_interval=0.05,
                          **options)

    @property
    def vm(self) -> dict[str, Any]:
        return self.vms[0]

    @property
    def nic(self) -> dict[str, Any]:
        nic: dict[str, Any] = self.vm["nic"][0]
        return nic


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with serving(tmp_path_factory.mktemp("cs-server")) as served:
        admin = served.admin
        zone = make_zone(admin)
        d = defaults(admin)
        tenant = make_tenant(admin)
        network = make_network(tenant.client, zone, d["isolated"], gateway="10.1.1.1", netmask="255.255.255.0")
        vms = [deploy(tenant.client, zone, d, network["id"]) for _ in range(3)]
        yield World(served, zone, tenant, network, vms)


def secondary_ips(cs: Any, vm_id: str, nic_id: str) -> list[dict[str, Any]]:
    nics = cs.listNics(virtualmachineid=vm_id)["nic"]
    (nic,) = [n for n in nics if n["id"] == nic_id]
    found: list[dict[str, Any]] = nic.get("secondaryip", [])
    return found


def test_cs_adds_an_auto_picked_ip_and_gets_the_job_result(world: World) -> None:
    result = world.cs().addIpToNic(nicid=world.nic["id"])
    assert list(result) == ["nicsecondaryip"]
    sec = result["nicsecondaryip"]
    assert ipaddress.ip_address(sec["ipaddress"]) in CIDR
    assert sec["ipaddress"] not in ("10.1.1.0", "10.1.1.1", "10.1.1.255", world.nic["ipaddress"])
    assert sec["nicid"] == world.nic["id"]
    assert sec["networkid"] == world.network["id"]
    assert sec["virtualmachineid"] == world.vm["id"]


def test_cs_adds_a_given_ip_and_lists_it_on_the_nic(world: World) -> None:
    cs = world.cs()
    sec = cs.addIpToNic(nicid=world.nic["id"], ipaddress="10.1.1.50")["nicsecondaryip"]
    assert sec["ipaddress"] == "10.1.1.50"
    listed = secondary_ips(cs, world.vm["id"], world.nic["id"])
    assert {"id": sec["id"], "ipaddress": "10.1.1.50"} in [{"id": s["id"], "ipaddress": s["ipaddress"]}
                                                            for s in listed]


def test_cs_lists_nics_with_count_and_their_secondary_ips(world: World) -> None:
    cs = world.cs()
    sec = cs.addIpToNic(nicid=world.nic["id"])["nicsecondaryip"]
    answer = cs.listNics(virtualmachineid=world.vm["id"])
    assert answer["count"] == len(answer["nic"]) == 1
    nic = answer["nic"][0]
    assert nic["id"] == world.nic["id"] and nic["virtualmachineid"] == world.vm["id"]
    assert nic["isdefault"] is True
    assert sec["id"] in [s["id"] for s in nic["secondaryip"]]
    one = cs.listNics(virtualmachineid=world.vm["id"], nicid=world.nic["id"])
    assert [n["id"] for n in one["nic"]] == [world.nic["id"]]


def test_cs_removes_a_secondary_ip(world: World) -> None:
    cs = world.cs()
    sec = cs.addIpToNic(nicid=world.nic["id"])["nicsecondaryip"]
    assert cs.removeIpFromNic(id=sec["id"]) == {"success": True}
    assert sec["id"] not in [s["id"] for s in secondary_ips(cs, world.vm["id"], world.nic["id"])]


def test_cs_over_post_adds_and_removes_like_cloudstack_go(world: World) -> None:
    cs = world.cs(method="post")
    sec = cs.addIpToNic(nicid=world.nic["id"])["nicsecondaryip"]
    assert cs.removeIpFromNic(id=sec["id"]) == {"success": True}


def test_a_duplicate_ip_is_refused_with_an_api_exception_naming_it(world: World) -> None:
    cs = world.cs()
    sec = cs.addIpToNic(nicid=world.nic["id"])["nicsecondaryip"]
    other_nic = world.vms[1]["nic"][0]["id"]
    for nic in (world.nic["id"], other_nic):
        with pytest.raises(CloudStackApiException) as raised:
            cs.addIpToNic(nicid=nic, ipaddress=sec["ipaddress"])
        error = raised.value.error
        assert raised.value.response.status_code == 536
        assert error["errorcode"] == 536 and error["uuidList"] == []
        assert sec["ipaddress"] in error["errortext"] and "in use" in error["errortext"]
        assert "HTTP 536" in str(raised.value)


def test_removing_an_unknown_secondary_ip_is_the_cloudstack_unknown_uuid_error(world: World) -> None:
    cs = world.cs()
    sec = cs.addIpToNic(nicid=world.nic["id"])["nicsecondaryip"]
    cs.removeIpFromNic(id=sec["id"])
    with pytest.raises(CloudStackApiException) as raised:
        cs.removeIpFromNic(id=sec["id"])
    assert raised.value.response.status_code == 431
    assert raised.value.error["errorcode"] == 431
    assert f"Invalid parameter id value={sec['id']} {UNKNOWN}" in raised.value.error["errortext"]


def test_cs_pages_through_a_list_until_it_has_count_items(world: World) -> None:
    session = CountingSession()
    cs = world.cs(session=session)
    vms = cs.listVirtualMachines(fetch_list=True, pagesize=2)
    assert sorted(vm["id"] for vm in vms) == sorted(vm["id"] for vm in world.vms)
    assert len(session.commands) == 2, session.commands
    assert "page=1" in session.commands[0] and "page=2" in session.commands[1]


def test_cs_pages_with_its_default_page_size_in_one_request(world: World) -> None:
    session = CountingSession()
    vms = world.cs(session=session).listVirtualMachines(fetch_list=True)
    assert len(vms) == 3 and len(session.commands) == 1


def test_cs_fetches_an_empty_list_as_an_empty_list(world: World) -> None:
    assert world.cs().listVirtualMachines(fetch_list=True, keyword="no-such-vm-anywhere") == []


def test_the_cs_command_line_prints_the_zones_as_json(world: World, tmp_path: Path) -> None:
    executable = Path(sys.executable).parent / "cs"
    program = str(executable) if executable.exists() else shutil.which("cs")
    assert program, "the cs command is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDSTACK_")}
    env.update(HOME=str(tmp_path), CLOUDSTACK_ENDPOINT=world.served.url,
               CLOUDSTACK_KEY=world.served.api_key, CLOUDSTACK_SECRET=world.served.secret_key)
    done = subprocess.run([program, "listZones"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["count"] == 1
    assert [z["id"] for z in printed["zone"]] == [world.zone.id]


def test_the_server_logged_no_traceback(world: World) -> None:
    assert world.served.process.poll() is None, "the server died"
    assert "Traceback" not in world.served.output()
