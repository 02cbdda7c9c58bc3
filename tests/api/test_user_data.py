"""User data: given at deploy or later, returned by getVirtualMachineUserData, published in the router's metadata."""

from __future__ import annotations

import base64
import json

import pytest

from tests.conftest import Cloud
from tests.support.probes import changes, snapshot
from tests.support.rules import Place, make_place
from tests.support.waiting import eventually
from tests.support.world import Zone, defaults, deploy, make_tenant

pytestmark = pytest.mark.api

CLOUD_CONFIG = base64.b64encode(b"#cloud-config\nhostname: web\n").decode()


@pytest.fixture
def p(cloud: Cloud, public_zone: Zone) -> Place:
    return make_place(cloud, public_zone, "isolated")


def published_user_data(p: Place, vm_id: str) -> str | None:
    """What the network's router serves the VM at /latest/user-data, as the router's metadata document holds it."""
    config = p.admin.call("getRouterConfig", networkid=p.network["id"])["routerconfig"]
    [entry] = [vm for vm in json.loads(config["metadata"])["vms"] if vm["uuid"] == vm_id]
    found: str | None = entry["user_data"]
    return found


def test_user_data_given_at_deploy_is_returned_and_published_to_the_router(p: Place, public_zone: Zone) -> None:
    vm = deploy(p.user, public_zone, defaults(p.admin), p.network["id"], userdata=CLOUD_CONFIG)
    status, _ = p.user.raw("updateVirtualMachine", method="POST", id=vm["id"], userdata="QUJD" * 8000)
    assert status == 200  # 32 000 characters: within CloudStack's default limit
    p.user.call("updateVirtualMachine", id=vm["id"], userdata=CLOUD_CONFIG)
    got = p.user.call("getVirtualMachineUserData", virtualmachineid=vm["id"])["virtualmachineuserdata"]
    assert got == {"virtualmachineid": vm["id"], "userdata": CLOUD_CONFIG}
    assert published_user_data(p, vm["id"]) == CLOUD_CONFIG


def test_updating_the_user_data_republishes_it_and_an_empty_value_removes_it(p: Place) -> None:
    vm = p.vm["id"]
    assert p.user.call("getVirtualMachineUserData", virtualmachineid=vm)["virtualmachineuserdata"]["userdata"] == ""
    before = p.admin.call("getRouterConfig", networkid=p.network["id"])["routerconfig"]["generation"]
    p.user.call("updateVirtualMachine", id=vm, userdata=CLOUD_CONFIG)
    # A synchronous command: its publication job runs right after it answered.
    eventually(lambda: published_user_data(p, vm), lambda data: data == CLOUD_CONFIG)
    assert p.admin.call("getRouterConfig", networkid=p.network["id"])["routerconfig"]["generation"] > before
    p.user.call("updateVirtualMachine", id=vm, userdata="")
    eventually(lambda: published_user_data(p, vm), lambda data: data is None)
    assert p.user.call("getVirtualMachineUserData", virtualmachineid=vm)["virtualmachineuserdata"]["userdata"] == ""


def test_user_data_that_is_not_base64_is_refused_naming_it_and_changes_nothing(
        cloud: Cloud, p: Place, public_zone: Zone) -> None:
    before = snapshot(cloud.db)
    for bad in ("#cloud-config", "AAA", "A" * 32772):
        for command, params in (("deployVirtualMachine", {"zoneid": public_zone.id, "networkids": p.network["id"],
                                                          "serviceofferingid": defaults(p.admin)["serviceofferingid"],
                                                          "templateid": defaults(p.admin)["templateid"]}),
                                ("updateVirtualMachine", {"id": p.vm["id"]})):
            # POST, as CloudStack's clients send user data longer than a URL may be.
            status, body = p.user.raw(command, method="POST", userdata=bad, **params)
            text = next(iter(body.values()))["errortext"]
            assert status == 431 and "parameter userdata" in text, body
    assert changes(before, snapshot(cloud.db)) == []


def test_another_accounts_vm_answers_as_an_unknown_one(p: Place) -> None:
    stranger = make_tenant(p.admin).client
    foreign = stranger.error("getVirtualMachineUserData", virtualmachineid=p.vm["id"])
    unknown = stranger.error("getVirtualMachineUserData", virtualmachineid="6a5f0c54-3c5b-4a51-9b0c-0c1a2b3c4d5e")
    assert (foreign.code, foreign.text.replace(p.vm["id"], "X")) == (
        unknown.code, unknown.text.replace("6a5f0c54-3c5b-4a51-9b0c-0c1a2b3c4d5e", "X"))
    assert stranger.error("updateVirtualMachine", id=p.vm["id"], userdata=CLOUD_CONFIG).code == foreign.code
