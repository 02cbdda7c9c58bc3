// The shell: real URLs (History API), the sign-in gate, the main navigation, and one page at a time.
//
// Each page module exports `render(view, route)`: it fills `view` (a detached element) and
// returns the page's title; the shell swaps it in once it is complete, so a page never shows
// half-loaded data. The server answers the shell for every path listed in ROUTES
// (nicstack/ui/serve.py, UI_SECTIONS), so any of them can be bookmarked or reloaded.

import * as api from "./api.js";
import { clone, slot } from "./dom.js";
import * as events from "./pages/events.js";
import * as instance from "./pages/instance.js";
import * as instances from "./pages/instances.js";
import * as login from "./pages/login.js";
import * as network from "./pages/network.js";
import * as networks from "./pages/networks.js";
import * as nic from "./pages/nic.js";
import * as publicIp from "./pages/public_ip.js";
import * as publicIps from "./pages/public_ips.js";
import * as securityGroup from "./pages/security_group.js";
import * as securityGroups from "./pages/security_groups.js";

const ROUTES = [
  ["/login", login],
  ["/instances", instances],
  ["/instances/:vm", instance],
  ["/instances/:vm/:tab", instance],
  ["/instances/:vm/nics/:nic", nic],
  ["/networks", networks],
  ["/networks/:network", network],
  ["/public-ips", publicIps],
  ["/public-ips/:ip", publicIp],
  ["/public-ips/:ip/:tab", publicIp],
  ["/security-groups", securityGroups],
  ["/security-groups/:group", securityGroup],
  ["/events", events],
];

const main = document.getElementById("main");
let shown = 0;

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, page] of ROUTES) {
    const want = pattern.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    const fits = want.every((piece, i) => {
      if (!piece.startsWith(":")) return piece === parts[i];
      params[piece.slice(1)] = decodeURIComponent(parts[i]);
      return true;
    });
    if (fits) return { page, params };
  }
  return null;
}

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  return show();
}

function problem(title, text, error) {
  const view = clone("t-problem");
  slot(view, "title").textContent = title;
  slot(view, "text").textContent = text;
  if (error) {
    slot(view, "details").hidden = false;
    slot(view, "server").textContent = error.message;
  }
  return view;
}

function chrome() {
  const signedIn = api.signedIn();
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("who").hidden = !signedIn;
  const who = api.user();
  document.getElementById("who-name").textContent = who ? `${who.username} (${who.account})` : "";
  const section = location.pathname.split("/")[1];
  for (const anchor of document.querySelectorAll("#nav a")) {
    if (anchor.dataset.section === section) anchor.setAttribute("aria-current", "page");
    else anchor.removeAttribute("aria-current");
  }
}

function toLogin(reason) {
  const next = location.pathname + location.search;
  const query = new URLSearchParams(next.startsWith("/login") ? {} : { next });
  if (reason) query.set("reason", reason);
  return navigate(`/login?${query}`, { replace: true });
}

async function show({ focus = true } = {}) {
  const mine = ++shown;
  const started = performance.now();
  main.setAttribute("aria-busy", "true");
  delete main.dataset.ready;
  if (location.pathname === "/") return navigate("/instances", { replace: true });
  const found = match(location.pathname);
  if (found && found.page !== login && !api.signedIn()) return toLogin();
  const view = document.createElement("div");
  let title;
  try {
    if (!found) {
      title = "Not found";
      view.append(problem("Not found", `There is no page at ${location.pathname}.`));
    } else {
      const route = { params: found.params, query: new URLSearchParams(location.search), navigate, refresh: show };
      title = await found.page.render(view, route);
    }
  } catch (error) {
    if (mine !== shown) return undefined;
    if (error instanceof api.ApiError && error.sessionEnded && found.page !== login) {
      api.forget();
      return toLogin("expired");
    }
    title = error.notFound ? "Not found" : "Something went wrong";
    view.replaceChildren(error.notFound
      ? problem("Not found", "Nothing with this id exists that you may see.", error)
      : problem("Something went wrong", "The page could not be loaded.", error));
  }
  if (mine !== shown) return undefined;
  main.replaceChildren(view);
  document.title = `${title} · nicstack`;
  chrome();
  main.setAttribute("aria-busy", "false");
  main.dataset.ready = location.pathname + location.search;
  performance.measure(`page ${location.pathname}`, { start: started, detail: { path: location.pathname } });
  const heading = main.querySelector("h1");
  if (heading) heading.tabIndex = -1;
  if (focus) (heading ?? main).focus();
  return undefined;
}

document.addEventListener("click", (event) => {
  const anchor = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey
      || event.altKey || anchor.target || anchor.hasAttribute("download")) return;
  const url = new URL(anchor.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/client/") || url.pathname.startsWith("/ui/")) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

window.addEventListener("popstate", () => show());

document.getElementById("sign-out").addEventListener("click", async () => {
  await api.logout().catch(() => {});
  navigate("/login?reason=signed-out");
});

show({ focus: false });
