"""Wire details third-party clients trip on: the API at /client/api/, X-Description on errors, command names in
texts."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
import requests
from cs import CloudStack, CloudStackApiException

from nicstack.api.signature import expires_in, sign, signed_query
from tests.conftest import Cloud
from tests.support.world import Zone, deploy, make_network, make_tenant

pytestmark = pytest.mark.api


def test_cs_pointed_at_the_endpoint_with_a_trailing_slash_works(cloud: Cloud) -> None:
    admin = cloud.admin
    cs = CloudStack(endpoint=cloud.url + "/", key=admin.api_key, secret=admin.secret_key)
    zones = cs.listZones()
    assert zones == {} or "zone" in zones
    with pytest.raises(CloudStackApiException) as refused:
        cs.addIpToNic()
    assert refused.value.error["errortext"] == "Unable to execute API command addiptovmnic due to missing parameter " \
                                               "nicid"


def test_every_error_answer_carries_its_text_in_x_description(cloud: Cloud) -> None:
    unsigned = requests.get(cloud.url, params={"command": "listZones", "response": "json"}, timeout=10)
    assert unsigned.status_code == 401
    assert unsigned.headers["X-Description"] == "unable to verify user credentials and/or request signature"
    admin = cloud.admin
    missing = requests.get(f"{cloud.url}?{signed_query(admin.api_key, admin.secret_key, 'addIpToNic', {})}",
                           timeout=10)
    assert missing.status_code == 431
    assert missing.headers["X-Description"] == missing.json()["addiptovmnicresponse"]["errortext"]
    answer = requests.get(cloud.url + "/listZones", timeout=10)
    assert answer.status_code == 404 and answer.headers["X-Description"].startswith("Unknown path")
    fine = requests.get(f"{cloud.url}?{signed_query(admin.api_key, admin.secret_key, 'listZones', {})}", timeout=10)
    assert fine.status_code == 200 and "X-Description" not in fine.headers


def test_a_user_lists_no_destroyed_vm_but_may_recover_it(cloud: Cloud, zone: Zone, d: dict[str, str]) -> None:
    tenant = make_tenant(cloud.admin)
    net = make_network(tenant.client, zone, d["isolated"], gateway="10.9.9.1", netmask="255.255.255.0")
    vm = deploy(tenant.client, zone, d, net["id"])
    tenant.client.run("destroyVirtualMachine", id=vm["id"])
    assert tenant.client.items("listVirtualMachines", "virtualmachine") == []
    assert tenant.client.items("listVirtualMachines", "virtualmachine", id=vm["id"]) == []
    (seen,) = cloud.admin.items("listVirtualMachines", "virtualmachine", id=vm["id"])
    assert seen["state"] == "Destroyed"
    capabilities = tenant.client.call("listCapabilities")["capability"]
    assert (capabilities["allowuserviewdestroyedvm"], capabilities["allowuserexpungerecovervm"]) == (False, True)
    tenant.client.call("recoverVirtualMachine", id=vm["id"])
    assert [v["state"] for v in tenant.client.items("listVirtualMachines", "virtualmachine")] == ["Stopped"]


def test_response_xml_and_no_response_answer_cloudstacks_xml(cloud: Cloud, zone: Zone) -> None:
    admin = cloud.admin
    for form in ({"response": "xml"}, {"response": "XML"}):
        answer = requests.get(f"{cloud.url}?{signed_query(admin.api_key, admin.secret_key, 'listZones', form)}",
                              timeout=10)
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/xml")
        root = ElementTree.fromstring(answer.content)
        assert root.tag == "listzonesresponse" and root.get("cloud-stack-version")
        zones = root.findall("zone")
        assert int(root.findtext("count") or 0) == len(zones) >= 1
        assert zone.id in [z.findtext("id") for z in zones]
    # No response parameter at all: CloudStack's default form is XML.
    params = {"command": "addIpToNic", "apiKey": admin.api_key, "signatureVersion": "3", "expires": expires_in(300)}
    params["signature"] = sign(admin.secret_key, params)
    refused = requests.get(cloud.url, params=params, timeout=10)
    root = ElementTree.fromstring(refused.content)
    assert (refused.status_code, root.tag, root.findtext("errorcode"), root.findtext("cserrorcode")) == (
        431, "addiptovmnicresponse", "431", "4350")
    assert root.findtext("errortext") == refused.headers["X-Description"]


def test_add_ip_to_nic_keeps_the_description_and_shows_it_with_the_address(cloud: Cloud, zone: Zone,
                                                                           d: dict[str, str]) -> None:
    tenant = make_tenant(cloud.admin)
    net = make_network(tenant.client, zone, d["isolated"], gateway="10.9.8.1", netmask="255.255.255.0")
    vm = deploy(tenant.client, zone, d, net["id"])
    nic = vm["nic"][0]["id"]
    sec = tenant.client.run("addIpToNic", nicid=nic, description="tls site b")["nicsecondaryip"]
    plain = tenant.client.run("addIpToNic", nicid=nic)["nicsecondaryip"]
    assert sec["description"] == "tls site b" and "description" not in plain
    (listed,) = tenant.client.items("listNics", "nic", virtualmachineid=vm["id"])
    assert {s["ipaddress"]: s.get("description") for s in listed["secondaryip"]} == {
        sec["ipaddress"]: "tls site b", plain["ipaddress"]: None}
    too_long = tenant.client.error("addIpToNic", nicid=nic, description="x" * 256)
    assert too_long.code == 431 and "description" in too_long.text
