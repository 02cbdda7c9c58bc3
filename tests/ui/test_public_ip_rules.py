"""Public IPs in the browser: static NAT to a secondary address (refused release, with the reason and a
link to the rule), a VM's second NIC in the picker, port forwarding and a load balancer with members."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.client import Client
from tests.support.process import Served
from tests.ui.browser import Ui, secondaries

pytestmark = pytest.mark.ui


def vm_named(client: Client, name: str) -> dict[str, Any]:
    found: dict[str, Any] = client.items("listVirtualMachines", "virtualmachine", name=name)[0]
    return found


def acquire_in_ui(ui: Ui, network_name: str) -> str:
    """Acquire a public IP for a network on the Public IPs page; returns its address (the page it lands on)."""
    ui.goto("/public-ips")
    ui.page.get_by_label("For").select_option(label=network_name)
    ui.page.get_by_role("button", name="Acquire public IP").click()
    ui.page.wait_for_url(re.compile(r"/public-ips/[0-9a-f-]{36}$"))
    ui.ready()
    title = ui.page.get_by_role("heading", level=1).inner_text()
    return title.removeprefix("Public IP ")


def picker_options(ui: Ui) -> list[str]:
    return [o.strip() for o in ui.page.get_by_label("Guest address").locator("option").all_inner_texts()]


def test_static_nat_on_a_secondary_blocks_its_release_until_disabled(ui: Ui, served: Served) -> None:
    demo = served.demo
    vm = vm_named(demo, "web-1")
    nic = vm["nic"][0]
    secondary = demo.run("addIpToNic", nicid=nic["id"])["nicsecondaryip"]["ipaddress"]
    ui.sign_in()
    public = acquire_in_ui(ui, "demo-network")

    ui.page.get_by_label("Instance").select_option(label="web-1")
    listed = [nic["ipaddress"], *secondaries(demo, vm["id"], nic["id"])]
    assert picker_options(ui) == [f"{listed[0]} (primary)", *(f"{a} (secondary)" for a in listed[1:])]
    expect(ui.page.get_by_label("Guest address")).to_have_value(nic["ipaddress"])
    ui.page.get_by_label("Guest address").select_option(value=secondary)
    ui.page.get_by_role("button", name="Enable static NAT").click()
    mapping = ui.page.locator(".mapping")
    expect(mapping).to_contain_text(f"{public} → web-1 {secondary}")
    expect(mapping).to_contain_text("secondary")
    ip = demo.items("listPublicIpAddresses", "publicipaddress", ipaddress=public)[0]
    assert ip["isstaticnat"] and ip["vmipaddress"] == secondary
    ui.screenshot("public-ip-static-nat")

    # The NIC page shows the rule on that address; releasing it is refused with the reason and a link.
    ui.goto(f"/instances/{vm['id']}/nics/{nic['id']}")
    row = ui.page.get_by_role("row").filter(has=ui.page.get_by_text(secondary, exact=True))
    expect(row.get_by_role("link", name=f"Static NAT from {public}")).to_be_visible()
    ui.expect_refusal(536)
    ui.page.get_by_role("button", name=f"Release {secondary}").click()
    ui.page.get_by_role("dialog").get_by_role("button", name="Release").click()
    alert = ui.page.get_by_role("alert")
    expect(alert).to_contain_text(f"Cannot release secondary IP {secondary}: it is the target of static NAT from "
                                  f"public IP {public}")
    ui.click_through(alert.get_by_role("link", name=f"Static NAT from {public}"))
    assert ui.page.url.endswith("/static-nat")

    ui.page.get_by_role("button", name="Disable static NAT").click()
    ui.next_status(ui.page.get_by_role("dialog").get_by_role("button", name="Disable").click, "disabled")
    expect(ui.page.get_by_role("button", name="Enable static NAT")).to_be_visible()
    assert not demo.items("listPublicIpAddresses", "publicipaddress", ipaddress=public)[0]["isstaticnat"]

    # The back button returns to the NIC page; now the release goes through.
    ui.page.go_back()
    ui.ready()
    assert f"/nics/{nic['id']}" in ui.page.url
    ui.page.get_by_role("button", name=f"Release {secondary}").click()
    ui.next_status(ui.page.get_by_role("dialog").get_by_role("button", name="Release").click, f"Released {secondary}")
    assert secondary not in secondaries(demo, vm["id"], nic["id"])


def test_the_picker_offers_the_addresses_of_the_nic_in_the_ip_s_network(ui: Ui, served: Served) -> None:
    demo = served.demo
    vm = vm_named(demo, "web-2")
    zone = vm["zoneid"]
    offering = demo.items("listNetworkOfferings", "networkoffering",
                          name="DefaultIsolatedNetworkOfferingWithSourceNatService")[0]["id"]
    second = demo.call("createNetwork", name="demo-second", displaytext="second", zoneid=zone,
                       networkofferingid=offering, gateway="10.1.9.1", netmask="255.255.255.0")["network"]
    vm = demo.run("addNicToVirtualMachine", virtualmachineid=vm["id"], networkid=second["id"])["virtualmachine"]
    first_nic = next(n for n in vm["nic"] if n["networkid"] != second["id"])
    second_nic = next(n for n in vm["nic"] if n["networkid"] == second["id"])
    demo.run("addIpToNic", nicid=first_nic["id"])
    wanted = demo.run("addIpToNic", nicid=second_nic["id"])["nicsecondaryip"]["ipaddress"]
    ui.sign_in()
    public = acquire_in_ui(ui, "demo-second")

    ui.page.get_by_label("Instance").select_option(label="web-2")
    listed = [second_nic["ipaddress"], *secondaries(demo, vm["id"], second_nic["id"])]
    assert picker_options(ui) == [f"{listed[0]} (primary)", *(f"{a} (secondary)" for a in listed[1:])]
    assert all(option.startswith("10.1.9.") for option in picker_options(ui))
    ui.page.get_by_label("Guest address").select_option(value=wanted)
    ui.page.get_by_role("button", name="Enable static NAT").click()
    expect(ui.page.locator(".mapping")).to_contain_text(f"{public} → web-2 {wanted}")
    ip = demo.items("listPublicIpAddresses", "publicipaddress", ipaddress=public)[0]
    assert ip["vmipaddress"] == wanted and ip["virtualmachineid"] == vm["id"]


def test_port_forwarding_and_a_load_balancer_on_secondary_addresses(ui: Ui, served: Served) -> None:
    demo = served.demo
    vm = vm_named(demo, "web-1")
    nic = vm["nic"][0]
    secondary = demo.run("addIpToNic", nicid=nic["id"])["nicsecondaryip"]["ipaddress"]
    ui.sign_in()

    forwarded = acquire_in_ui(ui, "demo-network")
    ui.click_through(ui.page.get_by_role("link", name="Port forwarding", exact=True))
    ui.page.get_by_label("Public port", exact=True).fill("2222")
    ui.page.get_by_label("Private port", exact=True).fill("22")
    ui.page.get_by_label("Instance").select_option(label="web-1")
    ui.page.get_by_label("Guest address").select_option(value=secondary)
    ui.next_status(ui.page.get_by_role("button", name="Add rule").click, "Port forwarding to")
    [row] = ui.table_rows(f"Port forwarding rules of {forwarded}")
    assert row["Public ports"] == "2222" and row["Private ports"] == "22" and row["Guest address"] == secondary
    [rule] = demo.items("listPortForwardingRules", "portforwardingrule", ipaddressid=
                        demo.items("listPublicIpAddresses", "publicipaddress", ipaddress=forwarded)[0]["id"])
    assert rule["vmguestip"] == secondary and rule["publicport"] == "2222"

    balanced = acquire_in_ui(ui, "demo-network")
    ui.click_through(ui.page.get_by_role("link", name="Load balancing", exact=True))
    ui.page.get_by_label("Name", exact=True).fill("web")
    ui.page.get_by_label("Public port", exact=True).fill("80")
    ui.page.get_by_label("Private port", exact=True).fill("8080")
    members = ui.page.get_by_role("group", name="web-1")
    members.get_by_label(f"{nic['ipaddress']} (primary)").check()
    members.get_by_label(f"{secondary} (secondary)").check()
    ui.next_status(ui.page.get_by_role("button", name="Create load balancer").click, "created with 2 members")
    [shown] = ui.table_rows(f"Load balancer rules of {balanced}")
    assert shown["Name"] == "web" and f"web-1 {nic['ipaddress']}" in shown["Members"]
    assert f"web-1 {secondary}" in shown["Members"]
    ip_id = demo.items("listPublicIpAddresses", "publicipaddress", ipaddress=balanced)[0]["id"]
    [lb] = demo.items("listLoadBalancerRules", "loadbalancerrule", publicipid=ip_id)
    [member] = demo.items("listLoadBalancerRuleInstances", "lbrulevmidip", id=lb["id"], lbvmips=True)
    assert sorted(member["lbvmipaddresses"]) == sorted([nic["ipaddress"], secondary])
    ui.screenshot("public-ip-load-balancing")
