"""Driving the web UI in Debian's Chromium with Playwright: a page that fails its test on any console
error, waits for pages to be ready, measures their load time and writes screenshots."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, ViewportSize

from tests.support.client import Client
from tests.support.process import Served

LAPTOP: ViewportSize = {"width": 1366, "height": 860}
PHONE: ViewportSize = {"width": 390, "height": 844}
OUTPUT = Path(__file__).resolve().parents[2] / "build" / "ui"
# The browser logs every answer with an error status as a console error; an API refusal that the
# page shows is one the test expects, and says so with `expect_refusal`.
_NETWORK_LOG = re.compile(r"^Failed to load resource: the server responded with a status of (\d+)")


@dataclass
class Timing:
    path: str
    width: int
    milliseconds: float
    how: str


TIMINGS: list[Timing] = []


@dataclass
class Ui:
    """One signed-out browser tab on the served UI, at laptop width unless resized."""

    served: Served
    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)
    refusals: list[int] = field(default_factory=list)
    expected: set[int] = field(default_factory=set)

    @classmethod
    def open(cls, browser: Browser, served: Served) -> Ui:
        context = browser.new_context(viewport=LAPTOP, base_url=served.url.removesuffix("/client/api"))
        ui = cls(served, context, context.new_page())
        ui.page.on("console", ui._console)
        ui.page.on("pageerror", lambda error: ui.errors.append(f"uncaught: {error}"))
        ui.page.set_default_timeout(15_000)
        return ui

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        logged = _NETWORK_LOG.match(message.text)
        if logged and message.location.get("url", "").endswith("/client/api"):
            self.refusals.append(int(logged.group(1)))
        else:
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def expect_refusal(self, *statuses: int) -> None:
        """The test makes the API refuse something with these HTTP statuses, and checks what the page shows."""
        self.expected.update(statuses)

    def close(self) -> None:
        self.context.close()

    def check_console(self) -> None:
        unexpected = [s for s in self.refusals if s not in self.expected]
        assert not self.errors, f"console errors: {self.errors}"
        assert not unexpected, f"the API refused requests the test did not expect: HTTP {unexpected}"

    # -- navigation ---------------------------------------------------------------------------

    def ready(self, fresh: bool = False) -> float:
        """Wait until the page at the current URL is shown; its load time in ms as the page measured it
        (`fresh`: from the navigation's start, for a page opened by its URL; else from the click)."""
        self.page.wait_for_function(
            "() => { const m = document.getElementById('main');"
            " return m.dataset.ready === location.pathname + location.search"
            " && m.getAttribute('aria-busy') === 'false'; }")
        measured: float = self.page.evaluate(
            "(fresh) => { const found = performance.getEntriesByType('measure')"
            " .filter((m) => m.name.startsWith('page ')); const last = found[found.length - 1];"
            " return fresh ? last.startTime + last.duration : last.duration; }",
            fresh)
        return measured

    def _record(self, took: float, how: str) -> float:
        width = self.page.viewport_size["width"] if self.page.viewport_size else 0
        TIMINGS.append(Timing(self.page.url.split("/", 3)[-1], width, took, how))
        return took

    def goto(self, path: str) -> float:
        """Open a URL as a fresh load (a bookmark); returns the time from navigation start to the page shown."""
        self.page.goto(path)
        return self._record(self.ready(fresh=True), "fresh")

    def click_through(self, locator: Locator) -> float:
        """Follow a link inside the app (History API); returns the page's own load time."""
        locator.click()
        return self._record(self.ready(), "in-app")

    def sign_in(self, username: str | None = None, password: str | None = None, then: str = "/instances") -> None:
        """Sign in on the page `then` leads to (the sign-in page, then back); the demo user by default, with
        the credentials `nicstack serve --demo` printed."""
        if username is None or password is None:
            username, password = self.served.demo_login()
        self.goto(then)
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(f"**{then}")
        self.ready()

    def screenshot(self, name: str) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        width = self.page.viewport_size["width"] if self.page.viewport_size else 0
        path = OUTPUT / f"{name}-{width}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    # -- reading the page ---------------------------------------------------------------------

    def main(self) -> Locator:
        return self.page.locator("main")

    def table_rows(self, label: str) -> list[dict[str, str]]:
        """A table's rows as {column header: cell text}."""
        table = self.page.get_by_role("table", name=label)
        table.wait_for()
        headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
        return [dict(zip(headers, [c.strip() for c in row.locator("td").all_inner_texts()], strict=True))
                for row in table.locator("tbody tr").all()]

    def alert_text(self) -> str:
        alert = self.page.get_by_role("alert").first
        alert.wait_for()
        return alert.inner_text()

    def status_text(self, pattern: str) -> None:
        self.page.get_by_role("status").filter(has_text=re.compile(pattern)).wait_for()

    def next_status(self, act: Callable[[], None], pattern: str) -> str:
        """Do `act`, then wait for the live region to announce something new that matches `pattern`."""
        before = self.page.locator("#status").text_content() or ""
        act()
        self.page.wait_for_function(
            "([before, pattern]) => { const t = document.getElementById('status').textContent;"
            " return t !== before && new RegExp(pattern).test(t); }", arg=[before, pattern])
        return self.page.locator("#status").text_content() or ""

    def unnamed_controls(self) -> list[str]:
        """Interactive elements without an accessible name, as Chromium's accessibility tree computes it."""
        session = self.context.new_cdp_session(self.page)
        try:
            nodes: list[dict[str, Any]] = session.send("Accessibility.getFullAXTree")["nodes"]
        finally:
            session.detach()
        roles = {"button", "link", "textbox", "combobox", "checkbox", "radio", "searchbox", "spinbutton", "listbox",
                 "menuitem", "tab", "slider", "switch", "meter", "img", "table", "dialog"}
        unnamed = []
        for node in nodes:
            role = node.get("role", {}).get("value")
            if node.get("ignored") or role not in roles:
                continue
            if not str(node.get("name", {}).get("value", "")).strip():
                unnamed.append(f"{role} (backend node {node.get('backendDOMNodeId')})")
        return unnamed


def until(check: Callable[[], bool], what: str, page: Page, timeout_ms: int = 10_000) -> None:
    """Poll a check made outside the page (e.g. over the API) until it holds."""
    waited = 0
    while not check():
        if waited >= timeout_ms:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(50)
        waited += 50


def secondaries(client: Client, vm_id: str, nic_id: str) -> list[str]:
    """The NIC's secondary addresses as listNics reports them, in numeric order."""
    from ipaddress import ip_address  # noqa: PLC0415

    [nic] = client.items("listNics", "nic", virtualmachineid=vm_id, nicid=nic_id)
    return sorted((s["ipaddress"] for s in nic.get("secondaryip", [])), key=lambda a: (ip_address(a).version,
                                                                                      ip_address(a)))

