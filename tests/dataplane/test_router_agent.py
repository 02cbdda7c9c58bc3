"""Virtual routers end to end: the API, a real server, the router agent in a namespace, and packets.

Static NAT, port forwarding, load balancing and the firewall, all to secondary IPs a user
configured inside the VM with `ip addr add`; release protection seen from outside; other
software's rules surviving every apply and every removal.
"""

from __future__ import annotations

import time

import pytest

from tests.dataplane.agents import APPLY_TIMEOUT, agent_keys, running_agent, wait_applied
from tests.dataplane.cloud import RouterWorld
from tests.dataplane.topology import CLIENT, OTHER_CLIENT, unanswered
from tests.support.client import ApiError
from tests.support.world import unique

pytestmark = pytest.mark.dataplane


def secondary(world: RouterWorld, vm_nic: dict[str, str]) -> str:
    address: str = world.user.run("addIpToNic", nicid=vm_nic["id"])["nicsecondaryip"]["ipaddress"]
    return address


def test_static_nat_reaches_a_server_bound_only_to_the_secondary_ip_and_stops_when_disabled(world: RouterWorld) -> None:
    network = world.network(1)
    vm = world.vm(network)
    world.router(network)
    guest = secondary(world, vm.nics[0])
    vm.add_address(guest)
    public = world.static_nat(vm.id, guest, network, 8080)
    world.applied(network)
    with vm.serving(f"{guest}:8080"), world.topology.serving(world.client_ns, f"{CLIENT}:7000"):
        assert world.topology.from_client(f"{public['ipaddress']}:8080") == f"{guest}:8080 from {CLIENT}"
        # Leaving the VM from the secondary address, the client sees the public address.
        assert vm.connect(f"{CLIENT}:7000", guest) == f"{CLIENT}:7000 from {public['ipaddress']}"
        world.user.run("disableStaticNat", ipaddressid=public["id"])
        world.applied(network)
        assert world.topology.from_client(f"{public['ipaddress']}:8080") in ("dropped", "refused")


def test_static_nat_to_a_secondary_ip_on_a_vms_non_default_nic(world: RouterWorld) -> None:
    first, second = world.network(1), world.network(2)
    vm = world.vm(first, second)
    world.router(first)
    world.router(second)
    guest = secondary(world, vm.nics[1])
    # As a user would: the address on eth1, and its answers leave through eth1's gateway.
    vm.add_address(guest, nic=1)
    vm.ip("rule", "add", "from", guest, "table", "100")
    vm.ip("route", "add", "default", "via", vm.nics[1]["gateway"], "table", "100")
    public = world.static_nat(vm.id, guest, second, 8080)
    world.applied(first)
    world.applied(second)
    with vm.serving(f"{guest}:8080"):
        assert world.topology.from_client(f"{public['ipaddress']}:8080") == f"{guest}:8080 from {CLIENT}"


def test_port_forwarding_from_two_public_addresses_reaches_the_same_secondary_ip(world: RouterWorld) -> None:
    network = world.network(1)
    vm = world.vm(network)
    world.router(network)
    guest = secondary(world, vm.nics[0])
    vm.add_address(guest)
    publics = [world.user.run("associateIpAddress", networkid=network["id"])["ipaddress"] for _ in range(2)]
    for public, port in zip(publics, (2222, 2223), strict=True):
        world.user.run("createPortForwardingRule", ipaddressid=public["id"], protocol="tcp", publicport=port,
                       privateport=22, virtualmachineid=vm.id, vmguestip=guest)
    world.applied(network)
    with vm.serving(f"{guest}:22"):
        for public, port in zip(publics, (2222, 2223), strict=True):
            assert world.topology.from_client(f"{public['ipaddress']}:{port}") == f"{guest}:22 from {CLIENT}"
        assert world.topology.from_client(f"{publics[0]['ipaddress']}:2223") in ("dropped", "refused")


def test_the_firewall_opens_a_port_only_with_an_ingress_rule_and_an_lb_cidr_list_admits_only_its_sources(
        world: RouterWorld) -> None:
    network = world.network(1)
    vm = world.vm(network)
    world.router(network)
    guest = secondary(world, vm.nics[0])
    vm.add_address(guest)
    with vm.serving(f"{guest}:8080"):
        nat = world.user.run("associateIpAddress", networkid=network["id"])["ipaddress"]
        world.user.call("enableStaticNat", ipaddressid=nat["id"], virtualmachineid=vm.id, vmguestip=guest)
        lb_ip = world.user.run("associateIpAddress", networkid=network["id"])["ipaddress"]
        rule = world.user.run("createLoadBalancerRule", publicipid=lb_ip["id"], name="only-one-client",
                              algorithm="source", publicport=80, privateport=8080,
                              cidrlist=f"{CLIENT}/32")["loadbalancer"]
        world.user.run("assignToLoadBalancerRule", id=rule["id"],
                       **{"vmidipmap[0].vmid": vm.id, "vmidipmap[0].vmip": guest})
        world.applied(network)
        assert world.topology.from_client(f"{nat['ipaddress']}:8080") == "dropped"
        world.user.run("createFirewallRule", ipaddressid=nat["id"], protocol="tcp", startport=8080, endport=8080,
                       cidrlist="0.0.0.0/0")
        world.applied(network)
        assert world.topology.from_client(f"{nat['ipaddress']}:8080") == f"{guest}:8080 from {CLIENT}"
        assert world.topology.from_client(f"{lb_ip['ipaddress']}:80") == f"{guest}:8080 from 10.1.1.1"
        assert world.topology.from_client(f"{lb_ip['ipaddress']}:80", source=OTHER_CLIENT) == "dropped"


def test_release_is_refused_while_traffic_flows_and_after_it_the_address_is_unreachable_other_rules_survive(
        world: RouterWorld) -> None:
    network = world.network(1)
    vm = world.vm(network)
    router_ns = world.topology.namespace("r")
    foreign = world.topology.foreign_rules(router_ns)
    world.router(network, ns=router_ns)
    added = world.user.run("addIpToNic", nicid=vm.nics[0]["id"])["nicsecondaryip"]
    vm.add_address(added["ipaddress"])
    public = world.user.run("associateIpAddress", networkid=network["id"])["ipaddress"]
    rule = world.user.run("createPortForwardingRule", ipaddressid=public["id"], protocol="tcp", publicport=2222,
                          privateport=9100, virtualmachineid=vm.id, vmguestip=added["ipaddress"])["portforwardingrule"]
    world.applied(network)
    assert foreign.survived()
    with world.topology.echo_stream_server(vm.ns, added["ipaddress"], 9100), \
            world.topology.streaming(world.client_ns, public["ipaddress"], 2222, 2.0, icmp=False) as stream:
        with pytest.raises(ApiError) as refused:
            world.user.run("removeIpFromNic", id=added["id"])
        assert refused.value.status == 536 and "port forwarding" in refused.value.text
    assert stream["tcp_echoed"] == stream["sent"] > 50 and not stream["tcp_error"], stream
    world.user.run("deletePortForwardingRule", id=rule["id"])
    world.user.run("removeIpFromNic", id=added["id"])
    world.user.run("disassociateIpAddress", id=public["id"])
    world.applied(network)
    assert unanswered(world.topology.from_client(f"{public['ipaddress']}:2222"))
    assert foreign.survived()
    assert f"ns-fw-{public['ipaddress'].replace('.', '-')}" not in world.topology.saved(router_ns, "iptables")


def test_load_balancing_over_a_primary_and_two_secondaries_keeps_every_request_through_twenty_reloads(
        world: RouterWorld) -> None:
    network = world.network(1)
    web1, web2 = world.vm(network), world.vm(network)
    world.router(network)
    web1_secondary, web2_secondary = secondary(world, web1.nics[0]), secondary(world, web2.nics[0])
    web1.add_address(web1_secondary)
    web2.add_address(web2_secondary)
    members = {(web1.id, web1.nics[0]["ipaddress"]), (web1.id, web1_secondary), (web2.id, web2_secondary)}
    backends = sorted(f"{address}:8080" for _, address in members)
    with world.topology.slow_server(web1.ns, 0.05, f"{web1.nics[0]['ipaddress']}:8080", f"{web1_secondary}:8080"), \
            world.topology.slow_server(web2.ns, 0.05, f"{web2_secondary}:8080"):
        ip = world.user.run("associateIpAddress", networkid=network["id"])["ipaddress"]
        rule = world.user.run("createLoadBalancerRule", publicipid=ip["id"], name="web", algorithm="roundrobin",
                              publicport=80, privateport=8080)["loadbalancer"]

        def members_call(command: str, chosen: set[tuple[str, str]]) -> None:
            pairs = {k: v for i, (vm, address) in enumerate(sorted(chosen))
                     for k, v in ((f"vmidipmap[{i}].vmid", vm), (f"vmidipmap[{i}].vmip", address))}
            world.user.run(command, id=rule["id"], **pairs)

        def served_by(requests: int) -> list[str]:
            return sorted({world.topology.from_client(f"{ip['ipaddress']}:80") for _ in range(requests)})

        members_call("assignToLoadBalancerRule", members)
        world.applied(network)
        assert served_by(6) == backends
        members_call("removeFromLoadBalancerRule", {(web2.id, web2_secondary)})
        world.applied(network)
        assert served_by(6) == [b for b in backends if not b.startswith(web2_secondary + ":")]
        agent = world.routers[network["id"]].agent
        before = agent.output().count("haproxy reloaded")
        with world.topology.load(ip["ipaddress"], 80, workers=4) as load:
            for change in range(20):
                command = "assignToLoadBalancerRule" if change % 2 == 0 else "removeFromLoadBalancerRule"
                members_call(command, {(web2.id, web2_secondary)})
                world.applied(network)
        assert agent.output().count("haproxy reloaded") - before == 20
    assert load["answered"] > 100 and load["failed"] == 0, load


def test_a_failed_apply_is_reported_with_its_reason_and_retried_until_the_router_is_fixed(
        world: RouterWorld) -> None:
    network = world.network(1)
    world.vm(network)
    router_ns = world.topology.namespace("r")
    world.topology.plug(router_ns, "pub9", world.client_ns, world.topology.device("cpub"), master="pub")
    world.topology.plug(router_ns, "gst9", world.host_ns, world.topology.device("rgst"),
                        master=world.bridges[network["id"]])
    keys = agent_keys(world.admin, networkid=network["id"])
    args = ("--network", network["id"], "--netns", router_ns, "--public-dev", "missing0", "--guest-dev",
            f"{network['id']}=gst9", "--run-dir", str(world.tmp / "run"))
    with running_agent(world.served, keys, "router", *args, log=world.tmp / "agent.log") as agent:
        deadline = time.monotonic() + APPLY_TIMEOUT
        while "attempt 2" not in agent.output() and time.monotonic() < deadline:
            time.sleep(0.1)
        [shown] = world.admin.items("listRouters", "router", networkid=network["id"])
    assert shown["dataplanestate"] == "Failed" and "missing0" in shown["lasterror"], shown
    assert shown["appliedgeneration"] == 0 and shown["publishedgeneration"] >= 1
    fixed = ("--network", network["id"], "--netns", router_ns, "--public-dev", "pub9", "--guest-dev",
             f"{network['id']}=gst9", "--run-dir", str(world.tmp / "run"))
    with running_agent(world.served, keys, "router", *fixed, log=world.tmp / "agent-fixed.log") as agent:
        wait_applied(world.admin, {"networkid": network["id"]}, agent)
        [shown] = world.admin.items("listRouters", "router", networkid=network["id"])
    assert shown["dataplanestate"] == "Applied" and shown["appliedgeneration"] == shown["publishedgeneration"]
    assert shown["guestnetworkid"] == network["id"] and shown["role"] == "VIRTUAL_ROUTER"


def test_no_blink_through_static_nat_while_the_router_agent_re_applies_the_same_state(world: RouterWorld) -> None:
    network = world.network(1)
    vm = world.vm(network)
    router = world.router(network)
    guest = secondary(world, vm.nics[0])
    vm.add_address(guest)
    public = world.static_nat(vm.id, guest, network, 9100)
    world.user.run("createFirewallRule", ipaddressid=public["id"], protocol="icmp", icmptype=-1, icmpcode=-1,
                   cidrlist="0.0.0.0/0")
    world.applied(network)
    saved = world.topology.saved(router.ns, "iptables")
    with world.topology.echo_stream_server(vm.ns, guest, 9100), \
            world.topology.streaming(world.client_ns, public["ipaddress"], 9100, 4.0) as stream:
        for _ in range(3):
            router.agent.kill()
            router.agent.start()
            world.applied(network)
    assert stream["sent"] > 100 and not stream["tcp_error"], stream
    assert (stream["icmp_answered"], stream["tcp_echoed"]) == (stream["sent"], stream["sent"]), stream
    assert world.topology.saved(router.ns, "iptables") == saved


def test_a_vpc_router_serves_static_nat_to_a_tiers_secondary_ip_and_routes_between_its_tiers(
        world: RouterWorld) -> None:
    vpc = world.vpc()
    web, db = world.network(1, vpc), world.network(2, vpc)
    web_vm, db_vm = world.vm(web), world.vm(db)
    world.router(web, db, vpc=vpc)
    guest = secondary(world, db_vm.nics[0])
    db_vm.add_address(guest)
    public = world.user.run("associateIpAddress", vpcid=vpc["id"])["ipaddress"]
    world.user.call("enableStaticNat", ipaddressid=public["id"], virtualmachineid=db_vm.id, vmguestip=guest,
                    networkid=db["id"])
    world.applied(db)
    with db_vm.serving(f"{guest}:8080"):
        assert world.topology.from_client(f"{public['ipaddress']}:8080") == f"{guest}:8080 from {CLIENT}"
        web_primary = web_vm.nics[0]["ipaddress"]
        assert web_vm.connect(f"{guest}:8080", web_primary) == f"{guest}:8080 from {web_primary}"


def test_a_vpc_tiers_acl_list_lets_in_what_it_allows_and_drops_what_a_deny_item_names(world: RouterWorld) -> None:
    vpc = world.vpc()
    web, db = world.network(3, vpc), world.network(4, vpc)
    web_vm, db_vm = world.vm(web), world.vm(db)
    world.router(web, db, vpc=vpc)
    target = db_vm.nics[0]["ipaddress"]
    address = world.user.run("associateIpAddress", vpcid=vpc["id"])["ipaddress"]
    public = address["ipaddress"]
    world.user.call("enableStaticNat", ipaddressid=address["id"], virtualmachineid=db_vm.id, networkid=db["id"])
    acl = world.user.run("createNetworkACLList", name=unique("acl"), vpcid=vpc["id"])["networkacllist"]
    world.user.run("createNetworkACL", aclid=acl["id"], protocol="tcp", startport=8080, number=10)
    world.applied(db)
    web_primary = web_vm.nics[0]["ipaddress"]
    with db_vm.serving(f"{target}:8080", f"{target}:9090"):
        # Without a list, static NAT lets every port in.
        assert world.topology.from_client(f"{public}:9090") == f"{target}:9090 from {CLIENT}"
        world.user.run("replaceNetworkACLList", aclid=acl["id"], networkid=db["id"])
        world.applied(db)
        assert world.topology.from_client(f"{public}:8080") == f"{target}:8080 from {CLIENT}"
        assert world.topology.from_client(f"{public}:9090") == "dropped"
        assert web_vm.connect(f"{target}:8080", web_primary) == f"{target}:8080 from {web_primary}"
        assert web_vm.connect(f"{target}:9090", web_primary) == "dropped"
        # A deny item numbered before the allow wins for the sources it names, only for them.
        world.user.run("createNetworkACL", aclid=acl["id"], protocol="tcp", startport=8080, number=5, action="deny",
                       cidrlist=f"{CLIENT}/32")
        world.applied(db)
        assert world.topology.from_client(f"{public}:8080") == "dropped"
        assert web_vm.connect(f"{target}:8080", web_primary) == f"{target}:8080 from {web_primary}"
    # Egress: everything leaves until the list says something about egress; a deny item then drops its traffic.
    with world.topology.serving(world.client_ns, f"{CLIENT}:7000"):
        assert db_vm.connect(f"{CLIENT}:7000") == f"{CLIENT}:7000 from {public}"
        world.user.run("createNetworkACL", aclid=acl["id"], protocol="tcp", startport=7000, number=20,
                       action="deny", traffictype="egress", cidrlist=f"{CLIENT}/32")
        world.applied(db)
        assert db_vm.connect(f"{CLIENT}:7000") == "dropped"
