// Instances: name, state, zone and addresses (with the count of secondary ones); search and filters in the URL.

import * as api from "../api.js";
import { clone, h, link, slot, table } from "../dom.js";

const PAGE_SIZE = 50;

function addresses(vm) {
  const nics = vm.nic ?? [];
  const primaries = nics.flatMap((nic) => [nic.ipaddress, nic.ip6address]).filter(Boolean);
  const secondary = nics.reduce((sum, nic) => sum + (nic.secondaryip ?? []).length, 0);
  return h("span", { class: "addresses" },
    h("span", { text: primaries.join(", ") || "none" }),
    secondary ? h("span", { class: "badge", text: `+${secondary} secondary` }) : null);
}

export async function render(view, { query, navigate }) {
  const page = clone("t-instances");
  const form = slot(page, "filter");
  const number = Math.max(1, Number.parseInt(query.get("page") ?? "1", 10) || 1);
  const wanted = { keyword: query.get("keyword") ?? "", state: query.get("state") ?? "", zoneid: query.get("zoneid") ?? "" };
  const [zones, found] = await Promise.all([
    api.list("listZones", "zone"),
    api.page("listVirtualMachines", "virtualmachine", { ...wanted, listall: true }, number, PAGE_SIZE),
  ]);
  slot(page, "zones").append(...zones.map((zone) => h("option", { value: zone.id, text: zone.name })));
  for (const [name, value] of Object.entries(wanted)) form.elements[name].value = value;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams([...new FormData(form)].filter(([, value]) => value !== ""));
    navigate(`/instances${chosen.size ? `?${chosen}` : ""}`);
  });
  const filtered = Object.values(wanted).some(Boolean);
  slot(page, "summary").textContent = `${found.count} instance${found.count === 1 ? "" : "s"}${filtered ? " match" : ""}`;
  const admin = api.isAdmin();
  const columns = [
    ["Name", (vm) => link(`/instances/${vm.id}`, vm.displayname || vm.name)],
    ["State", (vm) => h("span", { class: `state state-${vm.state.toLowerCase()}`, text: vm.state })],
    ["Zone", (vm) => vm.zonename],
    ["Addresses", (vm) => addresses(vm)],
  ];
  if (admin) columns.push(["Account", (vm) => vm.account]);
  const rows = [...found.items].sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  slot(page, "list").append(table("Instances", columns, rows, filtered ? "No instance matches." : "No instances yet."));
  const pages = Math.ceil(found.count / PAGE_SIZE);
  if (pages > 1) {
    const at = (n) => { const q = new URLSearchParams(query); q.set("page", n); return `/instances?${q}`; };
    slot(page, "list").append(h("nav", { class: "pager", "aria-label": "Pages" },
      number > 1 ? link(at(number - 1), "Previous page") : null,
      h("span", { text: `Page ${number} of ${pages}` }),
      number < pages ? link(at(number + 1), "Next page") : null));
  }
  view.append(page);
  return "Instances";
}
