"""Fixtures for wire tests: a zone, a tenant with an isolated network and VMs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Cloud
from tests.support.client import Client
from tests.support.world import Tenant, Zone, defaults, deploy, make_network, make_tenant, make_zone


@dataclass
class Isolated:
    """A tenant with an isolated 10.1.1.0/24 network (IPv6 too) and two running VMs in it."""

    cloud: Cloud
    zone: Zone
    d: dict[str, str]
    tenant: Tenant
    network: dict[str, Any]
    vm: dict[str, Any]
    other_vm: dict[str, Any]

    @property
    def user(self) -> Client:
        return self.tenant.client

    @property
    def nic(self) -> dict[str, Any]:
        nic: dict[str, Any] = self.vm["nic"][0]
        return nic


@pytest.fixture(scope="module")
def zone(cloud: Cloud) -> Zone:
    return make_zone(cloud.admin)


@pytest.fixture(scope="module")
def d(cloud: Cloud) -> dict[str, str]:
    return defaults(cloud.admin)


@pytest.fixture
def isolated(cloud: Cloud, zone: Zone, d: dict[str, str]) -> Isolated:
    tenant = make_tenant(cloud.admin)
    network = make_network(tenant.client, zone, d["isolated"], gateway="10.1.1.1", netmask="255.255.255.0",
                           ip6cidr="fd00:1:1:1::/64", ip6gateway="fd00:1:1:1::1")
    vm = deploy(tenant.client, zone, d, network["id"])
    other = deploy(tenant.client, zone, d, network["id"])
    return Isolated(cloud, zone, d, tenant, network, vm, other)
