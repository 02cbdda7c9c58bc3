// Events: the audit log, newest first, filtered by type (e.g. NIC.SECONDARY.IP.ASSIGN) and level.

import * as api from "../api.js";
import { clone, h, link, slot, table, when } from "../dom.js";

const PAGE_SIZE = 50;
const TYPES = [
  "NIC.SECONDARY.IP.ASSIGN", "NIC.SECONDARY.IP.UNASSIGN", "NIC.SECONDARY.IP.CONFIGURE", "NET.IPASSIGN",
  "NET.IPRELEASE", "STATICNAT.ENABLE", "STATICNAT.DISABLE", "NET.RULEADD", "NET.RULEDELETE", "LB.CREATE",
  "LB.DELETE", "LB.ASSIGN.TO.RULE", "LB.REMOVE.FROM.RULE", "VM.CREATE", "VM.DESTROY", "VM.EXPUNGE", "USER.LOGIN",
  "USER.LOGOUT",
];

function filters(query, navigate) {
  const type = h("input", { name: "type", list: "event-types", value: query.get("type") ?? "", autocomplete: "off",
    placeholder: "e.g. NIC.SECONDARY.IP.ASSIGN" });
  const level = h("select", { name: "level" }, ["", "INFO", "WARN", "ERROR"].map((l) => h("option", {
    value: l, text: l || "Any", selected: (query.get("level") ?? "") === l })));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter events" },
    h("label", {}, "Type ", type), h("datalist", { id: "event-types" }, TYPES.map((t) => h("option", { value: t }))),
    h("label", {}, "Level ", level), h("button", { type: "submit", text: "Filter" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams([...new FormData(form)].filter(([, value]) => value !== ""));
    navigate(`/events${chosen.size ? `?${chosen}` : ""}`);
  });
  return form;
}

export async function render(view, { query, navigate }) {
  const page = clone("t-list-page");
  slot(page, "title").textContent = "Events";
  const number = Math.max(1, Number.parseInt(query.get("page") ?? "1", 10) || 1);
  const found = await api.page("listEvents", "event", {
    type: query.get("type") ?? "", level: query.get("level") ?? "", listall: true }, number, PAGE_SIZE);
  slot(page, "tools").append(filters(query, navigate));
  slot(page, "summary").textContent = `${found.count} event${found.count === 1 ? "" : "s"}`;
  slot(page, "list").append(table("Events", [
    ["When", (e) => when(e.created)],
    ["Type", (e) => h("code", { text: e.type })],
    ["Level", (e) => e.level],
    ["Description", (e) => e.description],
    ["Account", (e) => e.account],
  ], found.items, "No events match."));
  const pages = Math.ceil(found.count / PAGE_SIZE);
  if (pages > 1) {
    const at = (n) => { const q = new URLSearchParams(query); q.set("page", n); return `/events?${q}`; };
    slot(page, "list").append(h("nav", { class: "pager", "aria-label": "Pages" },
      number > 1 ? link(at(number - 1), "Newer") : null, h("span", { text: `Page ${number} of ${pages}` }),
      number < pages ? link(at(number + 1), "Older") : null));
  }
  view.append(page);
  return "Events";
}
