"""What clients read about VMs and offerings: Ansible's cs_instance_info (volumes, key pair) and libcloud's
list_volumes and ex_list_network_offerings."""

from __future__ import annotations

import pytest

from tests.clients.ansible_run import require_ansible
from tests.clients.conftest import ClientWorld
from tests.clients.libcloud_driver import cloudstack_driver

pytestmark = pytest.mark.api


def test_cs_instance_info_shows_the_vm_with_its_root_volume(world: ClientWorld) -> None:
    require_ansible()
    (info,) = world.ansible.play([{"name": "info", "ngine_io.cloudstack.cs_instance_info": {"name": "vm-1"}}])
    assert not info.changed
    (vm,) = info.result["instances"]
    assert vm["id"] == world.vms[0]["id"] and vm["default_ip"] == world.vms[0]["nic"][0]["ipaddress"]
    assert [v["type"] for v in vm["volumes"]] == ["ROOT"] and vm["volumes"][0]["size"] > 0
    root = world.tenant.client.items("listVolumes", "volume", virtualmachineid=vm["id"])[0]
    assert vm["volumes"][0]["name"] == root["name"]


def test_libcloud_lists_the_vms_root_volumes_and_the_network_offerings(world: ClientWorld) -> None:
    user = world.tenant.client
    cloud = cloudstack_driver(world.served.url, user.api_key, user.secret_key)
    volumes = cloud.list_volumes()
    assert sorted(v.extra["instance_id"] for v in volumes) == sorted(vm["id"] for vm in world.vms)
    assert all(v.size > 0 and v.extra["volume_type"] == "ROOT" for v in volumes)
    offerings = cloud.ex_list_network_offerings()
    listed = world.tenant.client.items("listNetworkOfferings", "networkoffering")
    assert {o.id for o in offerings} == {o["id"] for o in listed}
    assert all(o.service_offering_id for o in offerings)
