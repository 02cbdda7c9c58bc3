"""One live `nicstack serve` per client test module, with a tenant's isolated network and two VMs in a zone
that has public addresses: the world the clients' everyday workflows start from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.clients.ansible_run import Ansible
from tests.support.process import Served, serving
from tests.support.rules import make_public_zone
from tests.support.world import Tenant, Zone, defaults, deploy, make_network, make_tenant


@dataclass
class ClientWorld:
    served: Served
    zone: Zone
    zone_name: str
    tenant: Tenant
    network: dict[str, Any]
    vms: list[dict[str, Any]]
    directory: Path

    @property
    def ansible(self) -> Ansible:
        user = self.tenant.client
        return Ansible(self.directory / "ansible", self.served.url, user.api_key, user.secret_key)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientWorld]:
    directory = tmp_path_factory.mktemp("clients")
    with serving(directory / "server") as served:
        admin = served.admin
        zone = make_public_zone(admin)
        zone_name = admin.items("listZones", "zone", id=zone.id)[0]["name"]
        d = defaults(admin)
        tenant = make_tenant(admin)
        network = make_network(tenant.client, zone, d["isolated"], gateway="10.1.1.1", netmask="255.255.255.0")
        vms = [deploy(tenant.client, zone, d, network["id"], name=f"vm-{i}") for i in (1, 2)]
        yield ClientWorld(served, zone, zone_name, tenant, network, vms, directory)
