"""The read-only views clients need, over the signed API: listVolumes, the catalogue (disk offerings, OS types,
hypervisors, serviceofferingid on network offerings), and SSH key pairs registered, named on deploy and returned."""

from __future__ import annotations

import hashlib
from base64 import b64decode
from typing import Any

import pytest

from tests.conftest import Cloud
from tests.support.client import UNKNOWN
from tests.support.estates import public_key
from tests.support.world import Tenant, Zone, deploy, make_network, make_tenant, unique

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def tenant(cloud: Cloud) -> Tenant:
    return make_tenant(cloud.admin)


@pytest.fixture(scope="module")
def network(tenant: Tenant, zone: Zone, d: dict[str, str]) -> dict[str, Any]:
    return make_network(tenant.client, zone, d["isolated"], gateway="10.77.1.1", netmask="255.255.255.0")


def test_each_vm_has_one_root_volume_from_its_template_and_offering(tenant: Tenant, zone: Zone, d: dict[str, str],
                                                                     network: dict[str, Any], cloud: Cloud) -> None:
    vm = deploy(tenant.client, zone, d, network["id"])
    volumes = tenant.client.items("listVolumes", "volume", virtualmachineid=vm["id"])
    assert len(volumes) == 1
    root = volumes[0]
    assert (root["type"], root["deviceid"], root["state"], root["virtualmachineid"]) == ("ROOT", 0, "Ready", vm["id"])
    assert root["vmname"] == vm["name"] and root["zoneid"] == zone.id and root["size"] > 0
    assert (root["templateid"], root["serviceofferingid"]) == (d["templateid"], d["serviceofferingid"])
    assert root["account"] == tenant.account
    assert tenant.client.items("listVolumes", "volume", id=root["id"]) == volumes  # the id is stable
    assert tenant.client.items("listVolumes", "volume", virtualmachineid=vm["id"], type="DATADISK") == []
    other = make_tenant(cloud.admin)
    assert other.client.items("listVolumes", "volume") == []
    refused = other.client.error("listVolumes", id=root["id"])
    assert refused.code == 431 and UNKNOWN in refused.text


def test_the_catalogue_lists_disk_offerings_os_types_and_hypervisors(tenant: Tenant, zone: Zone) -> None:
    disks = {o["name"]: o for o in tenant.client.items("listDiskOfferings", "diskoffering")}
    assert {n: o["disksize"] for n, o in disks.items()} == {"Small": 5, "Medium": 20, "Large": 100, "Custom": 0}
    assert disks["Custom"]["iscustomized"] is True and disks["Small"]["iscustomized"] is False
    small = tenant.client.items("listDiskOfferings", "diskoffering", id=disks["Small"]["id"])
    assert [o["name"] for o in small] == ["Small"]
    types = tenant.client.items("listOsTypes", "ostype")
    assert "Other Linux (64-bit)" in {o["description"] for o in types}
    centos = tenant.client.items("listOsTypes", "ostype", description="CentOS 5.5 (64-bit)")
    assert len(centos) == 1 and centos[0]["oscategoryname"] == "CentOS"
    assert tenant.client.items("listOsTypes", "ostype", id=centos[0]["id"]) == centos
    assert tenant.client.items("listHypervisors", "hypervisor", zoneid=zone.id) == [{"name": "KVM"}]
    offerings = tenant.client.items("listNetworkOfferings", "networkoffering")
    assert offerings and all(o["serviceofferingid"] for o in offerings)


def fingerprint(key: str) -> str:
    digest = hashlib.md5(b64decode(key.split()[1]), usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def test_key_pairs_are_registered_listed_given_to_vms_and_deleted(tenant: Tenant, zone: Zone, d: dict[str, str],
                                                                   network: dict[str, Any], cloud: Cloud) -> None:
    key = public_key(501)
    name = unique("key")
    pair = tenant.client.call("registerSSHKeyPair", name=name, publickey=key)["keypair"]
    assert (pair["name"], pair["fingerprint"], pair["account"]) == (name, fingerprint(key), tenant.account)
    listed = tenant.client.items("listSSHKeyPairs", "sshkeypair", name=name)
    assert [p["fingerprint"] for p in listed] == [fingerprint(key)]
    second = tenant.client.call("registerSSHKeyPair", name=unique("key"), publickey=public_key(502))["keypair"]
    vm = deploy(tenant.client, zone, d, network["id"], keypair=name)
    assert vm["keypairs"] == name
    both = deploy(tenant.client, zone, d, network["id"], keypairs=f"{name},{second['name']}")
    shown = tenant.client.items("listVirtualMachines", "virtualmachine", id=both["id"])[0]
    assert shown["keypairs"] == f"{name},{second['name']}"
    other = make_tenant(cloud.admin)
    assert other.client.items("listSSHKeyPairs", "sshkeypair") == []
    refused = other.client.error("deleteSSHKeyPair", name=name)
    assert refused.code == 431 and "does not exist" in refused.text
    assert other.client.error("deployVirtualMachine", zoneid=zone.id, serviceofferingid=d["serviceofferingid"],
                              templateid=d["templateid"], keypair=name).code == 431
    assert tenant.client.call("deleteSSHKeyPair", name=name)["success"] in (True, "true")
    assert tenant.client.items("listSSHKeyPairs", "sshkeypair", name=name) == []


def test_bad_or_repeated_keys_are_refused_and_change_nothing(tenant: Tenant) -> None:
    key = public_key(601)
    name = unique("key")
    tenant.client.call("registerSSHKeyPair", name=name, publickey=key)
    before = tenant.client.items("listSSHKeyPairs", "sshkeypair")
    mislabelled = "ssh-rsa " + key.split()[1]
    for params, words in (
        ({"name": unique("key"), "publickey": "not a key"}, "not an OpenSSH public key"),
        ({"name": unique("key"), "publickey": "ssh-rsa @@@@"}, "not valid base64"),
        ({"name": unique("key"), "publickey": mislabelled}, "not a ssh-rsa key"),
        ({"name": name, "publickey": public_key(602)}, "already exists"),
        ({"name": unique("key"), "publickey": key}, "already exists"),
    ):
        refused = tenant.client.error("registerSSHKeyPair", **params)
        assert refused.code == 431 and words in refused.text, refused.text
    assert tenant.client.items("listSSHKeyPairs", "sshkeypair") == before
