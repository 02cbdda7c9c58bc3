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
LIMIT_KEY = "vm.network.nic.max.secondary.ipaddresses"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo world plus a VM on a /16 whose NIC holds 1,000 secondary addresses, and a rule of each kind."""
    with serving(tmp_path_factory.mktemp("ui-pages"), "--demo") as server:
        demo, admin = server.demo, server.admin
        web = demo.items("listVirtualMachines", "virtualmachine", name="web-1")[0]
        offering = demo.items("listNetworkOfferings", "networkoffering",
                              name="DefaultIsolatedNetworkOfferingWithSourceNatService")[0]["id"]
        big = demo.call("createNetwork", name="demo-big", displaytext="A /16", zoneid=web["zoneid"],
                        networkofferingid=offering, gateway="10.20.0.1", netmask="255.255.0.0")["network"]
        vm = demo.run("deployVirtualMachine", zoneid=web["zoneid"], serviceofferingid=web["serviceofferingid"],
                      templateid=web["templateid"], networkids=big["id"], name="big-1")["virtualmachine"]
        admin.call("updateConfiguration", name=LIMIT_KEY, value=str(GROWN_TO + 100))
        nic = vm["nic"][0]["id"]
        jobs = [demo.call("addIpToNic", nicid=nic)["jobid"] for _ in range(GROWN_TO)]
        assert demo.wait(jobs[-1])["jobstatus"] == 1
        secondary = demo.run("addIpToNic", nicid=web["nic"][0]["id"])["nicsecondaryip"]["ipaddress"]
        ip = demo.run("associateIpAddress", networkid=web["nic"][0]["networkid"])["ipaddress"]
        demo.call("enableStaticNat", ipaddressid=ip["id"], virtualmachineid=web["id"], vmguestip=secondary)
        yield server


def pages(served: Served) -> list[tuple[str, str]]:
    demo = served.demo
    big = demo.items("listVirtualMachines", "virtualmachine", name="big-1")[0]
    web = demo.items("listVirtualMachines", "virtualmachine", name="web-1")[0]
    nets = {n["name"]: n["id"] for n in demo.items("listNetworks", "network")}
    ip = next(i for i in demo.items("listPublicIpAddresses", "publicipaddress") if i["isstaticnat"])
    group = demo.items("listSecurityGroups", "securitygroup")[0]
    return [
        ("instances", "/instances"),
        ("instance", f"/instances/{big['id']}"),
        ("instance-nics", f"/instances/{web['id']}/nics"),
        ("nic-1000-addresses", f"/instances/{big['id']}/nics/{big['nic'][0]['id']}"),
        ("nic", f"/instances/{web['id']}/nics/{web['nic'][0]['id']}"),
        ("networks", "/networks"),
        ("network-16", f"/networks/{nets['demo-big']}"),
        ("network-24", f"/networks/{nets['demo-network']}"),
        ("network-shared-ipv6", f"/networks/{nets['demo-shared']}"),
        ("public-ips", "/public-ips"),
        ("public-ip-static-nat", f"/public-ips/{ip['id']}/static-nat"),
        ("public-ip-port-forwarding", f"/public-ips/{ip['id']}/port-forwarding"),
        ("public-ip-load-balancing", f"/public-ips/{ip['id']}/load-balancing"),
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
    ui.goto(listed["nic-1000-addresses"])
    rows = ui.page.get_by_role("table", name="Addresses of NIC 0").locator("tbody tr")
    assert rows.count() == GROWN_TO + 1
    assert f"{GROWN_TO} of {GROWN_TO + 100} secondary addresses" in ui.main().inner_text()
    ui.goto(listed["network-16"])
    text = ui.main().inner_text()
    assert "65,534 addresses" in text and "Secondary: 1,000" in text
    cells = ui.page.locator(".grid").first.locator(".cell")
    assert cells.count() == 256
    # Navigating inside the app (no reload): the NIC page again, from its instance's NICs tab.
    ui.goto(listed["instance"])
    ui.click_through(ui.page.get_by_role("link", name="NICs", exact=True))
    ui.click_through(ui.page.get_by_role("link", name="Addresses of NIC 0 (demo-big)"))
    assert rows.count() == GROWN_TO + 1
