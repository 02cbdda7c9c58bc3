"""Who sees what in the browser: another account's shared-network usage without owners, its ids in URLs
answered as "not found", signing out, and a session that ends while the page is open."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.process import Served
from tests.support.world import Tenant, make_tenant
from tests.ui.browser import Ui

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def other(served: Served) -> Tenant:
    return make_tenant(served.admin)


def sign_in_as(ui: Ui, tenant: Tenant, then: str = "/instances") -> None:
    ui.sign_in(tenant.account, "pw-" + tenant.account, then)


def demo_world(served: Served) -> dict[str, Any]:
    vm = served.demo.items("listVirtualMachines", "virtualmachine", name="web-1")[0]
    ip = served.demo.items("listPublicIpAddresses", "publicipaddress")[0]
    group = served.demo.items("listSecurityGroups", "securitygroup")[0]
    return {"vm": vm, "nic": vm["nic"][0], "ip": ip, "group": group}


def test_a_shared_network_s_usage_matches_list_free_ip_addresses_and_names_no_owner(
        ui: Ui, served: Served, other: Tenant) -> None:
    shared = next(n for n in other.client.items("listNetworks", "network") if n["name"] == "demo-shared")
    served.demo.run("addIpToNic", nicid=served.demo.items("listVirtualMachines", "virtualmachine",
                                                          name="sg-kvm-1")[0]["nic"][0]["id"], ipaddress="10.3.0.77")
    sign_in_as(ui, other, f"/networks/{shared['id']}")
    free = other.client.call("listFreeIpAddresses", networkid=shared["id"])["freeipaddress"]
    shown = ui.table_rows("Free IPv4 ranges")
    assert [(r["From"], r["To"], r["Addresses"].replace(",", "")) for r in shown] == [
        (r["start"], r["end"], str(r["count"])) for r in free["ipv4"]["ranges"]]
    text = ui.main().inner_text()
    assert f"{free['ipv4']['free']:,} free" in text
    for secret in ("sg-kvm-1", "sg-xen-1", "demo ", "(demo)", "Primary", "Secondary"):
        assert secret not in text, secret
    legend = ui.page.get_by_role("list", name="Addresses by kind").first.inner_text()
    assert "Taken" in legend and "Free" in legend
    ui.screenshot("network-shared")


def test_another_account_s_ids_in_urls_show_nothing(ui: Ui, served: Served, other: Tenant) -> None:
    world = demo_world(served)
    sign_in_as(ui, other)
    assert "No instances yet." in ui.main().inner_text()
    ui.expect_refusal(431)
    for path in (f"/instances/{world['vm']['id']}", f"/instances/{world['vm']['id']}/nics",
                 f"/instances/{world['vm']['id']}/nics/{world['nic']['id']}", f"/networks/{world['nic']['networkid']}",
                 f"/public-ips/{world['ip']['id']}", f"/public-ips/{world['ip']['id']}/port-forwarding",
                 f"/security-groups/{world['group']['id']}"):
        ui.goto(path)
        expect(ui.page.get_by_role("heading", level=1)).to_have_text("Not found")
        text = ui.main().inner_text()
        assert "web-1" not in text and world["nic"]["ipaddress"] not in text and world["ip"]["ipaddress"] not in text


def test_signing_out_ends_the_session(ui: Ui) -> None:
    ui.sign_in()
    ui.page.get_by_role("button", name="Sign out").click()
    ui.page.wait_for_url("**/login?reason=signed-out")
    ui.ready()
    expect(ui.page.get_by_text("You are signed out.")).to_be_visible()
    ui.goto("/networks")
    assert "/login?next=%2Fnetworks" in ui.page.url
    assert not any(c["name"] == "sessionkey" for c in ui.context.cookies())


def test_an_ended_session_sends_back_to_sign_in_and_then_to_the_page(ui: Ui, served: Served) -> None:
    ui.sign_in()
    with sqlite3.connect(served.log.parent / "nicstack.db") as db:
        db.execute("UPDATE sessions SET expires = '2000-01-01 00:00:00.000000'")
    ui.expect_refusal(401)
    ui.page.get_by_role("link", name="Networks").click()
    ui.page.wait_for_url("**/login?next=%2Fnetworks&reason=expired")
    ui.ready()
    expect(ui.page.get_by_text("Your session has ended.")).to_be_visible()
    username, password = served.demo_login()
    ui.page.get_by_label("Username").fill(username)
    ui.page.get_by_label("Password").fill(password)
    ui.page.get_by_role("button", name="Sign in").click()
    ui.page.wait_for_url("**/networks")
    ui.ready()
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Networks")


def test_a_wrong_password_is_said_inline(ui: Ui) -> None:
    ui.goto("/login")
    ui.expect_refusal(401)
    ui.page.get_by_label("Username").fill(ui.served.demo_login()[0])
    ui.page.get_by_label("Password").fill("not-the-password")
    ui.page.get_by_role("button", name="Sign in").click()
    assert "The username, password or domain is wrong" in ui.alert_text()
    assert ui.page.url.endswith("/login")


def test_the_root_admin_sees_every_account_s_instances(ui: Ui, served: Served) -> None:
    ui.sign_in("admin", served.password)
    rows = ui.table_rows("Instances")
    accounts = {row["Account"] for row in rows}
    assert "demo" in accounts
    names = {row["Name"] for row in rows}
    assert {vm["name"] for vm in served.admin.items("listVirtualMachines", "virtualmachine", listall=True)} == names
    expect(ui.page.get_by_text("admin (admin)")).to_be_visible()
