"""A NIC's addresses in the browser: acquire an automatic and a given address, the in-use error, release;
after each step the page shows what listNics says. The same with the keyboard alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.process import Served
from tests.ui.browser import Ui, secondaries

pytestmark = pytest.mark.ui


def open_nic(ui: Ui, vm_name: str) -> tuple[str, str]:
    """From the instances list to the VM's first NIC, by clicking; returns (vm id, nic id)."""
    ui.click_through(ui.page.get_by_role("link", name=vm_name, exact=True))
    ui.click_through(ui.page.get_by_role("link", name="NICs", exact=True))
    ui.click_through(ui.page.get_by_role("link", name=re.compile(r"^Addresses of NIC 0")))
    _, vm_id, _, nic_id = ui.page.url.rsplit("/", 3)
    return vm_id, nic_id


def shown_secondaries(ui: Ui) -> list[str]:
    return [row["Address"] for row in ui.table_rows("Addresses of NIC 0") if row["Role"] == "Secondary"]


def assert_matches_list_nics(ui: Ui, served: Served, vm_id: str, nic_id: str) -> None:
    expected = secondaries(served.demo, vm_id, nic_id)
    expect(ui.page.get_by_role("table", name="Addresses of NIC 0").locator("tbody tr")).to_have_count(
        len(expected) + 1)
    assert shown_secondaries(ui) == expected
    assert re.search(rf"\b{len(expected)} of 256 secondary addresses", ui.main().inner_text())


def acquire(ui: Ui, address: str = "") -> str:
    ui.page.get_by_label("Address (optional)").fill(address)
    said = ui.next_status(ui.page.get_by_role("button", name="Acquire", exact=True).click, "^Acquired ")
    found = re.search(r"Acquired (\S+)\.", said)
    assert found, said
    return found.group(1)


def test_acquire_automatic_then_given_then_in_use_then_release(ui: Ui, served: Served) -> None:
    ui.sign_in()
    vm_id, nic_id = open_nic(ui, "web-1")
    assert ui.table_rows("Addresses of NIC 0")[0]["Role"] == "Primary"
    assert_matches_list_nics(ui, served, vm_id, nic_id)

    automatic = acquire(ui)
    assert_matches_list_nics(ui, served, vm_id, nic_id)
    assert automatic in shown_secondaries(ui)

    # A given one, picked from this network's free list (numeric order: the first free range first).
    pick = ui.page.get_by_role("button", name=re.compile(r"^Use 10\.1\.1\.")).first
    given = (pick.text_content() or "").removeprefix("Use ")
    pick.click()
    expect(ui.page.get_by_label("Address (optional)")).to_have_value(given)
    assert acquire(ui, given) == given
    assert_matches_list_nics(ui, served, vm_id, nic_id)

    # The same address again: refused inline with the server's reason, nothing changes.
    ui.expect_refusal(536)
    ui.page.get_by_label("Address (optional)").fill(given)
    ui.page.get_by_role("button", name="Acquire", exact=True).click()
    assert f"IP address {given} is already in use" in ui.alert_text()
    assert_matches_list_nics(ui, served, vm_id, nic_id)

    ui.page.get_by_role("button", name=f"Release {automatic}").click()
    dialog = ui.page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Release {automatic}?")
    ui.next_status(dialog.get_by_role("button", name="Release").click, f"^Released {automatic}")
    assert_matches_list_nics(ui, served, vm_id, nic_id)
    assert automatic not in shown_secondaries(ui) and given in shown_secondaries(ui)
    ui.screenshot("nic-addresses")


def test_cancelling_a_release_keeps_the_address(ui: Ui, served: Served) -> None:
    ui.sign_in()
    vm_id, nic_id = open_nic(ui, "web-2")
    address = acquire(ui)
    ui.page.get_by_role("button", name=f"Release {address}").click()
    ui.page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(ui.page.get_by_role("dialog")).to_have_count(0)
    assert shown_secondaries(ui) == secondaries(served.demo, vm_id, nic_id) == [address]


def tab_to(ui: Ui, name: str, limit: int = 80) -> None:
    """Press Tab until the focused element's accessible name is `name` (like a keyboard user would)."""
    for _ in range(limit):
        ui.page.keyboard.press("Tab")
        focused = ui.page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.getAttribute('aria-label') || e.labels?.[0]?.textContent || e.textContent || ''; }")
        if focused.strip().startswith(name):
            return
    raise AssertionError(f"no control named {name!r} reached with Tab")


def test_keyboard_only_acquire_and_release(ui: Ui, served: Served) -> None:
    ui.sign_in()
    vm = served.demo.items("listVirtualMachines", "virtualmachine", name="vpc-web-1")[0]
    nic_id = vm["nic"][0]["id"]
    ui.goto(f"/instances/{vm['id']}/nics/{nic_id}")
    before = secondaries(served.demo, vm["id"], nic_id)

    tab_to(ui, "Address (optional)")
    # Enter submits the form: an empty field means "any free address".
    ui.next_status(lambda: ui.page.keyboard.press("Enter"), "^Acquired ")
    after = secondaries(served.demo, vm["id"], nic_id)
    [added] = sorted(set(after) - set(before))
    assert shown_secondaries(ui) == after

    tab_to(ui, f"Release {added}")
    ui.page.keyboard.press("Enter")
    expect(ui.page.get_by_role("dialog")).to_be_visible()
    # The dialog opens on Cancel (the safe choice); Tab reaches Release, Enter confirms.
    ui.page.keyboard.press("Tab")
    ui.next_status(lambda: ui.page.keyboard.press("Enter"), f"^Released {added}")
    assert secondaries(served.demo, vm["id"], nic_id) == before
    assert shown_secondaries(ui) == before
