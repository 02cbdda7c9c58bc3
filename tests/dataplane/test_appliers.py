"""The namespace appliers on their own: failures keep the previous state and say why, coexistence, cleanup."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from nicstack.agent.appliers import HostApplier, RouterApplier, Update
from nicstack.agent.shell import ApplyError, Shell
from nicstack.domain.kinds import Hypervisor
from nicstack.render.router import generation_key, render_router
from nicstack.render.security_groups import render_host
from nicstack.render.sg_ipset import nic_set_v4
from tests.dataplane.tools import check, in_netns
from tests.dataplane.topology import Topology
from tests.unit.test_host_render import secondary_ipv4, two_nics
from tests.unit.test_router_render import SCENARIOS

pytestmark = pytest.mark.dataplane


def router_update(generation: int, name: str) -> Update:
    docs = render_router(SCENARIOS[name]())
    return Update(generation, generation_key(docs), dict(docs.items()))


@pytest.fixture
def router(net: Topology, tmp_path: Path) -> Iterator[tuple[str, RouterApplier]]:
    ns = net.namespace("r")
    client = net.public_side()
    net.plug(ns, "eth2", client, net.device("c"), master="pub")
    net.plug(ns, "eth0", client, net.device("g"))
    applier = RouterApplier(Shell(ns), tmp_path / "run")
    try:
        yield ns, applier
    finally:
        applier.stop()


def test_a_refused_iptables_document_leaves_the_tables_as_they_were_and_the_error_names_the_line(
        net: Topology, router: tuple[str, RouterApplier]) -> None:
    ns, applier = router
    applier.apply(router_update(1, "static_nat_secondary"))
    before = net.saved(ns, "iptables")
    good = router_update(2, "lb_source_cidrs")
    assert good.documents is not None
    broken = {**good.documents, "iptables": good.documents["iptables"].replace(
        "-A ns-INPUT -i eth2 -j DROP", "-A ns-INPUT -i eth2 -m no-such-match -j DROP")}
    with pytest.raises(ApplyError) as refused:
        applier.apply(replace(good, documents=broken))
    assert "no-such-match" in str(refused.value) and ">" in str(refused.value)
    assert net.saved(ns, "iptables") == before


def test_an_invalid_haproxy_configuration_keeps_the_previous_one_serving_and_reports_haproxys_words(
        net: Topology, router: tuple[str, RouterApplier]) -> None:
    ns, applier = router
    first = router_update(1, "lb_source_cidrs")
    applier.apply(first)
    pid = (applier.run_dir / "haproxy.pid").read_text()
    good = router_update(2, "lb_roundrobin")
    assert good.documents is not None and first.documents is not None
    broken = {**good.documents, "haproxy": good.documents["haproxy"] + "    no-such-keyword on\n"}
    with pytest.raises(ApplyError) as refused:
        applier.apply(replace(good, documents=broken))
    assert "haproxy -c refused" in str(refused.value) and "no-such-keyword" in str(refused.value)
    assert (applier.run_dir / "haproxy.cfg").read_text() == first.documents["haproxy"]
    assert (applier.run_dir / "haproxy.pid").read_text() == pid
    assert "203.0.113.14:80" in check(in_netns(ns, ["ss", "-ltn"]))


def test_a_reload_that_cannot_bind_keeps_the_previous_workers_and_says_why(
        net: Topology, router: tuple[str, RouterApplier]) -> None:
    _, applier = router
    first = router_update(1, "lb_source_cidrs")
    applier.apply(first)
    assert first.documents is not None
    # Valid for haproxy -c, which binds nothing; the new worker cannot bind an address the router lacks.
    elsewhere = {**first.documents, "haproxy": first.documents["haproxy"].replace(
        "bind 203.0.113.14:443", "bind 192.0.2.77:443")}
    with pytest.raises(ApplyError) as failed:
        applier.apply(replace(first, generation=2, documents=elsewhere))
    assert "could not reload" in str(failed.value) and "192.0.2.77" in str(failed.value)
    assert net.connect(net.client, "203.0.113.14:443", "203.0.113.50") != "refused"
    assert applier.haproxy.reloads() is not None


def test_a_second_apply_of_the_same_state_changes_nothing(net: Topology, router: tuple[str, RouterApplier]) -> None:
    ns, applier = router
    update = router_update(1, "static_nat_and_port_forwarding_secondaries")
    applier.apply(update)
    saved = net.saved(ns, "iptables"), check(in_netns(ns, ["ip", "-o", "addr"]))
    again = applier.apply(update)
    assert again.did == ()
    assert (net.saved(ns, "iptables"), check(in_netns(ns, ["ip", "-o", "addr"]))) == saved
    assert applier.drifted() is None
    check(in_netns(ns, ["iptables", "-t", "nat", "-F", "ns-PREROUTING"]))
    assert applier.drifted() == "the router's iptables chains were changed by someone else"


def test_two_routers_share_one_machine_each_with_its_own_haproxy_files(net: Topology, tmp_path: Path) -> None:
    appliers = []
    try:
        for name in ("a", "b"):
            ns = net.namespace(name)
            net.plug(ns, "eth2", net.namespace(f"{name}c"), "peer")
            net.plug(ns, "eth0", net.namespace(f"{name}g"), "peer")
            appliers.append(RouterApplier(Shell(ns), tmp_path / name))
            appliers[-1].apply(router_update(1, "lb_roundrobin"))
        assert all(a.haproxy.reloads() is not None for a in appliers)
        assert len({(a.run_dir / "haproxy.pid").read_text() for a in appliers}) == 2
    finally:
        for applier in appliers:
            applier.stop()


def test_a_nic_that_leaves_the_host_takes_its_sets_and_chains_along_and_foreign_state_stays(net: Topology) -> None:
    ns = net.namespace("h")
    for argv in (["ipset", "create", "docker-set", "hash:ip"], ["ebtables", "-t", "nat", "-N", "LIBVIRT-X"],
                 ["ebtables", "-t", "nat", "-A", "PREROUTING", "-j", "LIBVIRT-X"]):
        check(in_netns(ns, argv))
    applier = HostApplier(Shell(ns))
    both = two_nics(Hypervisor.KVM)
    vm = both.vms[0]
    one = replace(both, vms=(replace(vm, nics=vm.nics[:1]),))
    for generation, state in enumerate((both, one), 1):
        docs = render_host(Hypervisor.KVM, state)
        applier.apply(Update(generation, "", dict(docs.items())))
    gone = vm.nics[1].uuid
    assert nic_set_v4(gone) not in net.saved(ns, "ipset")
    assert nic_set_v4(vm.nics[0].uuid) in net.saved(ns, "ipset")
    assert "docker-set" in net.saved(ns, "ipset") and "-A PREROUTING -j LIBVIRT-X" in net.saved(ns, "ebtables")
    assert gone.split("-")[0] not in net.saved(ns, "iptables")


def test_host_change_lines_apply_on_top_of_the_whole_documents(net: Topology) -> None:
    ns = net.namespace("h")
    applier = HostApplier(Shell(ns))
    state = secondary_ipv4(Hypervisor.KVM)
    applier.apply(Update(1, "", dict(render_host(Hypervisor.KVM, state).items())))
    nic = state.nics()[0]
    batch = {"ipset": f"add {nic_set_v4(nic.uuid)} 10.1.1.77 -exist\n", "ebtables": ""}
    applier.apply(Update(2, "", changes=batch, since=1))
    assert f"add {nic_set_v4(nic.uuid)} 10.1.1.77" in net.saved(ns, "ipset")
    assert applier.drifted() is None
    assert IPv4Address("10.1.1.77") not in nic.ipv4
