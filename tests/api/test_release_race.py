"""createPortForwardingRule to a secondary IP racing removeIpFromNic of it: never a rule to a released address.

Each round starts both requests together from two threads. Whatever the order, exactly one of
two outcomes is allowed: the rule was created and the release refused (536, naming the rule), or
the address was released and the rule refused (431). The database is then checked directly.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from nicstack.db import tables as t
from tests.conftest import Cloud
from tests.support.rules import Place, make_place, make_public_zone
from tests.support.world import Zone

pytestmark = pytest.mark.api

ROUNDS = 25


@pytest.fixture(scope="module")
def public_zone(cloud: Cloud) -> Zone:
    return make_public_zone(cloud.admin)


def race(p: Place, public_ip: dict[str, Any], port: int) -> str:
    sec = p.secondary()
    start = threading.Barrier(2)
    answers: dict[str, tuple[int, Any]] = {}

    def create() -> None:
        start.wait()
        answers["pf"] = p.user.raw("createPortForwardingRule", method="POST", ipaddressid=public_ip["id"],
                                   protocol="tcp", publicport=port, privateport=22, virtualmachineid=p.vm["id"],
                                   vmguestip=sec["ipaddress"])

    def release() -> None:
        start.wait()
        answers["rm"] = p.user.raw("removeIpFromNic", method="POST", id=sec["id"])

    threads = [threading.Thread(target=create), threading.Thread(target=release)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    (pf_status, pf_body), (rm_status, rm_body) = answers["pf"], answers["rm"]
    if pf_status == 200 and rm_status == 536:
        rule_id = pf_body["createportforwardingruleresponse"]["id"]
        assert rule_id in rm_body["removeipfromnicresponse"]["errortext"]
        return "rule created, release refused"
    if rm_status == 200 and pf_status == 431:
        assert sec["ipaddress"] in pf_body["createportforwardingruleresponse"]["errortext"]
        return "released, rule refused"
    raise AssertionError(f"round on port {port}: createPortForwardingRule {pf_status} {pf_body}, "
                         f"removeIpFromNic {rm_status} {rm_body}")


def guest_addresses(p: Place) -> set[str]:
    """Every address the network's NICs hold now, read from the database."""
    with p.cloud.db.read() as conn:
        net = conn.execute(select(t.networks.c.id).where(t.networks.c.uuid == p.network["id"])).scalar_one()
        primaries = conn.execute(select(t.nics.c.ip4_address).where(
            t.nics.c.network_id == net, t.nics.c.removed.is_(None))).scalars()
        secondaries = conn.execute(select(t.nic_secondary_ips.c.ip4_address).where(
            t.nic_secondary_ips.c.network_id == net)).scalars()
        return {a for a in (*primaries, *secondaries) if a}


def rule_targets(p: Place) -> list[str]:
    with p.cloud.db.read() as conn:
        pf, n = t.port_forwarding_rules, t.networks
        query = select(pf.c.dest_ip_address).select_from(pf.join(n, n.c.id == pf.c.network_id)).where(
            n.c.uuid == p.network["id"])
        return list(conn.execute(query).scalars())


@pytest.mark.parametrize("kind", ["isolated", "vpc"])
def test_a_port_forwarding_rule_never_points_at_a_released_secondary_ip(
    cloud: Cloud, public_zone: Zone, kind: str
) -> None:
    p = make_place(cloud, public_zone, kind)
    public_ip = p.acquire()
    outcomes = Counter(race(p, public_ip, 20000 + n) for n in range(ROUNDS))
    assert sum(outcomes.values()) == ROUNDS
    targets = rule_targets(p)
    assert len(targets) == outcomes["rule created, release refused"]
    held = guest_addresses(p)
    assert [a for a in targets if a not in held] == [], "a rule points at a released address"
