"""Every main page on the demo world grown to 1,000 secondary addresses (on a /16), at laptop and phone
widths: a screenshot of each in build/ui/, its load time printed (measured, not asserted), every
control named in Chromium's accessibility tree, nothing wider than a phone's screen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import ViewportSize

from tests.support.process import Served, serving
from tests.ui.browser import LAPTOP, PHONE, Ui

pytestmark = pytest.mark.ui

GROWN_TO = 1000
BIG_VMS = 4


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo world plus 1,000 secondary addresses on four VMs of a /16, and web-1 with a secondary
    address behind each kind of rule."""
    with serving(tmp_path_factory.mktemp("ui-pages"), "--demo") as server:
        demo = server.demo
        web = demo.items("listVirtualMachines", "virtualmachine", name="web-1")[0]
        offering = demo.items("listNetworkOfferings", "networkoffering",
                              name="DefaultIsolatedNetworkOfferingWithSourceNatService")[0]["id"]
        big = demo.call("createNetwork", name="demo-big", displaytext="A /16", zoneid=web["zoneid"],
                        networkofferingid=offering, gateway="10.20.0.1", netmask="255.255.0.0")["network"]
        jobs = []
        for n in range(1, BIG_VMS + 1):
            vm = demo.run("deployVirtualMachine", zoneid=web["zoneid"], serviceofferingid=web["serviceofferingid"],
                          templateid=web["templateid"], networkids=big["id"], name=f"big-{n}")["virtualmachine"]
            jobs += [demo.call("addIpToNic", nicid=vm["nic"][0]["id"])["jobid"] for _ in range(GROWN_TO // BIG_VMS)]
        assert all(demo.wait(job)["jobstatus"] == 1 for job in jobs[-BIG_VMS:])
        nic = web["nic"][0]
        nat, forwarded, balanced = (demo.run("addIpToNic", nicid=nic["id"])["nicsecondaryip"]["ipaddress"]
                                    for _ in range(3))
        ips = [demo.run("associateIpAddress", networkid=nic["networkid"])["ipaddress"] for _ in range(3)]
        demo.call("enableStaticNat", ipaddressid=ips[0]["id"], virtualmachineid=web["id"], vmguestip=nat)
        demo.run("createPortForwardingRule", ipaddressid=ips[1]["id"], protocol="tcp", publicport=2222,
                 privateport=22, virtualmachineid=web["id"], vmguestip=forwarded, openfirewall=True)
        demo.run("createLoadBalancerRuleWithMembers", publicipid=ips[2]["id"], name="web", algorithm="roundrobin",
                 publicport=80, privateport=8080, **{"vmidipmap[0].vmid": web["id"],
                                                     "vmidipmap[0].vmip": nic["ipaddress"],
                                                     "vmidipmap[1].vmid": web["id"], "vmidipmap[1].vmip": balanced})
        yield server


def pages(served: Served) -> list[tuple[str, str]]:
    demo = served.demo
    big = demo.items("listVirtualMachines", "virtualmachine", name="big-1")[0]
    web = demo.items("listVirtualMachines", "virtualmachine", name="web-1")[0]
    nets = {n["name"]: n["id"] for n in demo.items("listNetworks", "network")}
    ip = next(i for i in demo.items("listPublicIpAddresses", "publicipaddress") if i["isstaticnat"])
    balanced = demo.items("listLoadBalancerRules", "loadbalancerrule")[0]["publicipid"]
    group = demo.items("listSecurityGroups", "securitygroup")[0]
    return [
        ("instances", "/instances"),
        ("instance", f"/instances/{big['id']}"),
        ("instance-nics", f"/instances/{web['id']}/nics"),
        ("nic-250-addresses", f"/instances/{big['id']}/nics/{big['nic'][0]['id']}"),
        ("nic", f"/instances/{web['id']}/nics/{web['nic'][0]['id']}"),
        ("networks", "/networks"),
        ("network-16", f"/networks/{nets['demo-big']}"),
        ("network-24", f"/networks/{nets['demo-network']}"),
        ("network-shared-ipv6", f"/networks/{nets['demo-shared']}"),
        ("network-basic-zone", f"/networks/{nets['demo-basic']}"),
        ("public-ips", "/public-ips"),
        ("public-ip-static-nat", f"/public-ips/{ip['id']}/static-nat"),
        ("public-ip-port-forwarding", f"/public-ips/{ip['id']}/port-forwarding"),
        ("public-ip-load-balancing", f"/public-ips/{balanced}/load-balancing"),
        ("public-ip-firewall", f"/public-ips/{ip['id']}/firewall"),
        ("security-groups", "/security-groups"),
        ("security-group", f"/security-groups/{group['id']}"),
        ("events", "/events"),
        ("events-filtered", "/events?type=NIC.SECONDARY.IP.ASSIGN"),
    ]


@pytest.mark.parametrize("width", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_page_at_laptop_and_phone_width(ui: Ui, served: Served, width: ViewportSize) -> None:
    ui.page.set_viewport_size(width)
    ui.goto("/login")
    assert ui.unnamed_controls() == []
    ui.screenshot("login")
    ui.sign_in()
    for name, path in pages(served):
        ui.goto(path)
        assert ui.page.get_by_role("heading", level=1).inner_text() not in ("Not found", "Something went wrong"), path
        assert ui.unnamed_controls() == [], path
        overflow: Any = ui.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow} px wider than the {width['width']} px window"
        ui.screenshot(name)


def test_the_grown_nic_and_the_16_are_shown_whole(ui: Ui, served: Served) -> None:
    ui.sign_in()
    listed = dict(pages(served))
    per_nic = GROWN_TO // BIG_VMS
    ui.goto(listed["nic-250-addresses"])
    rows = ui.page.get_by_role("table", name="Addresses of NIC 0").locator("tbody tr")
    assert rows.count() == per_nic + 1
    assert f"{per_nic} of 256 secondary addresses" in ui.main().inner_text()
    ui.goto(listed["network-16"])
    text = ui.main().inner_text()
    assert "65,534 addresses" in text and f"Secondary: {GROWN_TO:,}" in text
    assert f"Primary (a NIC's own address): {BIG_VMS}" in text
    assert ui.page.locator(".grid").first.locator(".cell").count() == 256
    # Navigating inside the app (no reload): the NIC page again, from its instance's NICs tab.
    ui.goto(listed["instance"])
    ui.click_through(ui.page.get_by_role("link", name="NICs", exact=True))
    ui.click_through(ui.page.get_by_role("link", name="Addresses of NIC 0 (demo-big)"))
    assert rows.count() == per_nic + 1


def test_each_rule_shows_on_its_address(ui: Ui, served: Served) -> None:
    ui.sign_in()
    ui.goto(dict(pages(served))["nic"])
    rules = [row["Rules"] for row in ui.table_rows("Addresses of NIC 0")]
    assert rules[0].startswith("Load balancer web")
    assert [r.split(" ")[0] for r in rules[1:]] == ["Static", "Port", "Load"]
