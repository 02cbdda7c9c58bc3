"""The server side agents talk to: agent credentials, long polls, reports, listRouters and the state views."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.test_health_metrics import samples, value
from tests.conftest import Cloud
from tests.support import scenarios as sc
from tests.support.client import UNKNOWN, UNKNOWN_COMMAND, Client
from tests.support.rules import make_public_zone
from tests.support.world import Tenant, Zone, defaults, deploy, make_network, make_tenant

pytestmark = pytest.mark.api


@dataclass
class Agents:
    cloud: Cloud
    zone: Zone
    tenant: Tenant
    network: dict[str, Any]
    vm: dict[str, Any]

    @property
    def admin(self) -> Client:
        return self.cloud.admin

    @property
    def host(self) -> str:
        return self.zone.host_ids[0]

    def agent(self, **target: str) -> Client:
        keys = self.admin.call("createAgent", **target)["agent"]
        return Client(self.cloud.url, keys["apikey"], keys["secretkey"])


@pytest.fixture(scope="module")
def w(cloud: Cloud) -> Agents:
    zone = sc.make_advanced_zone(cloud.admin, ("KVM", "KVM"), sg=True)
    network = sc.make_shared_network(cloud.admin, zone, sc.SG_OFFERING, gateway="10.60.0.1", netmask="255.255.255.0",
                                     startip="10.60.0.10", endip="10.60.0.250")
    tenant = make_tenant(cloud.admin)
    d = defaults(cloud.admin)
    vm = cloud.admin.run("deployVirtualMachine", zoneid=zone.id, serviceofferingid=d["serviceofferingid"],
                         templateid=d["templateid"], networkids=network["id"], hostid=zone.host_ids[0],
                         account=tenant.account, domainid=tenant.domain_id)["virtualmachine"]
    return Agents(cloud, zone, tenant, network, vm)


def test_agent_credentials_read_and_report_their_own_host_and_nothing_else(w: Agents) -> None:
    agent = w.agent(hostid=w.host)
    config = agent.call("getHostConfig", hostid=w.host)["hostconfig"]
    assert config["generation"] >= 1 and config["full"] is True and config["digest"]
    other = agent.error("getHostConfig", hostid=w.zone.host_ids[1])
    unknown = agent.error("getHostConfig", hostid="00000000-0000-4000-8000-000000000000")
    # A foreign target answers exactly as an unknown one.
    assert (other.status, other.text.replace(w.zone.host_ids[1], "X")) == (
        unknown.status, unknown.text.replace("00000000-0000-4000-8000-000000000000", "X"))
    assert UNKNOWN in other.text
    for command, params in (("listVirtualMachines", {}), ("listHosts", {}), ("createAgent", {"hostid": w.host}),
                            ("deployVirtualMachine", {"zoneid": w.zone.id})):
        refused = agent.error(command, **params)
        assert (refused.status, refused.text) == (432, UNKNOWN_COMMAND), command
    router = agent.error("getRouterConfig", networkid=w.network["id"])
    assert router.status == 431 and UNKNOWN in router.text
    status = agent.call("reportAppliedConfig", hostid=w.host, generation=config["generation"],
                        digest=config["digest"], agent="test")["dataplanestatus"]
    assert (status["appliedgeneration"], status["dataplanestate"]) == (config["generation"], "Applied")


def test_revoked_agent_credentials_stop_working(w: Agents) -> None:
    agent = w.agent(hostid=w.host)
    assert agent.call("getHostConfig", hostid=w.host)["hostconfig"]["generation"] >= 1
    assert w.admin.call("deleteAgent", hostid=w.host)["success"] is True
    time.sleep(2.5)  # the servers' API key cache keeps a key for 2 s
    assert agent.error("getHostConfig", hostid=w.host).status == 401
    assert w.admin.error("deleteAgent", hostid=w.host).status == 431


def test_a_report_of_a_generation_never_published_or_of_another_digest_is_refused(w: Agents) -> None:
    agent = w.agent(hostid=w.host)
    config = agent.call("getHostConfig", hostid=w.host)["hostconfig"]
    ahead = agent.error("reportAppliedConfig", hostid=w.host, generation=config["generation"] + 5, digest="")
    assert ahead.status == 431 and "never published" in ahead.text
    wrong = agent.error("reportAppliedConfig", hostid=w.host, generation=config["generation"], digest="ab" * 32)
    assert wrong.status == 431 and "is not the digest" in wrong.text
    failed = agent.call("reportAppliedConfig", hostid=w.host, generation=0, digest="",
                        error="ipset restore failed: line 3")["dataplanestatus"]
    assert failed["dataplanestate"] == "Failed" and failed["lasterror"] == "ipset restore failed: line 3"
    found = samples(w.cloud)
    assert value(found, "nicstack_dataplane_applied_generation", kind="host", id=w.host) == 0
    assert value(found, "nicstack_dataplane_apply_failing", kind="host", id=w.host) == 1
    [host] = w.admin.items("listHosts", "host", id=w.host)
    assert (host["dataplanestate"], host["lasterror"]) == ("Failed", "ipset restore failed: line 3")


def test_a_long_poll_returns_as_soon_as_a_newer_generation_is_published_and_holds_nothing_up(w: Agents) -> None:
    agent = w.agent(hostid=w.host)
    held = agent.call("getHostConfig", hostid=w.host)["hostconfig"]["generation"]
    answered: dict[str, Any] = {}

    def poll() -> None:
        started = time.monotonic()
        answered.update(agent.call("getHostConfig", hostid=w.host, sincegeneration=held, wait=20)["hostconfig"])
        answered["seconds"] = time.monotonic() - started

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.3)
    # The parked poll holds no thread, transaction or lock: others are served meanwhile.
    started = time.monotonic()
    for _ in range(10):
        w.admin.call("listCapabilities")
    assert time.monotonic() - started < 2.0
    assert waiter.is_alive()
    added = sc.add(w.tenant.client, w.vm["nic"][0]["id"])
    waiter.join(10)
    assert not waiter.is_alive() and answered["generation"] > held and answered["full"] is False
    assert any(added["ipaddress"] in line for line in answered["changes"]["ipsetlines"]), answered
    assert answered["seconds"] < 10
    sc.remove(w.tenant.client, added["id"])


def test_a_long_poll_with_nothing_new_answers_after_its_wait_without_documents(w: Agents) -> None:
    agent = w.agent(hostid=w.host)
    held = agent.call("getHostConfig", hostid=w.host)["hostconfig"]["generation"]
    started = time.monotonic()
    config = agent.call("getHostConfig", hostid=w.host, sincegeneration=held, wait=1)["hostconfig"]
    assert 0.9 <= time.monotonic() - started < 5
    assert (config["generation"], config["full"], config["changes"]["ipsetlines"]) == (held, False, [])
    early = agent.call("getHostConfig", hostid=w.host, sincegeneration=held - 1, wait=30)["hostconfig"]
    assert early["generation"] == held


def test_list_routers_shows_each_router_in_cloudstacks_shape_with_its_data_plane(cloud: Cloud) -> None:
    zone = make_public_zone(cloud.admin)
    tenant = make_tenant(cloud.admin)
    network = make_network(tenant.client, zone, defaults(cloud.admin)["isolated"], gateway="10.61.1.1",
                           netmask="255.255.255.0")
    deploy(tenant.client, zone, defaults(cloud.admin), network["id"])
    [router] = cloud.admin.items("listRouters", "router", networkid=network["id"])
    assert router["role"] == "VIRTUAL_ROUTER" and router["state"] == "Running"
    assert (router["guestnetworkid"], router["guestipaddress"], router["account"]) == (
        network["id"], "10.61.1.1", tenant.account)
    assert router["publicip"] and router["dataplanestate"] == "NoAgent" and "appliedgeneration" not in router
    assert cloud.admin.items("listRouters", "router", id=router["id"]) == [router]
    published = cloud.admin.call("getRouterConfig", networkid=network["id"])["routerconfig"]
    [again] = cloud.admin.items("listRouters", "router", networkid=network["id"])
    assert again["publishedgeneration"] == published["generation"]
    assert tenant.client.error("listRouters").status == 432
    assert cloud.admin.error("listRouters", id="00000000-0000-4000-8000-000000000000").status == 431
