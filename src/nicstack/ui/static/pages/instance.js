// An instance: its details, and a NICs tab with each NIC's network, MAC, primary and secondary addresses.

import * as api from "../api.js";
import { byAddress, clone, facts, h, link, slot, table, when } from "../dom.js";

const TABS = [["", "Details"], ["nics", "NICs"]];

function tabs(nav, base, current) {
  nav.replaceChildren(...TABS.map(([path, label]) => {
    const anchor = link(path ? `${base}/${path}` : base, label);
    if (path === current) anchor.setAttribute("aria-current", "page");
    return anchor;
  }));
}

function secondaries(nic) {
  const found = [...(nic.secondaryip ?? [])].sort(byAddress((s) => s.ipaddress));
  if (found.length === 0) return h("span", { class: "muted", text: "none" });
  return h("ul", { class: "inline-list" }, found.map((s) => h("li", { text: s.ipaddress })));
}

function nicsPanel(vm) {
  const columns = [
    ["NIC", (nic) => link(`/instances/${vm.id}/nics/${nic.id}`, `NIC ${nic.deviceid}`,
      { "aria-label": `Addresses of NIC ${nic.deviceid} (${nic.networkname})` })],
    ["Network", (nic) => link(`/networks/${nic.networkid}`, nic.networkname)],
    ["MAC", (nic) => h("code", { text: nic.macaddress })],
    ["Primary address", (nic) => [nic.ipaddress, nic.ip6address].filter(Boolean).join(", ")],
    ["Default", (nic) => (nic.isdefault ? "Yes" : "No")],
    ["Secondary addresses", (nic) => secondaries(nic)],
  ];
  return [
    table(`NICs of ${vm.name}`, columns, vm.nic ?? [], "This instance has no NIC."),
    h("p", { class: "hint", text: "Open a NIC to acquire or release its secondary addresses." }),
  ];
}

function detailsPanel(vm) {
  const list = h("dl", { class: "facts" });
  facts(list, [
    ["State", vm.state], ["Zone", vm.zonename], ["Account", vm.account], ["Domain", vm.domain],
    ["Hypervisor", vm.hypervisor], ["Host", vm.hostname], ["Service offering", vm.serviceofferingname],
    ["Template", vm.templatename], ["Created", when(vm.created)], ["Id", h("code", { text: vm.id })],
    ["Security groups", (vm.securitygroup ?? []).length
      ? h("span", {}, vm.securitygroup.map((g, i) => [i ? ", " : "", link(`/security-groups/${g.id}`, g.name)]))
      : null],
  ]);
  return [list];
}

export async function render(view, { params }) {
  const found = await api.call("listVirtualMachines", { id: params.vm, listall: true });
  const vm = (found.virtualmachine ?? [])[0];
  if (!vm) throw new api.ApiError(431, "entity does not exist", "listVirtualMachines");
  if (params.tab !== undefined && params.tab !== "nics") throw new api.ApiError(431, "entity does not exist", "tab");
  const page = clone("t-instance");
  slot(page, "title").textContent = vm.displayname || vm.name;
  const base = `/instances/${vm.id}`;
  tabs(slot(page, "tabs"), base, params.tab ?? "");
  slot(page, "panel").append(...(params.tab === "nics" ? nicsPanel(vm) : detailsPanel(vm)));
  view.append(page);
  return `${vm.name}${params.tab === "nics" ? " · NICs" : ""}`;
}
