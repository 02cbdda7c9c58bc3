"""No duplicates in a shared network either: 8 threads adding until its 50-address range is exhausted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.conftest import Cloud
from tests.support import scenarios as sc
from tests.support.client import Client
from tests.support.world import defaults, deploy, make_tenant

pytestmark = pytest.mark.api

THREADS = 8
MAX_ATTEMPTS = 100


def exhaust(url: str, api_key: str, secret_key: str, nic_ids: list[str], offset: int) -> tuple[list[str], int]:
    """Add auto-picked IPs round-robin over the NICs until a refusal; (addresses handed out, refusal status)."""
    handed: list[str] = []
    with requests.Session() as session:
        client = Client(url, api_key, secret_key, session)
        for attempt in range(MAX_ATTEMPTS):
            status, body = client.raw("addIpToNic", nicid=nic_ids[(offset + attempt) % len(nic_ids)])
            inner: dict[str, Any] = next(iter(body.values()))
            if status != 200:
                return handed, status
            job = client.wait(inner["jobid"])
            assert job["jobstatus"] == 1, job
            handed.append(job["jobresult"]["nicsecondaryip"]["ipaddress"])
    raise AssertionError(f"no refusal after {MAX_ATTEMPTS} adds to a 50-address range")


def test_eight_threads_share_out_a_50_address_range_exactly_once_then_get_533(cloud: Cloud) -> None:
    admin = cloud.admin
    zone = sc.make_advanced_zone(admin)
    # The first range holds the VMs' primaries; the second, of 50 addresses, is what the threads share.
    network = sc.make_shared_network(admin, zone, sc.SHARED_OFFERING, gateway="10.60.0.1", netmask="255.255.255.0",
                                     startip="10.60.0.10", endip="10.60.0.13")
    tenant = make_tenant(admin)
    d = defaults(admin)
    nics = [deploy(tenant.client, zone, d, network["id"])["nic"][0]["id"] for _ in range(4)]
    admin.call("createVlanIpRange", networkid=network["id"], forvirtualnetwork=False, startip="10.60.0.100",
               endip="10.60.0.149")
    client = tenant.client
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda i: exhaust(client.url, client.api_key, client.secret_key, nics, i),
                                range(THREADS)))
    handed = [address for addresses, _ in results for address in addresses]
    assert sorted(handed) == [f"10.60.0.{n}" for n in range(100, 150)], sorted(handed)
    assert {status for _, status in results} == {533}
    refused = client.error("addIpToNic", nicid=nics[0])
    assert refused.code == 533 and network["name"] in refused.text
    listed = {s["ipaddress"] for n in nics for s in sc.nic_of(client, _vm_of(client, n), n).get("secondaryip", [])}
    assert listed == set(handed)


def _vm_of(client: Client, nic_id: str) -> str:
    vms = client.items("listVirtualMachines", "virtualmachine")
    return str(next(vm["id"] for vm in vms if any(n["id"] == nic_id for n in vm["nic"])))
