"""Who may see a network: a lookup by id and a listing answer the same, for every kind of caller.

A domain tree ROOT > d1 > d2 and a sibling s, with a domain-wide shared network in each domain and
an isolated network of a user in each. Every caller's listNetworks listall=true must show exactly
the networks it may name by id (one rule, asked by lookups and turned into the listing's SQL), and
that set is stated here for each caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import Cloud
from tests.support import scenarios as sc
from tests.support.client import Client
from tests.support.world import Tenant, Zone, defaults, make_network, make_tenant, unique

pytestmark = pytest.mark.api


@dataclass
class Tree:
    callers: dict[str, Client]
    networks: dict[str, str]  # name -> id


def _shared(admin: Client, zone: Zone, domain_id: str | None, n: int) -> str:
    params = {"gateway": f"10.{60 + n}.0.1", "netmask": "255.255.255.0", "startip": f"10.{60 + n}.0.10",
              "endip": f"10.{60 + n}.0.20", "vlan": str(600 + n)} | ({"domainid": domain_id} if domain_id else {})
    network: str = sc.make_shared_network(admin, zone, sc.SHARED_OFFERING, **params)["id"]
    return network


@pytest.fixture(scope="module")
def tree(cloud: Cloud) -> Tree:
    admin = cloud.admin
    zone = sc.make_advanced_zone(admin)
    isolated = defaults(admin)["isolated"]
    root_id = admin.items("listDomains", "domain")[0]["id"]
    d1 = admin.call("createDomain", name=unique("d1"))["domain"]["id"]
    d2 = admin.call("createDomain", name=unique("d2"), parentdomainid=d1)["domain"]["id"]
    s = admin.call("createDomain", name=unique("s"))["domain"]["id"]
    users: dict[str, Tenant] = {
        "d1-admin": make_tenant(admin, d1, accounttype=2), "d1-user": make_tenant(admin, d1),
        "d2-user": make_tenant(admin, d2), "s-user": make_tenant(admin, s),
    }
    networks = {
        "shared-root": _shared(admin, zone, root_id, 1), "shared-d1": _shared(admin, zone, d1, 2),
        "shared-d2": _shared(admin, zone, d2, 3), "shared-s": _shared(admin, zone, s, 4),
        **{f"own-{who}": make_network(users[who].client, zone, isolated)["id"]
           for who in ("d1-user", "d2-user", "s-user")},
    }
    return Tree({"root": admin, **{who: u.client for who, u in users.items()}}, networks)


SEES = {
    "root": {"shared-root", "shared-d1", "shared-d2", "shared-s", "own-d1-user", "own-d2-user", "own-s-user"},
    # A domain admin: its subtree's networks, and the shared networks above it.
    "d1-admin": {"shared-root", "shared-d1", "shared-d2", "own-d1-user", "own-d2-user"},
    # A user: its own networks, and the shared networks of its domain and those above.
    "d1-user": {"shared-root", "shared-d1", "own-d1-user"},
    "d2-user": {"shared-root", "shared-d1", "shared-d2", "own-d2-user"},
    "s-user": {"shared-root", "shared-s", "own-s-user"},
}


@pytest.mark.parametrize("who", sorted(SEES))
def test_a_caller_lists_exactly_the_networks_it_may_look_up(tree: Tree, who: str) -> None:
    client = tree.callers[who]
    ours = set(tree.networks.values())
    listed = {n["id"] for n in client.items("listNetworks", "network", listall=True)} & ours
    # A network the caller may not see answers as an unknown id (431), never as an empty list.
    looked_up = {nid for nid in ours if client.raw("listNetworks", id=nid)[0] == 200}
    names = {nid: name for name, nid in tree.networks.items()}
    assert {names[n] for n in listed} == SEES[who]
    assert {names[n] for n in looked_up} == SEES[who]

