"""Builders for test worlds, through the API as a user of the cloud would build them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.support.client import Client

_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


@dataclass
class Zone:
    id: str
    pod_id: str
    host_ids: list[str]


@dataclass
class Tenant:
    """An account with one user and that user's signed client."""

    account: str
    domain_id: str
    user_id: str
    client: Client


def defaults(admin: Client) -> dict[str, str]:
    """The seeded offerings and template clients pass to deploy."""
    offerings = admin.items("listNetworkOfferings", "networkoffering")
    by_name = {o["name"]: o["id"] for o in offerings}
    service = admin.items("listServiceOfferings", "serviceoffering")[0]["id"]
    template = admin.items("listTemplates", "template", templatefilter="featured")[0]["id"]
    return {
        "isolated": by_name["DefaultIsolatedNetworkOfferingWithSourceNatService"],
        "l2": by_name["DefaultL2NetworkOffering"],
        "serviceofferingid": service,
        "templateid": template,
    }


def make_zone(admin: Client, hypervisor: str = "KVM", hosts: int = 1) -> Zone:
    zone = admin.call("createZone", name=unique("zone"), networktype="Advanced", dns1="8.8.8.8",
                      internaldns1="10.0.0.2")["zone"]
    pod = admin.call("createPod", zoneid=zone["id"], name=unique("pod"), gateway="192.168.0.1",
                     netmask="255.255.255.0", startip="192.168.0.10", endip="192.168.0.200")["pod"]
    host_ids = []
    for i in range(hosts):
        host = admin.call("addHost", zoneid=zone["id"], podid=pod["id"], hypervisor=hypervisor,
                          url=f"http://192.168.0.{20 + i}", username="root", password="password")["host"][0]
        host_ids.append(host["id"])
    return Zone(zone["id"], pod["id"], host_ids)


def make_tenant(admin: Client, domain_id: str | None = None, accounttype: int = 0) -> Tenant:
    name = unique("acct")
    params: dict[str, Any] = {"accounttype": accounttype, "account": name, "username": name, "password": "pw-" + name,
                              "email": f"{name}@example.com", "firstname": "Test", "lastname": name.title()}
    if domain_id:
        params["domainid"] = domain_id
    account = admin.call("createAccount", **params)["account"]
    user = account["user"][0]
    keys = admin.call("registerUserKeys", id=user["id"])["userkeys"]
    return Tenant(name, account["domainid"], user["id"], Client(admin.url, keys["apikey"], keys["secretkey"]))


def make_network(client: Client, zone: Zone, offering: str, **params: Any) -> dict[str, Any]:
    name = unique("net")
    network: dict[str, Any] = client.call("createNetwork", name=name, displaytext=name, zoneid=zone.id,
                                          networkofferingid=offering, **params)["network"]
    return network


def deploy(client: Client, zone: Zone, d: dict[str, str], *networks: str, **params: Any) -> dict[str, Any]:
    vm: dict[str, Any] = client.run("deployVirtualMachine", zoneid=zone.id, serviceofferingid=d["serviceofferingid"],
                                    templateid=d["templateid"], networkids=",".join(networks),
                                    **params)["virtualmachine"]
    return vm


@contextmanager
def configured(admin: Client, values: dict[str, str]) -> Iterator[None]:
    """Global settings set for the block and put back after it (the server is shared by a module)."""
    before = {name: admin.items("listConfigurations", "configuration", name=name)[0]["value"] for name in values}
    for name, value in values.items():
        admin.call("updateConfiguration", name=name, value=value)
    try:
        yield
    finally:
        for name, value in before.items():
            admin.call("updateConfiguration", name=name, value=value)
